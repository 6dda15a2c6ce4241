"""PubMed, bundled like Cora and CiteSeer: its files are those of datasets/PubMed/PROVENANCE.md, and the one that
is a rebuild of the released file (ind.pubmed.allx) is said to be, once, by the loader and by ``gnnlab datasets``;
the released file is read without a word."""
from __future__ import annotations

import hashlib
import re
import shutil
import warnings
from pathlib import Path

import pytest

from gnnlab import _catalog
from gnnlab.cli import main
from gnnlab.data import RebuiltFileWarning, load_planetoid, planetoid
from gnnlab.data.planetoid import bundled_root, raw_file_names

PUBMED = bundled_root() / "PubMed"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_recording(*args, **kwargs) -> tuple[object, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_planetoid(*args, **kwargs)
    return data, [w for w in caught if issubclass(w.category, RebuiltFileWarning)]


@pytest.fixture
def fresh_notices(monkeypatch):
    """A process that has not yet given the notice for any folder."""
    monkeypatch.setattr(planetoid, "_NOTICED", set())


@pytest.fixture
def pubmed_copy(tmp_path) -> Path:
    shutil.copytree(PUBMED / "raw", tmp_path / "PubMed" / "raw")
    return tmp_path


def test_the_bundled_files_are_those_of_the_provenance_note():
    text = (PUBMED / "PROVENANCE.md").read_text()
    listed = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)", text, re.MULTILINE))
    assert sorted(listed) == sorted(raw_file_names("PubMed"))
    assert {name: _sha256(PUBMED / "raw" / name) for name in listed} == listed
    assert listed["ind.pubmed.allx"] == _catalog.PUBMED_ALLX_REBUILT_SHA256
    assert f"released `ind.pubmed.allx` is\n{_catalog.PUBMED_ALLX_RELEASED_SHA256}" in text
    assert (PUBMED.parent / "LICENSE.planetoid").is_file() and "`../LICENSE.planetoid`" in text


def test_the_rebuilt_file_is_said_once(fresh_notices, no_network):
    data, first = _load_recording("pubmed")
    assert (data.num_nodes, data.num_edges, data.num_features) == (19717, 88648, 500)
    assert len(first) == 1 and issubclass(RebuiltFileWarning, UserWarning)
    message = str(first[0].message)
    assert str(PUBMED / "raw" / "ind.pubmed.allx") in message and "rebuild" in message and "5e-7" in message
    assert _catalog.PUBMED_ALLX_RELEASED_SHA256 in message
    assert first[0].filename == __file__  # it points at the caller, not at gnnlab
    for split in ("public", "full", "random"):  # not once per call
        assert _load_recording("pubmed", split=split)[1] == []
    assert _load_recording("cora")[1] == [] and _load_recording("citeseer")[1] == []


def test_the_notice_can_be_filtered_by_its_category(fresh_notices, no_network):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=RebuiltFileWarning)
        assert load_planetoid("pubmed").num_nodes == 19717


def test_the_released_file_is_read_without_a_notice(pubmed_copy, fresh_notices, monkeypatch, capsys, no_network):
    # the released file is not at hand: the copy's allx stands in for it, its sha256 taken as the release's
    monkeypatch.setattr(_catalog, "PUBMED_ALLX_RELEASED_SHA256", _catalog.PUBMED_ALLX_REBUILT_SHA256)
    data, notices = _load_recording("pubmed", root=pubmed_copy)
    assert notices == [] and data.num_nodes == 19717
    monkeypatch.setenv("GNNLAB_DATA", str(pubmed_copy))
    assert main(["datasets", "--datasets", "pubmed"]) == 0
    out = capsys.readouterr().out
    assert "| PubMed | 19717 | 88648 | 500 | 3 | 60/500/1000 | found |" in out and "rebuil" not in out


def test_a_file_that_is_neither_is_said_to_be_so(pubmed_copy, fresh_notices, no_network):
    allx = pubmed_copy / "PubMed" / "raw" / "ind.pubmed.allx"
    allx.write_bytes(allx.read_bytes() + b"\n")  # after the pickle's STOP: loads the same, hashes differently
    data, notices = _load_recording("pubmed", root=pubmed_copy)
    assert data.num_nodes == 19717 and len(notices) == 1
    assert f"{allx}, which is not the Planetoid release but neither the released file nor gnnlab's rebuild" \
        in str(notices[0].message)


def test_each_folder_is_said_once(pubmed_copy, fresh_notices, no_network):
    assert len(_load_recording("pubmed")[1]) == 1
    assert len(_load_recording("pubmed", root=pubmed_copy)[1]) == 1
    assert _load_recording("pubmed", root=pubmed_copy)[1] == []


def test_datasets_table_says_which_file_is_rebuilt(capsys, monkeypatch):
    monkeypatch.delenv("GNNLAB_DATA", raising=False)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "| PubMed | 19717 | 88648 | 500 | 3 | 60/500/1000 | found (rebuilt allx) |" in out
    assert "| Cora | 2708 | 10556 | 1433 | 7 | 140/500/1000 | found |" in out
    assert f"{PUBMED / 'raw' / 'ind.pubmed.allx'} is gnnlab's faithful rebuild of the released file" in out


def test_a_missing_pubmed_file_names_it_and_where_it_looked(pubmed_copy, monkeypatch, no_network):
    (pubmed_copy / "PubMed" / "raw" / "ind.pubmed.allx").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_planetoid("pubmed", root=pubmed_copy)
    message = str(info.value)
    assert f"the Planetoid raw files of PubMed in '{pubmed_copy / 'PubMed' / 'raw'}' (argument 'root')" in message
    assert "(got missing ind.pubmed.allx)" in message and "datasets/PubMed/raw/" in message
    monkeypatch.setenv("GNNLAB_DATA", str(pubmed_copy))
    with pytest.raises(FileNotFoundError, match=r"\(\$GNNLAB_DATA\).*\(got missing ind\.pubmed\.allx\)"):
        load_planetoid("PubMed")
