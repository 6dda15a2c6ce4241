"""The bundled bAbI graphs: counts and encodings against an independent reading of the raw files, filters,
and the errors for missing or malformed files (offline)."""
from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

import pytest
import torch

from gnnlab.data import babi, babi_split, babi_symbols, load_babi
from gnnlab.data.babi import BABI_TASKS
from gnnlab.data.planetoid import bundled_root

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "datasets" / "bAbI" / "processed_1"


def raw_questions(task: int, split: str) -> list[tuple[int, list[list[int]], list[int]]]:
    """(story, edges, question) per '?' line, read directly from the text file (1-based ids)."""
    blocks = (FOLDER / split / f"{task}_graphs.txt").read_text().strip().split("\n\n")
    out = []
    for story, block in enumerate(blocks):
        lines = [line.split() for line in block.splitlines()]
        edges = [[int(v) for v in line] for line in lines if line[0] != "?"]
        out += [(story, edges, [int(v) for v in line[1:]]) for line in lines if line[0] == "?"]
    return out


#: questions per file (train, test); every file holds 1,000 stories
QUESTIONS = {4: (1000, 1000), 15: (4000, 4000), 16: (1000, 1000), 18: (2559, 2589), 19: (1000, 1000)}


@pytest.mark.parametrize("task", sorted(BABI_TASKS))
@pytest.mark.parametrize("split", ["train", "test"])
def test_every_question_is_encoded_as_the_file_says(task, split, no_network):
    graphs = load_babi(task, split)
    raw = raw_questions(task, split)
    symbols = babi_symbols(task)
    num_nodes, num_types = len(symbols["nodes"]), len(symbols["edge_types"])
    kind, annotated = BABI_TASKS[task]
    assert len(graphs) == len(raw) == QUESTIONS[task][split == "test"]
    assert len({g.story for g in graphs}) == 1000
    for graph, (story, edges, question) in zip(graphs, raw):
        assert graph.story == story and graph.question_type == question[0] - 1
        assert graph.x.shape == (num_nodes, annotated) and graph.x.dtype == torch.float32
        # one marked node per annotation bit: the question's nodes, in order
        assert graph.x.sum(0).tolist() == [1.0] * annotated
        assert (graph.x.argmax(0) + 1).tolist() == question[1:1 + annotated]
        expected = torch.tensor(edges).view(-1, 3) - 1
        assert torch.equal(graph.edge_index, expected[:, [0, 2]].t())
        assert torch.equal(graph.edge_type, expected[:, 1])
        assert graph.edge_type.dtype == torch.long and 0 <= int(graph.edge_type.min())
        assert int(graph.edge_type.max()) < num_types and int(graph.edge_index.max()) < num_nodes
        answer = [a - 1 for a in question[1 + annotated:]]
        assert graph.y.tolist() == ([answer] if kind == "path" else answer)


def test_symbols_and_question_types():
    assert babi_symbols(15)["edge_types"] == ["is", "has_fear"] and babi_symbols(15)["labels"] == []
    assert babi_symbols(19)["labels"] == ["n", "w", "e", "s"]
    by_type = [load_babi(4, "train", question_type=q) for q in range(4)]
    assert [len(graphs) for graphs in by_type] == [254, 232, 259, 255]
    assert all(g.question_type == q for q, graphs in enumerate(by_type) for g in graphs)
    # the first story of task 15: "1 1 2" is node 0 -is-> node 1 (edge type 0); the question "? 1 1 5"
    first = load_babi(15)[0]
    assert first.edge_index[:, 0].tolist() == [0, 1] and int(first.edge_type[0]) == 0
    assert first.x[:, 0].nonzero().view(-1).tolist() == [0] and first.y.tolist() == [4]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"'load_babi' expected 'task' to be one of the bAbI tasks \[4, 15, 16, 18"):
        load_babi(3)
    with pytest.raises(ValueError, match="'load_babi' expected 'split' to be one of"):
        load_babi(4, "val")
    with pytest.raises(ValueError, match=r"'question_type' to be None or a 0-based type in \[0, 4\) of task 4"):
        load_babi(4, question_type=4)


def test_missing_files_say_where_and_how_to_get_them(tmp_path, no_network):
    with pytest.raises(FileNotFoundError) as error:
        load_babi(16, "test", root=tmp_path)
    message = str(error.value)
    assert "16_graphs.txt" in message and str(tmp_path / "bAbI" / "processed_1" / "test") in message
    assert "argument 'root'" in message and "datasets/bAbI" in message and "never downloads" in message
    # one file missing: that one is named
    copy = tmp_path / "bAbI" / "processed_1" / "train"
    copy.mkdir(parents=True)
    for name in ("18_graphs.txt", "18_edge_types.txt", "18_node_ids.txt", "18_question_types.txt"):
        shutil.copy(FOLDER / "train" / name, copy / name)
    with pytest.raises(FileNotFoundError, match="missing 18_labels.txt"):
        load_babi(18, root=tmp_path)


def test_data_root_from_the_environment_and_malformed_lines(tmp_path, monkeypatch, no_network):
    copy = tmp_path / "bAbI" / "processed_1" / "train"
    shutil.copytree(FOLDER / "train", copy)
    monkeypatch.setenv("GNNLAB_DATA", str(tmp_path))
    assert len(load_babi(4)) == 1000
    (copy / "4_graphs.txt").write_text("1 1 2\n2 x 3\n? 1 2 1\n\n")
    with pytest.raises(ValueError, match=r"4_graphs.txt' \(got line 2: '2 x 3'\)"):
        load_babi(4)
    (copy / "4_graphs.txt").write_text("1 1 2\n? 1 2 9\n\n")  # no node 9 among the task's 4
    with pytest.raises(ValueError, match=r"task 4's questions as '\? question_type node answer_node'"):
        load_babi(4)
    # without $GNNLAB_DATA the bundled files are read; were they gone, the message says to reinstall
    monkeypatch.delenv("GNNLAB_DATA")
    monkeypatch.setattr(babi, "default_root", lambda: tmp_path / "removed")
    with pytest.raises(FileNotFoundError, match=r"\(the files bundled with gnnlab: reinstall gnnlab\)"):
        load_babi(4)


def test_the_bundled_files_are_the_package_data():
    assert (bundled_root() / "bAbI" / "PROVENANCE.md").is_file()
    with open(ROOT / "pyproject.toml", "rb") as handle:
        patterns = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["gnnlab.datasets"]
    files = sorted((ROOT / "datasets" / "bAbI").rglob("*"))
    files = [f.relative_to(ROOT / "datasets").as_posix() for f in files if f.is_file()]
    assert len(files) == 51  # 5 files per task and split, for 5 tasks, and PROVENANCE.md
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []


def _mt19937(seed: int):
    """The Mersenne Twister of Matsumoto & Nishimura (mt19937ar.c: init_genrand, genrand_int32), in plain Python."""
    state = [seed & 0xFFFFFFFF]
    for j in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + j) & 0xFFFFFFFF)
    index = 624
    while True:
        if index == 624:
            for k in range(624):
                y = (state[k] & 0x80000000) | (state[(k + 1) % 624] & 0x7FFFFFFF)
                state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            index = 0
        y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        yield y ^ (y >> 18)


def _torch7_randperm(n: int, seed: int) -> list[int]:
    """torch7's THTensor_(randperm) after torch.manualSeed(seed), 0-based."""
    draws, order = _mt19937(seed), list(range(n))
    for i in range(n - 1):
        z = next(draws) % (n - i)
        order[i], order[i + z] = order[i + z], order[i]
    return order


def test_the_split_is_the_authors_random_order():
    assert next(_mt19937(5489)) == 3499211612  # the reference output of mt19937ar.c's default seed
    order = _torch7_randperm(1000, 1023)
    train, val = babi_split()
    assert train == order[:50] and val == order[50:100]
    assert babi_split(3, 2, num_stories=7, seed=5) == (_torch7_randperm(7, 5)[:3], _torch7_randperm(7, 5)[3:5])
    assert sorted(babi_split(600, 400)[0] + babi_split(600, 400)[1]) == list(range(1000))
    with pytest.raises(ValueError, match="'babi_split' expected num_train \\+ num_val at most num_stories=1000"):
        babi_split(990, 50)
