"""The Planetoid raw files are pickles: load_planetoid builds only the classes those files hold, and never runs a
crafted file or a crafted processed copy; what it builds equals PyG's own reading of the same files."""
from __future__ import annotations

import collections
import os
import pickle
import pickletools
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.datasets import Planetoid
from torch_geometric.io import read_planetoid_data
from torch_geometric.transforms import NormalizeFeatures

from gnnlab.data import load_planetoid, planetoid
from gnnlab.data.planetoid import bundled_root, raw_file_names

NAMES = ["Cora", "CiteSeer", "PubMed"]
ATTRIBUTES = ["x", "edge_index", "y", "train_mask", "val_mask", "test_mask"]

pytestmark = pytest.mark.filterwarnings("ignore::gnnlab.data.RebuiltFileWarning")


class _WritesAFile:
    """Unpickling this runs a shell command that creates ``path``: the file exists only if the code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch '{self.path}'",)


class _OpensAFile:
    """Unpickling this calls the builtin ``open(path, "w")``, which creates ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return open, (str(self.path), "w")


def _copy_raw(name: str, root: Path) -> Path:
    raw = root / name / "raw"
    shutil.copytree(bundled_root() / name / "raw", raw)
    return raw


def _globals_referenced(path: Path) -> set[tuple[str, str]]:
    """The (module, name) of every GLOBAL opcode of a protocol-2 pickle (the Planetoid files' protocol)."""
    found = set()
    for opcode, argument, _ in pickletools.genops(path.read_bytes()):
        assert opcode.name not in ("STACK_GLOBAL", "INST"), (path, opcode.name)  # all their globals are GLOBAL
        if opcode.name == "GLOBAL":
            found.add(tuple(argument.split(" ", 1)))
    return found


def test_the_allowed_classes_are_those_the_files_hold():
    pickles = [bundled_root() / name / "raw" / f for name in NAMES for f in raw_file_names(name)
               if not f.endswith("test.index")]
    assert len(pickles) == 21
    referenced = set().union(*map(_globals_referenced, pickles))
    assert referenced == {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                          ("scipy.sparse.csr", "csr_matrix"), ("__builtin__", "list"), ("collections", "defaultdict")}
    allowed = planetoid._ALLOWED_GLOBALS
    assert referenced <= set(allowed)
    # the other spellings name the same objects; the one addition is dict, for a graph saved as a plain dict
    assert {id(obj) for obj in allowed.values()} == {id(allowed[key]) for key in referenced} | {id(dict)}


@pytest.mark.parametrize("payload", [_WritesAFile, _OpensAFile])
@pytest.mark.parametrize("name, part", [("Cora", "x"), ("CiteSeer", "graph"), ("PubMed", "allx")])
def test_a_crafted_raw_file_under_root_is_refused_before_it_runs(tmp_path, name, part, payload, no_network):
    raw = _copy_raw(name, tmp_path / "data")
    marker = tmp_path / "ran"
    target = raw / f"ind.{name.lower()}.{part}"
    target.write_bytes(pickle.dumps(payload(marker), protocol=2))
    with pytest.raises(ValueError) as info:
        load_planetoid(name, root=tmp_path / "data")
    assert not marker.exists()
    message = str(info.value)
    refused = f"{os.system.__module__}.system" if payload is _WritesAFile else f"{open.__module__}.open"
    assert message.startswith("'load_planetoid' expected a Planetoid raw file at ")
    assert f"'{target}'" in message and f"a reference to '{refused}', which is not in that list" in message
    assert "numpy.ndarray" in message and "csr_matrix" in message and f"datasets/{name}/raw/" in message
    assert not (tmp_path / "data" / name / "processed" / "gnnlab.pt").exists()  # nothing cached from it


def test_a_crafted_file_under_gnnlab_data_is_refused(tmp_path, monkeypatch, no_network):
    raw = _copy_raw("Cora", tmp_path)
    marker = tmp_path / "ran"
    monkeypatch.setenv("GNNLAB_DATA", str(tmp_path))
    (raw / "ind.cora.ty").write_bytes(pickle.dumps(_WritesAFile(marker), protocol=2))
    with pytest.raises(ValueError, match=r"ind\.cora\.ty' that references only the classes and functions"):
        load_planetoid("cora")
    assert not marker.exists()


def test_a_payload_inside_the_graph_dict_is_refused(tmp_path, no_network):
    raw = _copy_raw("Cora", tmp_path)
    marker = tmp_path / "ran"
    graph = collections.defaultdict(list, {0: [1, 2], 1: [_WritesAFile(marker)]})
    (raw / "ind.cora.graph").write_bytes(pickle.dumps(graph, protocol=2))
    with pytest.raises(ValueError, match=r"ind\.cora\.graph'.*a reference to '(posix|nt)\.system'"):
        load_planetoid("cora", root=tmp_path)
    assert not marker.exists()


def test_another_name_of_an_allowed_module_is_refused(tmp_path, no_network):
    raw = _copy_raw("Cora", tmp_path)
    # a reference to a function numpy has (numpy.save), not to one of the classes the files hold
    (raw / "ind.cora.y").write_bytes(pickle.dumps(np.save, protocol=2))
    with pytest.raises(ValueError, match=r"a reference to 'numpy\.save', which is not in that list"):
        load_planetoid("cora", root=tmp_path)


def test_a_file_re_pickled_by_python_3_still_loads(tmp_path, no_network):
    """The same objects pickled by Python 3, numpy 2 and today's scipy (protocol 4: other names, STACK_GLOBAL)."""
    raw = _copy_raw("Cora", tmp_path)
    for part in ("allx", "graph"):
        path = raw / f"ind.cora.{part}"
        with open(path, "rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the scipy.sparse.csr name of the Python 2 pickle
            content = pickle.load(handle, encoding="latin1")  # the bundled file: trusted
        path.write_bytes(pickle.dumps(content, protocol=4))
    ours = load_planetoid("cora", root=tmp_path, normalize_features=False)
    reference = load_planetoid("cora", normalize_features=False)
    for key in ATTRIBUTES:
        assert torch.equal(getattr(ours, key), getattr(reference, key)), key


@pytest.mark.parametrize("name", NAMES)
def test_equal_to_pygs_planetoid_on_the_same_files(tmp_path, name, no_network):
    _copy_raw(name, tmp_path / "pyg")
    _copy_raw(name, tmp_path / "ours")
    reference = read_planetoid_data(str(tmp_path / "pyg" / name / "raw"), name)
    for normalize in (False, True):
        dataset = Planetoid(str(tmp_path / "pyg"), name, transform=NormalizeFeatures() if normalize else None)
        for data in (dataset[0], reference) if not normalize else (dataset[0],):
            ours = load_planetoid(name, root=tmp_path / "ours", normalize_features=normalize)
            for key in ATTRIBUTES:
                mine, theirs = getattr(ours, key), getattr(data, key)
                assert mine.dtype == theirs.dtype and torch.equal(mine, theirs), (name, normalize, key)
    full = Planetoid(str(tmp_path / "pyg"), name, split="full")[0]
    ours = load_planetoid(name, root=tmp_path / "ours", split="full", normalize_features=False)
    assert all(torch.equal(getattr(ours, key), getattr(full, key)) for key in ATTRIBUTES)


def _crafted_torch_file(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": planetoid._CACHE_FORMAT, "data": {"x": _WritesAFile(marker)}}, path)


def test_a_crafted_processed_copy_is_refused(tmp_path, no_network):
    _copy_raw("Cora", tmp_path)
    cache = tmp_path / "Cora" / "processed" / "gnnlab.pt"
    marker = tmp_path / "ran"
    _crafted_torch_file(cache, marker)
    with pytest.raises(ValueError) as info:
        load_planetoid("cora", root=tmp_path)
    assert not marker.exists()
    message = str(info.value)
    assert f"processed copy of the Planetoid files at '{cache}' to load with torch.load(weights_only=True)" in message
    assert "system" in message and "delete it" in message
    cache.unlink()  # as the message says: the copy is written again from the raw files
    assert load_planetoid("cora", root=tmp_path).num_nodes == 2708 and cache.is_file()


def test_pygs_own_processed_files_are_never_read(tmp_path, no_network):
    """PyG reads ``pre_transform.pt`` with ``weights_only=False`` and falls back to it for ``data.pt``: a crafted
    one would run; gnnlab reads neither."""
    _copy_raw("Cora", tmp_path)
    marker = tmp_path / "ran"
    for file_name in ("data.pt", "pre_transform.pt", "pre_filter.pt"):
        _crafted_torch_file(tmp_path / "Cora" / "processed" / file_name, marker)
    assert load_planetoid("cora", root=tmp_path).num_nodes == 2708
    assert not marker.exists()


def test_the_processed_copy_is_used_and_rebuilt_when_the_raw_files_change(tmp_path, no_network):
    raw = _copy_raw("Cora", tmp_path)
    cache = tmp_path / "Cora" / "processed" / "gnnlab.pt"
    real = load_planetoid("cora", root=tmp_path, normalize_features=False)
    stored = torch.load(cache, weights_only=True)
    assert stored["raw_files"] == planetoid._raw_fingerprint(raw, "Cora")
    stored["data"]["x"] = torch.full_like(stored["data"]["x"], 2.0)  # a marked copy: proves where x came from
    torch.save(stored, cache)
    assert bool((load_planetoid("cora", root=tmp_path, normalize_features=False).x == 2.0).all())
    os.utime(raw / "ind.cora.allx", ns=(1, 1))  # the raw files changed: the copy is stale
    assert torch.equal(load_planetoid("cora", root=tmp_path, normalize_features=False).x, real.x)
    assert torch.load(cache, weights_only=True)["raw_files"] == planetoid._raw_fingerprint(raw, "Cora")


def test_raw_files_that_do_not_fit_together_are_an_error_naming_the_folder(tmp_path, no_network):
    raw = _copy_raw("Cora", tmp_path)
    shutil.copy(bundled_root() / "CiteSeer" / "raw" / "ind.citeseer.tx", raw / "ind.cora.tx")  # 3703 columns
    with pytest.raises(ValueError, match=r"expected the Planetoid raw files of one graph in '.*Cora.raw'"):
        load_planetoid("cora", root=tmp_path)
