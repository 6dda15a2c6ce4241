r"""The symbolic bAbI tasks as graphs, as Li et al. (2016, "Gated Graph Sequence Neural Networks", ICLR) train
their gated GNN on them: bundled with gnnlab (``datasets/bAbI/``, installed as package data of
``gnnlab.datasets``; ``bAbI/PROVENANCE.md`` gives their sources and licences: the GGNN authors' conversion, MIT,
of Weston et al.'s bAbI tasks, CC BY 3.0).

Each file ``processed_1/<split>/<task>_graphs.txt`` holds 1,000 *stories*, separated by blank lines: one line
``source edge_type target`` per fact (1-based ids) and one line per question, starting with ``?``: the question
type, the question's nodes, the answer. Each question is one example, so a story with four questions gives four
graphs that share their edges and differ in their annotations. The symbol of every id is in
``<task>_node_ids.txt``, ``<task>_edge_types.txt``, ``<task>_question_types.txt`` and ``<task>_labels.txt``
(``name=id`` lines).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from gnnlab._catalog import data_origin, default_root
from gnnlab.utils.validation import check_choice, check_positive_int, describe, fail

#: what a question of each task asks for: one of the graph's nodes ("node": tasks 4, 15, 16), a class of the
#: whole graph ("graph": task 18, true or false) or a sequence of classes ("path": task 19, the directions of
#: a path); and how many of the question's nodes are marked in the annotations (one bit each)
BABI_TASKS = {4: ("node", 1), 15: ("node", 1), 16: ("node", 1), 18: ("graph", 2), 19: ("path", 2)}
SPLITS = ("train", "test")
#: the folder of the bundled conversion, below the data root
BABI_FOLDER = Path("bAbI") / "processed_1"
_SOURCE = ("the GGNN authors' conversion: fold 1 of github.com/yujiali/ggnn (babi/data/get_10_fold_data.sh), "
           "also shipped as babi_data/processed_1 in github.com/chingyaoc/ggnn.pytorch")
_SYMBOLS = {"nodes": "node_ids", "edge_types": "edge_types", "question_types": "question_types",
            "labels": "labels"}


def _check_task(who: str, task: object) -> int:
    if task not in BABI_TASKS or isinstance(task, bool):
        fail(who, f"'task' to be one of the bAbI tasks {sorted(BABI_TASKS)}", describe(task))
    return int(task)


def _folder(who: str, root: str | os.PathLike | None, split: str, names: list[str]) -> Path:
    """The split's folder, once every file in ``names`` is there."""
    root_path = Path(root).expanduser() if root is not None else default_root()
    folder = root_path / BABI_FOLDER / split
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        where = data_origin(root)
        fail(who, f"the bAbI files in '{folder}' ({where}); copy them there from gnnlab's datasets/bAbI/ "
             f"(bundled in the package under gnnlab/datasets/bAbI/) or take them from {_SOURCE} (gnnlab never "
             f"downloads)", f"missing {', '.join(missing)}", FileNotFoundError)
    return folder


def _read_symbols(path: Path) -> list[str]:
    """``name=id`` lines -> the names in the order of their 1-based ids."""
    pairs = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            name, sep, value = line.strip().rpartition("=")
            if not sep or not value.isdigit():
                fail("load_babi", f"'name=id' lines in '{path}'", f"line {number}: {line!r}")
            pairs[int(value)] = name
    if sorted(pairs) != list(range(1, len(pairs) + 1)):
        fail("load_babi", f"the ids 1..{len(pairs)} in '{path}'", sorted(pairs))
    return [pairs[i] for i in range(1, len(pairs) + 1)]


def babi_symbols(task: int, root: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """The symbol behind every 0-based id of a bAbI task: its nodes, edge types, question types and answer labels
    (the labels of tasks 18 and 19; the node-selection tasks answer with a node and have none).

    Args:
        task: 4, 15, 16, 18 or 19.
        root: the folder holding ``bAbI/processed_1/``; defaults to :func:`~gnnlab.data.default_root`
            (``$GNNLAB_DATA``, else the bundled files).

    Example::

        >>> from gnnlab.data import babi_symbols
        >>> symbols = babi_symbols(4)  # two-argument relations: "the kitchen is north of the office"
        >>> symbols["edge_types"], symbols["question_types"], symbols["nodes"]
        (['n', 'e'], ['s', 'e', 'w', 'n'], ['A', 'C', 'B', 'D'])
        >>> babi_symbols(18)["labels"]
        ['true', 'false']
    """
    task = _check_task("babi_symbols", task)
    names = [f"{task}_{stem}.txt" for stem in _SYMBOLS.values()]
    folder = _folder("babi_symbols", root, "train", names)
    return {key: _read_symbols(folder / f"{task}_{stem}.txt") for key, stem in _SYMBOLS.items()}


def babi_split(num_train: int = 50, num_val: int = 50, num_stories: int = 1000,
               seed: int = 1023) -> tuple[list[int], list[int]]:
    """The stories Li et al. train and validate on: the first ``num_train`` and the next ``num_val`` entries of a
    random order of the file's ``num_stories`` stories (0-based indices), drawn as the authors' code draws it.

    Their ``babi_data.split_set`` seeds torch7's generator with 1023 and takes ``torch.randperm``: a Mersenne
    Twister (MT19937, seeded by ``init_genrand``) whose 32-bit draws :math:`u_i` shuffle ``0 .. n-1`` from the
    front, swapping entry :math:`i` with entry :math:`i + (u_i \bmod (n - i))`. NumPy's legacy ``RandomState``
    is the same generator with the same seeding, and its stream is frozen, so the order is reproduced exactly:
    these are the paper's 50 training stories of every task and fold (the same indices for all of them).

    Args:
        num_train: the training stories.
        num_val: the validation stories, after them.
        num_stories: the stories in the file (1,000).
        seed: the seed of the order (the authors': 1023).

    Example::

        >>> from gnnlab.data import babi_split
        >>> train, val = babi_split()
        >>> len(train), len(val), sorted(train)[:5]
        (50, 50, [6, 41, 59, 67, 69])
        >>> set(train) & set(val)
        set()
    """
    who = "babi_split"
    num_stories = check_positive_int(who, "num_stories", num_stories)
    num_train = check_positive_int(who, "num_train", num_train, minimum=0)
    num_val = check_positive_int(who, "num_val", num_val, minimum=0)
    check_positive_int(who, "seed", seed, minimum=0)
    if num_train + num_val > num_stories:
        fail(who, f"num_train + num_val at most num_stories={num_stories}", num_train + num_val)
    draws = np.random.RandomState(seed).randint(0, 2**32, size=num_stories - 1, dtype=np.uint64)
    order = list(range(num_stories))
    for i, draw in enumerate(draws.tolist()):
        j = i + draw % (num_stories - i)
        order[i], order[j] = order[j], order[i]
    return order[:num_train], order[num_train:num_train + num_val]


def _parse_stories(path: Path) -> list[tuple[list[list[int]], list[tuple[int, list[int]]]]]:
    """The stories of a graphs file: (edges, questions), each question with its line number."""
    stories, edges, questions = [], [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        tokens = line.split()
        if not tokens:
            if edges or questions:
                stories.append((edges, questions))
            edges, questions = [], []
            continue
        question = tokens[0] == "?"
        values = tokens[1:] if question else tokens
        if not all(value.isdigit() for value in values) or (not question and len(values) != 3):
            fail("load_babi", f"lines 'source edge_type target' or '? question_type ...' of positive ids in "
                 f"'{path}'", f"line {number}: {line!r}")
        if question:
            questions.append((number, [int(value) for value in values]))
        else:
            edges.append([int(value) for value in values])
    if edges or questions:
        stories.append((edges, questions))
    return stories


def _example(task: int, edges: list[list[int]], question: list[int], number: int, path: Path,
             counts: dict[str, int]) -> Data:
    """One question as a graph: 0-based ids, the question's nodes marked in ``x``, the answer in ``y``."""
    kind, annotated = BABI_TASKS[task]
    question_type, nodes, answer = question[0], question[1:1 + annotated], question[1 + annotated:]
    ok = len(nodes) == annotated and len(answer) >= 1 and (kind == "path" or len(answer) == 1)
    ok = ok and 1 <= question_type <= counts["question_types"] and all(1 <= n <= counts["nodes"] for n in nodes)
    limit = counts["nodes"] if kind == "node" else counts["labels"]
    if not ok or not all(1 <= a <= limit for a in answer):
        shape = "question_type node answer_node" if kind == "node" else \
            "question_type node node label" if kind == "graph" else "question_type node node label label ..."
        fail("load_babi", f"task {task}'s questions as '? {shape}' with ids within the task's symbols in "
             f"'{path}'", f"line {number}: {question}")
    edge = torch.tensor(edges, dtype=torch.long).view(-1, 3) - 1
    x = torch.zeros(counts["nodes"], annotated)
    x[torch.tensor(nodes) - 1, torch.arange(annotated)] = 1.0
    y = torch.tensor(answer) - 1
    return Data(x=x, edge_index=edge[:, [0, 2]].t().contiguous(), edge_type=edge[:, 1].contiguous(),
                y=y.view(1, -1) if kind == "path" else y, question_type=question_type - 1)


def load_babi(task: int, split: str = "train", root: str | os.PathLike | None = None,
              question_type: int | None = None) -> list[Data]:
    """The questions of a bAbI task as graphs, one :class:`~torch_geometric.data.Data` per question, in the
    order of the file (Li et al.'s encoding):

    * ``x``: ``(N, A)`` node annotations, bit :math:`a` set on the question's :math:`a`-th node (``A = 1`` for
      tasks 4, 15, 16, ``A = 2`` for 18 and 19: :data:`BABI_TASKS`). :math:`N` is the task's number of symbols,
      the same for every graph (as the authors' code: symbols absent from a story are isolated nodes);
    * ``edge_index``: ``(2, E)`` the story's facts, source to target; ``edge_type``: ``(E,)`` in
      ``[0, K)``;
    * ``y``: the answer, 0-based: ``(1,)`` the answer node (tasks 4, 15, 16: an index into the graph's own
      nodes) or the class (task 18: 0 true, 1 false); ``(1, L)`` the path's directions (task 19);
    * ``question_type`` (0-based) and ``story``, the 0-based index of the story in the file (a story with
      several questions gives several graphs; Li et al.'s "50 training examples" are 50 stories:
      :func:`babi_split`).

    Every id is the file's minus one; :func:`babi_symbols` names them. The files are read from disk only:
    nothing is downloaded; a missing file raises :class:`FileNotFoundError` naming it, a malformed line
    :class:`ValueError` naming the file and line.

    Args:
        task: 4 (two-argument relations), 15 (basic deduction), 16 (basic induction), 18 (size reasoning) or
            19 (path finding).
        split: ``"train"`` or ``"test"`` (1,000 stories each).
        root: the folder holding ``bAbI/processed_1/<split>/``; defaults to :func:`~gnnlab.data.default_root`
            (``$GNNLAB_DATA``, else the bundled files).
        question_type: keep only the questions of this (0-based) type; ``None``: all of them.

    Example::

        >>> from gnnlab.data import load_babi
        >>> graphs = load_babi(15)  # "sheep are afraid of wolves; Gertrude is a sheep; what is Gertrude afraid of?"
        >>> len(graphs), len({g.story for g in graphs})  # four questions per story
        (4000, 1000)
        >>> graphs[0]
        Data(x=[8, 1], edge_index=[2, 8], y=[1], edge_type=[8], question_type=0, story=0)
        >>> graphs[0].x.t(), graphs[0].y  # node 0 is asked about; the answer is node 4
        (tensor([[1., 0., 0., 0., 0., 0., 0., 0.]]), tensor([4]))
        >>> [len(load_babi(4, "test", question_type=q)) for q in range(4)]
        [233, 253, 260, 254]
    """
    who = "load_babi"
    task = _check_task(who, task)
    check_choice(who, "split", split, SPLITS)
    kind = BABI_TASKS[task][0]
    names = [f"{task}_graphs.txt", *(f"{task}_{stem}.txt" for key, stem in _SYMBOLS.items()
                                     if key != "labels" or kind != "node")]
    folder = _folder(who, root, split, names)
    counts = {key: len(_read_symbols(folder / f"{task}_{stem}.txt")) for key, stem in _SYMBOLS.items()
              if key != "labels" or kind != "node"}
    if question_type is not None and (isinstance(question_type, bool) or not isinstance(question_type, int)
                                      or not 0 <= question_type < counts["question_types"]):
        fail(who, f"'question_type' to be None or a 0-based type in [0, {counts['question_types']}) of task {task}",
             describe(question_type))
    path = folder / f"{task}_graphs.txt"
    graphs = []
    for story, (edges, questions) in enumerate(_parse_stories(path)):
        if any(not (1 <= s <= counts["nodes"] and 1 <= t <= counts["nodes"] and 1 <= k <= counts["edge_types"])
               for s, k, t in edges) or not questions:
            fail(who, f"stories of edges between the task's {counts['nodes']} nodes with types in "
                 f"1..{counts['edge_types']}, and questions, in '{path}'", f"story {story}: {edges}")
        for number, question in questions:
            if question_type is not None and question[0] - 1 != question_type:
                continue
            data = _example(task, edges, question, number, path, counts)
            data.story = story
            graphs.append(data)
    return graphs


__all__ = ["load_babi", "babi_symbols", "babi_split", "BABI_TASKS"]
