r"""The gated GNN on the bAbI tasks it was made for, as Li et al. (2016, "Gated Graph Sequence Neural Networks",
ICLR, Table 1) train it: tasks 4, 15, 16 (node selection, :class:`~gnnlab.nn.models.GatedGraphSelector`) and 18
(a class per graph, :class:`~gnnlab.nn.models.GatedGraphClassifier`), one model per question type, trained on the
questions of the authors' 50 training stories (:func:`~gnnlab.data.babi_split`: their random choice, reproduced)
and tested on every question of the 1,000 test stories.

The settings are the authors' (``gnnlab/experiments/configs/babi/babi<task>.toml``, from their
``run_experiments.py``): state size 4, 5, 6, 3 for tasks 4, 15, 16, 18, five propagation steps, Adam with
learning rate 0.01 (0.005 for task 15) for 100, 300, 600, 400 updates of 10 questions each, drawn in turn from
successive random orders of the training questions, every gradient entry clamped to :math:`\pm 5`. The model
after the last update is tested (the authors' evaluation script reads ``model_end``), so their 50 validation
stories select nothing and are not used.

Two details of the authors' code matter on these 50 stories: the paper's GRU (the reset gate inside the product,
:class:`~gnnlab.nn.conv.GatedGraphConv` with edge types) and their choice of stories. On task 16, ten seeds each
(CPU, 2026-12-02): ``torch.nn.GRUCell`` on the first 50 stories of the file reached 100% test accuracy in 6 runs
(the others stuck at 11-66%), the paper's GRU on those stories in 7, ``GRUCell`` on the authors' stories in 8,
the paper's GRU on the authors' stories in all 10.
"""
from __future__ import annotations

import json
import logging
import os
import statistics
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch, Data
from tqdm.auto import tqdm

from gnnlab._catalog import BABI_TRAINABLE_TASKS
from gnnlab.data.babi import BABI_TASKS, babi_split, babi_symbols, load_babi
from gnnlab.experiments.config import load_config, load_published
from gnnlab.nn.models.gated_graph_classifier import GatedGraphClassifier
from gnnlab.nn.models.gated_graph_selector import GatedGraphSelector
from gnnlab.optim.clip import clip_grad_value_
from gnnlab.utils.io import atomic_write
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_positive_int, describe, fail

LOG = logging.getLogger(__name__)

#: the tasks of Li et al.'s Table 1 that a single output answers (task 19 needs their sequence model, GGS-NN)
TRAINABLE_TASKS = BABI_TRAINABLE_TASKS
#: the number of test questions per forward pass (evaluation only: the result does not depend on it)
EVAL_BATCH = 1000


def config_name(task: int) -> str:
    """The name of task ``task``'s config (``configs/babi/<name>.toml``) and of its published figure.

    Args:
        task: a bAbI task number.

    Example::

        >>> from gnnlab.experiments.babi import config_name
        >>> from gnnlab.experiments import load_config
        >>> config_name(15), load_config(config_name(15), task="babi")["train"]["lr"]
        ('babi15', 0.005)
    """
    return f"babi{task}"


def _batches(count: int, batch_size: int, generator: torch.Generator) -> Iterator[list[int]]:
    """Mini-batches of ``batch_size`` indices read in turn from successive random orders of ``range(count)``:
    a batch that reaches the end of one order continues in the next (the authors' DataLoader)."""
    order, position = torch.randperm(count, generator=generator).tolist(), 0
    while True:
        batch = []
        while len(batch) < batch_size:
            batch.append(order[position])
            position += 1
            if position == count:
                order, position = torch.randperm(count, generator=generator).tolist(), 0
        yield batch


@contextmanager
def _single_threaded() -> Iterator[None]:
    """Run with one intra-op thread, then restore the count: the models are tiny (a few hundred weights, graphs
    of at most 13 nodes), so more threads only add synchronisation, which costs 100x when the cores are busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _outputs(model: nn.Module, batch: Batch) -> torch.Tensor:
    return model(batch.x, batch.edge_index, batch.edge_type, batch.batch, batch.num_graphs)


def _loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    out = _outputs(model, batch)
    # the selector returns log-probabilities over each graph's nodes, the classifier logits
    return F.nll_loss(out, batch.y) if isinstance(model, GatedGraphSelector) else F.cross_entropy(out, batch.y)


def train_babi_model(model: nn.Module, graphs: Sequence[Data], *, lr: float, iterations: int, batch_size: int,
                     clip_value: float, seed: int) -> list[float]:
    """Train ``model`` on ``graphs`` as Li et al.: Adam, ``iterations`` mini-batches of ``batch_size`` questions
    from successive random orders, every gradient entry clamped to ``[-clip_value, clip_value]``. It runs on one
    intra-op thread (the count is restored after): the models are too small to gain from more.

    Args:
        model: a :class:`~gnnlab.nn.models.GatedGraphSelector` (loss: the answer node's negative
            log-probability) or a :class:`~gnnlab.nn.models.GatedGraphClassifier` (cross-entropy).
        graphs: the training questions (:func:`~gnnlab.data.load_babi`), at least one.
        lr: Adam's learning rate.
        iterations: the number of updates.
        batch_size: the questions per update.
        clip_value: the bound on each gradient entry.
        seed: seeds the order of the questions (the initial weights are the model's own).

    Returns:
        The training loss of each update.

    Example::

        >>> import torch
        >>> from gnnlab.data import load_babi
        >>> from gnnlab.experiments.babi import train_babi_model
        >>> from gnnlab.nn.models import GatedGraphSelector
        >>> _ = torch.manual_seed(0)
        >>> model = GatedGraphSelector(1, hidden_channels=4, num_edge_types=2)
        >>> graphs = [g for g in load_babi(4, question_type=0) if g.story < 50]
        >>> losses = train_babi_model(model, graphs, lr=0.01, iterations=20, batch_size=10, clip_value=5.0, seed=0)
        >>> len(losses), losses[-1] < losses[0]
        (20, True)
    """
    if not graphs:
        fail("train_babi_model", "at least one training graph", "none")
    generator = make_generator(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batches = _batches(len(graphs), batch_size, generator)
    model.train()
    losses = []
    with _single_threaded():
        for _ in range(iterations):
            batch = Batch.from_data_list([graphs[i] for i in next(batches)])
            loss = _loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_value_(model.parameters(), clip_value)
            optimizer.step()
            losses.append(loss.item())
    return losses


@torch.no_grad()
def count_correct(model: nn.Module, graphs: Sequence[Data]) -> int:
    """How many of ``graphs`` the model answers right (its argmax: a node, or a class).

    Args:
        model: a :class:`~gnnlab.nn.models.GatedGraphSelector` or :class:`~gnnlab.nn.models.GatedGraphClassifier`.
        graphs: questions from :func:`~gnnlab.data.load_babi`.

    Example::

        >>> import torch
        >>> from gnnlab.data import load_babi
        >>> from gnnlab.experiments.babi import count_correct
        >>> from gnnlab.nn.models import GatedGraphClassifier
        >>> _ = torch.manual_seed(0)
        >>> model = GatedGraphClassifier(2, 2, hidden_channels=3, num_edge_types=1)
        >>> 0 <= count_correct(model, load_babi(18, "test")[:100]) <= 100
        True
    """
    model.eval()
    correct = 0
    with _single_threaded():
        for start in range(0, len(graphs), EVAL_BATCH):
            batch = Batch.from_data_list(list(graphs[start:start + EVAL_BATCH]))
            correct += int((_outputs(model, batch).argmax(1) == batch.y).sum())
    return correct


def _build(task: int, model_config: Mapping[str, Any], annotation_channels: int, symbols: dict[str, list[str]],
           seed: int) -> nn.Module:
    """The task's model with initial weights drawn from ``seed`` (the global generator is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if BABI_TASKS[task][0] == "node":
            return GatedGraphSelector(annotation_channels, num_edge_types=len(symbols["edge_types"]), **model_config)
        return GatedGraphClassifier(annotation_channels, len(symbols["labels"]),
                                    num_edge_types=len(symbols["edge_types"]), **model_config)


def _check_run(tasks: Sequence[int], num_train: int, seeds: Sequence[int]) -> None:
    who = "run_babi"
    if isinstance(tasks, (str, bytes)) or not tasks or any(t not in TRAINABLE_TASKS or isinstance(t, bool)
                                                           for t in tasks):
        fail(who, f"'tasks' to be a non-empty sequence of {list(TRAINABLE_TASKS)} (task 19 needs Li et al.'s "
             f"sequence model, GGS-NN)", describe(tasks))
    check_positive_int(who, "num_train", num_train)
    if isinstance(seeds, (str, bytes)) or not seeds:
        fail(who, "'seeds' to be a non-empty sequence of non-negative integers", describe(seeds))
    for seed in seeds:
        check_positive_int(who, "seed", seed, minimum=0)


def _run_task(task: int, num_train: int, seeds: Sequence[int], root: str | os.PathLike | None,
              config: dict[str, Any], bar: tqdm) -> dict[str, Any]:
    symbols = babi_symbols(task, root)
    stories = set(babi_split(num_train, num_val=0)[0])
    train = [g for g in load_babi(task, "train", root) if g.story in stories]
    test = load_babi(task, "test", root)
    annotation_channels = BABI_TASKS[task][1]
    runs = {seed: {"correct": 0, "total": 0, "question_types": {}} for seed in seeds}
    for question_type, name in enumerate(symbols["question_types"]):
        train_q = [g for g in train if g.question_type == question_type]
        test_q = [g for g in test if g.question_type == question_type]
        for seed in seeds:
            bar.set_postfix_str(f"task {task}, question '{name}', seed {seed}")
            model = _build(task, config["model"], annotation_channels, symbols, seed)
            losses = train_babi_model(model, train_q, seed=seed, **config["train"])
            correct = count_correct(model, test_q)
            run = runs[seed]
            run["question_types"][name] = {"correct": correct, "total": len(test_q),
                                           "num_train": len(train_q), "final_loss": losses[-1]}
            run["correct"], run["total"] = run["correct"] + correct, run["total"] + len(test_q)
            bar.update()
    for run in runs.values():
        run["accuracy"] = 100.0 * run["correct"] / run["total"]
    accuracies = [run["accuracy"] for run in runs.values()]
    return {"accuracy": statistics.mean(accuracies),
            "std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
            "published": load_published("babi").get(config_name(task), {}).get("ggnn", {}).get("accuracy"),
            "num_train_stories": num_train, "config": config, "seeds": runs}


def run_babi(tasks: Sequence[int] = TRAINABLE_TASKS, num_train: int = 50, seeds: Sequence[int] = (0,),
             root: str | os.PathLike | None = None, overrides: Mapping[str, Any] | None = None,
             quick: bool = False, out: str | os.PathLike | None = None, verbose: bool = True) -> dict[int, Any]:
    """Train and test the gated GNN on bAbI tasks as Li et al. (module docstring): one model per task, question
    type and seed; the test accuracy of a task counts every test question of every type.

    Args:
        tasks: some of 4, 15, 16, 18.
        num_train: train on the questions of the first ``num_train`` stories of the authors' random order of the
            training file (:func:`~gnnlab.data.babi_split`; Li et al.: 50 stories, which hold 9 to 18 questions of
            each of task 4's 4 types, 200 questions of task 15, 50 of task 16 and 122 of task 18).
        seeds: one run per seed: it draws the initial weights and the order of the questions.
        root: the folder holding ``bAbI/processed_1/`` (default: ``$GNNLAB_DATA``, else the bundled files).
        overrides: changes to the configs, ``{"babi15.lr": 0.01}`` (:func:`~gnnlab.experiments.parse_overrides`
            with ``task="babi"``).
        quick: 5 updates per model (:data:`~gnnlab.experiments.config.QUICK`): a smoke test, not a measurement.
        out: a folder to write ``babi.json`` into (atomically), or ``None``.
        verbose: a progress bar (one step per trained model).

    Returns:
        ``{task: {"accuracy": mean over seeds (%), "std", "published": Li et al.'s figure, "num_train_stories",
        "config", "seeds": {seed: {"accuracy", "correct", "total", "question_types": {symbol: {"correct",
        "total", "num_train", "final_loss"}}}}}}``, with ``"seconds"`` per task.

    Example::

        >>> from gnnlab.experiments.babi import run_babi
        >>> results = run_babi(tasks=(4,), quick=True, verbose=False)  # 5 updates: a smoke test
        >>> sorted(results[4]["seeds"][0]["question_types"]), results[4]["seeds"][0]["total"]
        (['e', 'n', 's', 'w'], 1000)
        >>> results[4]["published"], results[4]["config"]["model"]
        (100.0, {'hidden_channels': 4, 'num_layers': 5})
    """
    tasks, seeds = list(tasks) if not isinstance(tasks, (str, bytes)) else tasks, list(seeds)
    _check_run(tasks, num_train, seeds)
    configs = {task: load_config(config_name(task), quick, task="babi", overrides=overrides) for task in tasks}
    total = sum(len(babi_symbols(task, root)["question_types"]) for task in tasks) * len(seeds)
    results = {}
    with tqdm(total=total, desc="bAbI", unit="model", disable=not verbose) as bar:
        for task in tasks:
            start = time.perf_counter()
            results[task] = _run_task(task, num_train, seeds, root, configs[task], bar)
            results[task]["seconds"] = time.perf_counter() - start
            LOG.info("bAbI task %d: %.1f%% test accuracy", task, results[task]["accuracy"])
    if out is not None:
        with atomic_write(Path(out) / "babi.json") as handle:
            json.dump({str(task): result for task, result in results.items()}, handle, indent=2)
    return results


def _pooled(runs: list[dict[str, Any]], name: str) -> float:
    """The accuracy (%) on question type ``name`` over all the runs' test questions."""
    counts = [run["question_types"][name] for run in runs]
    return 100.0 * sum(c["correct"] for c in counts) / sum(c["total"] for c in counts)


def format_babi(results: Mapping[int, Any]) -> str:
    """A Markdown table of :func:`run_babi`'s results: per task the test accuracy (mean ± std over seeds), Li et
    al.'s figure, and each question type's accuracy.

    Args:
        results: what :func:`run_babi` returned.

    Example::

        >>> from gnnlab.experiments.babi import format_babi
        >>> run = {"correct": 999, "total": 1000, "accuracy": 99.9,
        ...        "question_types": {"s": {"correct": 499, "total": 500}, "n": {"correct": 500, "total": 500}}}
        >>> print(format_babi({4: {"accuracy": 99.9, "std": 0.0, "published": 100.0, "num_train_stories": 50,
        ...                        "seconds": 3.0, "seeds": {0: run}}}))
        | bAbI task | test accuracy (%) | Li et al. (%) | per question type (%) | training stories | seconds |
        |---|---|---|---|---|---|
        | 4 | 99.9 (1 seed) | 100.0 | s 99.8, n 100.0 | 50 | 3 |
    """
    lines = ["| bAbI task | test accuracy (%) | Li et al. (%) | per question type (%) | training stories | seconds |",
             "|---|---|---|---|---|---|"]
    for task, result in results.items():
        runs = list(result["seeds"].values())
        count = len(runs)
        figure = f"{result['accuracy']:.1f}" + (f" ± {result['std']:.1f}" if count > 1 else "")
        figure += f" ({count} seed{'s' if count > 1 else ''})"
        per_type = ", ".join(f"{name} {_pooled(runs, name):.1f}" for name in runs[0]["question_types"])
        published = "" if result.get("published") is None else f"{result['published']:.1f}"
        lines.append(f"| {task} | {figure} | {published} | {per_type} | {result['num_train_stories']} | "
                     f"{result.get('seconds', 0):.0f} |")
    return "\n".join(lines)


__all__ = ["run_babi", "format_babi", "train_babi_model", "count_correct", "config_name", "TRAINABLE_TASKS"]
