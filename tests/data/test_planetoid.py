from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from gnnlab.data import load_planetoid, planetoid
from gnnlab.data.planetoid import default_root, raw_file_names

STATS = {
    # name: nodes, directed edge pairs, features, classes, public train/val/test
    "cora": (2708, 10556, 1433, 7, (140, 500, 1000)),
    "citeseer": (3327, 9104, 3703, 6, (120, 500, 1000)),
    # datasets/PubMed/PROVENANCE.md: 19,717 papers, 44,324 undirected citations, 500 TF-IDF features, 3 classes
    "pubmed": (19717, 88648, 500, 3, (60, 500, 1000)),
}


@pytest.mark.filterwarnings("ignore::gnnlab.data.RebuiltFileWarning")
@pytest.mark.parametrize("name", ["cora", "citeseer", "pubmed", "Cora", "CITESEER", "PubMed"])
def test_bundled_statistics_offline(name, no_network):
    nodes, edges, features, classes, split = STATS[name.lower()]
    data = load_planetoid(name)
    assert data.num_nodes == nodes
    assert data.edge_index.shape == (2, edges)
    assert data.x.shape == (nodes, features)
    assert int(data.y.max()) + 1 == classes
    masks = (data.train_mask, data.val_mask, data.test_mask)
    assert tuple(int(m.sum()) for m in masks) == split
    assert not (data.train_mask & data.val_mask).any() and not (data.val_mask & data.test_mask).any()
    # public split: 20 labelled nodes per class
    assert torch.bincount(data.y[data.train_mask], minlength=classes).tolist() == [20] * classes


def test_the_catalog_gives_the_sizes_measured_here():
    from gnnlab._catalog import DATASET_SIZES

    assert {name: (size["nodes"], size["edges"], size["features"], size["classes"], size["split"])
            for name, size in DATASET_SIZES.items()} == STATS


def test_normalized_features_rows_sum_to_one(cora):
    sums = cora.x.sum(1)
    nonzero = sums > 0
    assert torch.allclose(sums[nonzero], torch.ones(int(nonzero.sum())), atol=1e-5)
    raw = load_planetoid("cora", normalize_features=False)
    assert set(raw.x.unique().tolist()) <= {0.0, 1.0}


def test_full_split_uses_every_other_node_for_training(cora):
    data = load_planetoid("cora", split="full")
    assert int(data.train_mask.sum()) == 2708 - 500 - 1000
    assert torch.equal(data.test_mask, cora.test_mask)
    assert not (data.train_mask & (data.val_mask | data.test_mask)).any()


def test_random_split_is_seeded_60_20_20():
    a = load_planetoid("cora", split="random", seed=3)
    b = load_planetoid("cora", split="random", seed=3)
    c = load_planetoid("cora", split="random", seed=4)
    assert torch.equal(a.train_mask, b.train_mask)
    assert not torch.equal(a.train_mask, c.train_mask)
    assert abs(int(a.train_mask.sum()) - 0.6 * 2708) < 1


def test_env_var_root(tmp_path, monkeypatch, no_network):
    shutil.copytree(default_root() / "Cora" / "raw", tmp_path / "Cora" / "raw")
    monkeypatch.setenv("GNNLAB_DATA", str(tmp_path))
    assert default_root() == tmp_path
    assert load_planetoid("cora").num_nodes == 2708
    assert (tmp_path / "Cora" / "processed").is_dir()


def test_read_only_root_caches_elsewhere(tmp_path, monkeypatch, no_network):
    shutil.copytree(default_root() / "Cora" / "raw", tmp_path / "data" / "Cora" / "raw")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(planetoid.os, "access", lambda path, mode: False)
    assert load_planetoid("cora", root=tmp_path / "data").num_nodes == 2708
    assert (tmp_path / "cache" / "gnnlab" / "Cora" / "processed").is_dir()
    assert not (tmp_path / "data" / "Cora" / "processed").exists()


def test_unknown_name_names_argument_and_choices():
    with pytest.raises(ValueError, match=r"'load_planetoid' expected 'name' to be one of "
                                         r"\['CiteSeer', 'Cora', 'PubMed'\] \(any case\) \(got 'reddit'\)"):
        load_planetoid("reddit")


def test_unknown_split():
    with pytest.raises(ValueError, match="'split'"):
        load_planetoid("cora", split="geom-gcn")


def test_missing_raw_dir_says_where_and_how(tmp_path, no_network):
    with pytest.raises(FileNotFoundError) as info:
        load_planetoid("cora", root=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "Cora" / "raw") in message
    assert "ind.cora.x" in message and "'root'" in message and "download" in message


def test_missing_single_file(tmp_path, no_network):
    shutil.copytree(default_root() / "Cora" / "raw", tmp_path / "Cora" / "raw")
    (tmp_path / "Cora" / "raw" / "ind.cora.graph").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing ind\.cora\.graph\)"):
        load_planetoid("cora", root=tmp_path)


def test_corrupt_file_is_named(tmp_path, no_network):
    shutil.copytree(default_root() / "Cora" / "raw", tmp_path / "Cora" / "raw")
    (tmp_path / "Cora" / "raw" / "ind.cora.tx").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match=r"ind\.cora\.tx"):
        load_planetoid("cora", root=tmp_path)


def test_raw_file_names():
    assert raw_file_names("CiteSeer")[0] == "ind.citeseer.x"
    assert len(raw_file_names("Cora")) == 8


def test_bundled_files_come_from_the_package_with_their_licence(monkeypatch):
    from importlib import resources

    monkeypatch.delenv("GNNLAB_DATA", raising=False)
    assert default_root() == planetoid.bundled_root() == Path(str(resources.files("gnnlab.datasets")))
    assert (default_root() / "LICENSE.planetoid").is_file()
    for name in ("Cora", "CiteSeer", "PubMed"):
        assert all((default_root() / name / "raw" / f).is_file() for f in raw_file_names(name))


def test_source_checkout_finds_the_repository_datasets(monkeypatch):
    """Run from a checkout on PYTHONPATH (not installed), ``gnnlab.datasets`` does not exist: the files are the
    repository's ``datasets/``, beside the ``gnnlab/`` folder."""
    from importlib import resources

    def not_installed(anchor):
        raise ModuleNotFoundError(f"No module named {anchor!r}")

    monkeypatch.setattr(resources, "files", not_installed)
    root = planetoid.bundled_root()
    assert root == Path(planetoid.__file__).resolve().parents[2] / "datasets"
    if (Path(__file__).resolve().parents[2] / "gnnlab").is_dir():  # these tests run from the checkout
        assert all((root / "Cora" / "raw" / f).is_file() for f in raw_file_names("Cora"))


def test_neither_installed_nor_a_checkout_says_so(monkeypatch, tmp_path):
    """Without the package data and without a gnnlab checkout's datasets/ beside the source (a broken install:
    ``site-packages/datasets`` may be another project's), a clear error rather than a wrong folder."""
    from importlib import resources

    def not_installed(anchor):
        raise ModuleNotFoundError(f"No module named {anchor!r}")

    monkeypatch.setattr(resources, "files", not_installed)
    from gnnlab import _catalog

    monkeypatch.setattr(_catalog, "__file__", str(tmp_path / "gnnlab" / "_catalog.py"))
    (tmp_path / "datasets").mkdir()  # some other project's folder of that name
    with pytest.raises(FileNotFoundError, match="gnnlab.datasets") as info:
        planetoid.bundled_root()
    assert "GNNLAB_DATA" in str(info.value) and str(tmp_path / "datasets") in str(info.value)


def test_bundled_files_are_processed_into_the_user_cache(tmp_path, monkeypatch, no_network):
    # gnnlab never writes into its installed package
    monkeypatch.delenv("GNNLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert load_planetoid("cora").num_nodes == 2708
    assert (tmp_path / "cache" / "gnnlab" / "bundled" / "Cora" / "processed").is_dir()


def test_missing_bundled_files_say_to_reinstall(tmp_path, monkeypatch, no_network):
    monkeypatch.delenv("GNNLAB_DATA", raising=False)
    from gnnlab import _catalog

    monkeypatch.setattr(_catalog, "bundled_root", lambda: tmp_path)
    monkeypatch.setattr(planetoid, "bundled_root", lambda: tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        load_planetoid("citeseer")
    message = str(info.value)
    assert str(tmp_path / "CiteSeer" / "raw") in message and "reinstall gnnlab" in message
    assert "ind.citeseer.x" in message and "never downloads" in message
