"""load_tu against PyG's TUDataset on the same files, the catalog's sizes, and the loader's errors."""
from __future__ import annotations

import shutil

import pytest
import torch
from torch_geometric.datasets import TUDataset

from gnnlab._catalog import TU_DATASETS, TU_SIZES
from gnnlab.data import load_tu
from gnnlab.data.tu import tu_root


@pytest.fixture(scope="module")
def pyg_root(tmp_path_factory):
    """A copy of the bundled raw files where PyG's TUDataset may write its processed cache."""
    root = tmp_path_factory.mktemp("tu")
    for name in TU_DATASETS.values():
        shutil.copytree(tu_root() / name / "raw", root / name / "raw")
    return root


def _same_graphs(ours, reference) -> None:
    assert len(ours) == len(reference)
    for index in range(len(ours)):
        a, b = ours[index], reference[index]
        assert set(a.keys()) == set(b.keys()), index
        for key in a.keys():
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), (index, key)
            else:
                assert a[key] == b[key], (index, key)


@pytest.mark.parametrize("name", ["MUTAG", "PROTEINS", "ENZYMES", "IMDB-BINARY"])
def test_equal_to_pyg_tudataset(pyg_root, name):
    _same_graphs(load_tu(name), TUDataset(str(pyg_root), name))


@pytest.mark.parametrize("name", ["PROTEINS", "ENZYMES"])
def test_node_attributes_equal_to_pyg(pyg_root, name):
    ours = load_tu(name, use_node_attr=True)
    _same_graphs(ours, TUDataset(str(pyg_root), name, use_node_attr=True))
    assert ours.num_features == {"PROTEINS": 4, "ENZYMES": 21}[name]


def test_nci1_equal_to_pyg_on_a_sample(pyg_root):
    ours, reference = load_tu("nci1"), TUDataset(str(pyg_root), "NCI1")
    index = torch.arange(0, len(ours), 97)
    _same_graphs(ours[index], reference[index])


@pytest.mark.parametrize("key", sorted(TU_SIZES))
def test_sizes_match_the_catalog(key):
    dataset = load_tu(key.upper())
    expected = TU_SIZES[key]
    assert len(dataset) == expected["graphs"]
    assert sum(graph.num_nodes for graph in dataset) == expected["nodes"]
    assert sum(graph.edge_index.size(1) for graph in dataset) == expected["edges"]
    assert dataset.num_classes == expected["classes"]
    assert dataset.num_features == expected["features"]
    labels = torch.cat([graph.y for graph in dataset])
    assert labels.unique().tolist() == list(range(expected["classes"]))
    graph = dataset[len(dataset) // 2]  # undirected, no self-loops
    assert not (graph.edge_index[0] == graph.edge_index[1]).any()
    assert torch.equal(graph.edge_index.flip(0).unique(dim=1), graph.edge_index.unique(dim=1))


def test_any_case_and_a_root_of_ones_own(tmp_path):
    shutil.copytree(tu_root() / "MUTAG" / "raw", tmp_path / "MUTAG" / "raw")
    assert torch.equal(load_tu("Mutag", root=tmp_path)[3].x, load_tu("MUTAG")[3].x)
    assert sorted(path.name for path in (tmp_path / "MUTAG").iterdir()) == ["raw"]  # no cache written


def test_environment_variable_names_the_data_folder(tmp_path, monkeypatch):
    shutil.copytree(tu_root() / "MUTAG" / "raw", tmp_path / "TU" / "MUTAG" / "raw")
    (tmp_path / "TU" / "MUTAG" / "raw" / "MUTAG_graph_labels.txt").write_text("1\n" * 188)
    monkeypatch.setenv("GNNLAB_DATA", str(tmp_path))
    assert load_tu("mutag").num_classes == 1  # the edited copy, not the bundled files


def test_missing_file_is_named(tmp_path):
    shutil.copytree(tu_root() / "MUTAG" / "raw", tmp_path / "MUTAG" / "raw")
    (tmp_path / "MUTAG" / "raw" / "MUTAG_graph_indicator.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"MUTAG_graph_indicator\.txt.*") as error:
        load_tu("MUTAG", root=tmp_path)
    assert str(tmp_path / "MUTAG" / "raw") in str(error.value) and "never downloads" in str(error.value)


def test_damaged_file_is_a_clear_error(tmp_path):
    shutil.copytree(tu_root() / "MUTAG" / "raw", tmp_path / "MUTAG" / "raw")
    (tmp_path / "MUTAG" / "raw" / "MUTAG_A.txt").write_text("1, x\n")
    with pytest.raises(ValueError, match="'load_tu' expected readable TU files of MUTAG"):
        load_tu("MUTAG", root=tmp_path)


@pytest.mark.parametrize("bad, match", [("cora", "'name' to be one of"), (3, "'name' to be one of")])
def test_bad_name(bad, match):
    with pytest.raises(ValueError, match=match):
        load_tu(bad)


def test_bad_option():
    with pytest.raises(TypeError, match="'use_node_attr' to be True or False"):
        load_tu("MUTAG", use_node_attr=1)
