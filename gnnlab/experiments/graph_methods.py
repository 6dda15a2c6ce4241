"""The graph-classification methods compared on the TU benchmarks, under Errica et al.'s protocol (ICLR 2020,
"A Fair Comparison of Graph Neural Networks for Graph Classification"): 10 stratified outer folds; inside each,
model selection over the method's grid on a stratified 90/10 hold-out of the fold's training graphs; the
selected model's accuracy on the fold's test graphs, measured once.

Every method is ``(fold, config, seed, device, verbose) -> MethodResult``, ``fold`` a :class:`GraphFold` (the
comparison's "seed" is the fold). A config's ``[grid]`` table lists, for some keys of its ``[model]`` and
``[train]`` tables, the values to select from (every combination is trained; ``[model]``/``[train]`` hold the
values used by ``--quick`` and the keys the grid leaves alone).
"""
from __future__ import annotations

import copy
import functools
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from gnnlab._catalog import TU_DATASETS
from gnnlab.experiments.methods import MethodResult, _with_schema, check_config, keywords
from gnnlab.utils.validation import fail

#: the outer folds of the protocol (a comparison's seeds are folds 0 .. seeds - 1 of these)
NUM_FOLDS = 10
#: the share of an outer training fold held out for model selection
HOLDOUT = 0.1
#: the seed of the outer folds (fixed: every method and every run sees the same folds)
FOLD_SEED = 0


@dataclass(frozen=True)
class GraphFold:
    """One outer fold of a TU dataset: the graphs, and the indices of the inner training graphs, the held-out
    graphs that select the model, and the test graphs.

    Args:
        name: the dataset's display name (``"MUTAG"``).
        graphs: every graph of the dataset (PyG ``Data`` with ``x``, ``edge_index``, ``y``).
        train: inner training graphs (indices into ``graphs``).
        holdout: held-out graphs of the model selection.
        test: the fold's test graphs.
        fold: the outer fold's number.

    Example::

        >>> from gnnlab.experiments.graph_methods import graph_fold
        >>> fold = graph_fold("mutag", "folds", 0)
        >>> fold.name, len(fold.train), len(fold.holdout), len(fold.test), fold.num_features, fold.num_classes
        ('MUTAG', 152, 17, 19, 7, 2)
    """

    name: str
    graphs: Any
    train: Tensor
    holdout: Tensor
    test: Tensor
    fold: int

    @property
    def num_features(self) -> int:
        return int(self.graphs[0].x.size(1))

    @property
    def num_classes(self) -> int:
        return int(max(int(graph.y.max()) for graph in self.graphs)) + 1

    def subset(self, part: str) -> list[Data]:
        """The graphs of ``part`` (``"train"``, ``"holdout"`` or ``"test"``)."""
        return [self.graphs[i] for i in getattr(self, part).tolist()]


@functools.lru_cache(maxsize=8)
def _graphs(dataset: str) -> tuple[Data, ...]:
    """The dataset's graphs, each with features: graphs without node labels (IMDB-BINARY) get their one-hot
    degree, as in Xu et al. and Errica et al."""
    from torch_geometric.transforms import OneHotDegree

    from gnnlab.data.tu import load_tu

    graphs = load_tu(dataset)
    if graphs.num_features > 0:
        return tuple(graphs[i] for i in range(len(graphs)))
    from gnnlab.utils.graph import degree

    max_degree = max(int(degree(g.edge_index[0], g.num_nodes).max()) if g.num_edges else 0 for g in graphs)
    transform = OneHotDegree(max_degree)
    return tuple(transform(graphs[i]) for i in range(len(graphs)))


@functools.lru_cache(maxsize=8)
def _outer_folds(dataset: str) -> tuple[tuple[Tensor, Tensor], ...]:
    from gnnlab.data.split import stratified_folds

    labels = torch.cat([graph.y.view(-1) for graph in _graphs(dataset)])
    return tuple(stratified_folds(labels, NUM_FOLDS, seed=FOLD_SEED))


def graph_fold(dataset: str, split: str, fold: int) -> GraphFold:
    """Outer fold ``fold`` of ``dataset`` with its inner hold-out (seeded by the fold): the data of one cell of
    the graph-classification comparison.

    Args:
        dataset: a TU dataset's name (any case).
        split: ``"folds"`` (the protocol's only split).
        fold: ``0 .. 9``.

    Example::

        >>> from gnnlab.experiments.graph_methods import graph_fold
        >>> a, b = graph_fold("mutag", "folds", 0), graph_fold("mutag", "folds", 1)
        >>> set(a.test.tolist()) & set(b.test.tolist())
        set()
    """
    from gnnlab.data.split import holdout_split

    if split != "folds":
        fail("graph_fold", "'split' to be 'folds'", repr(split))
    if not 0 <= fold < NUM_FOLDS:
        fail("graph_fold", f"'fold' in 0 .. {NUM_FOLDS - 1} (the protocol's {NUM_FOLDS} outer folds; run at most "
             f"{NUM_FOLDS} seeds)", fold)
    graphs = _graphs(dataset)
    train, test = _outer_folds(dataset)[fold]
    labels = torch.cat([graph.y.view(-1) for graph in graphs])
    inner, holdout = holdout_split(train, labels, fraction=HOLDOUT, seed=fold)
    return GraphFold(TU_DATASETS[dataset.lower()], graphs, inner, holdout, test, fold)


def grid_points(who: str, config: Mapping[str, Any]) -> list[dict[str, dict[str, Any]]]:
    """Every combination of the ``[grid]`` values, each a ``{"model": {...}, "train": {...}}`` config (in the
    order of the grid's keys, the last varying fastest); without a grid, the config itself.

    Args:
        who: the method, for messages.
        config: the method's config; each grid key must be a key of exactly one of its other tables.

    Example::

        >>> from gnnlab.experiments.graph_methods import grid_points
        >>> config = {"model": {"hidden_channels": 32}, "train": {"lr": 0.01},
        ...           "grid": {"hidden_channels": [32, 64], "lr": [0.01]}}
        >>> grid_points("gin", config)
        [{'model': {'hidden_channels': 32}, 'train': {'lr': 0.01}},
         {'model': {'hidden_channels': 64}, 'train': {'lr': 0.01}}]
    """
    grid = dict(config.get("grid", {}))
    base = {table: dict(values) for table, values in config.items() if table != "grid"}
    owners = {}
    for key, values in grid.items():
        tables = [table for table, entries in base.items() if key in entries]
        if len(tables) != 1:
            fail(who, f"[grid] key '{key}' to be a key of exactly one other table (the value --quick uses)",
                 f"found in {tables or 'none'}")
        if not isinstance(values, list) or not values:
            fail(who, f"[grid] '{key}' to be a non-empty list of values", repr(values))
        owners[key] = tables[0]
    points = []
    for combination in itertools.product(*grid.values()):
        point = copy.deepcopy(base)
        for key, value in zip(grid, combination):
            point[owners[key]][key] = value
        points.append(point)
    return points or [copy.deepcopy(base)]


def _train_keywords() -> list[str] | None:
    from gnnlab.train.graph_classification import fit_graph_classifier

    return keywords(fit_graph_classifier, ("model", "train_graphs", "val_graphs", "seed", "device", "verbose",
                                            "on_epoch_end"))


def _selected(who: str, fold: GraphFold, config: Mapping[str, Any], seed: int, device: torch.device,
              verbose: bool, build: Callable[..., nn.Module]) -> MethodResult:
    """Train every grid point on the inner training graphs, keep the one of best held-out accuracy (ties: lower
    held-out loss, then the earlier point), and measure it once on the test graphs."""
    from gnnlab.train.graph_classification import evaluate_graph_classifier, fit_graph_classifier

    start = time.perf_counter()
    train, holdout = fold.subset("train"), fold.subset("holdout")
    best = None
    for point in grid_points(who, config):
        torch.manual_seed(seed)
        model = build(fold.num_features, fold.num_classes, **point.get("model", {}))
        history = fit_graph_classifier(model, train, holdout, seed=seed, device=device, verbose=verbose,
                                       **point.get("train", {}))
        epoch = history["best_epoch"]
        score = (history["val_acc"][epoch], -history["val_loss"][epoch])
        if best is None or score > best[0]:
            best = (score, model, history)
    _, model, history = best
    accuracy = evaluate_graph_classifier(model, fold.subset("test"), device=device)[1]
    return MethodResult({"accuracy": accuracy}, time.perf_counter() - start, str(device), history["val_acc"])


class SummedFeaturesMLP(nn.Module):
    r"""Errica et al.'s structure-agnostic baseline: the node features summed over each graph, then an MLP,
    :math:`z_G = W_2 \operatorname{ReLU}(W_1 \sum_{v \in G} x_v + b_1) + b_2` (the edges are never read).

    Args:
        in_channels: node features.
        out_channels: classes.
        hidden_channels: the MLP's hidden width.

    Example::

        >>> import torch
        >>> from gnnlab.experiments.graph_methods import SummedFeaturesMLP
        >>> model = SummedFeaturesMLP(3, 2, hidden_channels=8)
        >>> x, batch = torch.ones(5, 3), torch.tensor([0, 0, 1, 1, 1])
        >>> model(x, torch.empty(2, 0, dtype=torch.long), batch, 2).shape
        torch.Size([2, 2])
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 32) -> None:
        """See :class:`SummedFeaturesMLP` for the arguments."""
        super().__init__()
        self.lin1 = nn.Linear(in_channels, hidden_channels)
        self.lin2 = nn.Linear(hidden_channels, out_channels)

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None, size: int | None = None) -> Tensor:
        from gnnlab.nn.pool import global_add_pool

        return self.lin2(torch.relu(self.lin1(global_add_pool(x, batch, size))))


def _model_builder(name: str) -> Callable[..., nn.Module]:
    from gnnlab.nn.models import GIN, GraphClassifier

    if name == "gin":
        return GIN
    if name == "baseline":
        return SummedFeaturesMLP
    return functools.partial(GraphClassifier, conv=name)


def _model_keywords(name: str) -> list[str] | None:
    from gnnlab.nn.models import GIN, GraphClassifier

    target = {"gin": GIN, "baseline": SummedFeaturesMLP}.get(name, GraphClassifier)
    return keywords(target, ("in_channels", "out_channels", "conv"))


def trained_method(name: str) -> Callable[..., MethodResult]:
    """The method that selects and trains model ``name`` (``"baseline"``, ``"gcn"``, ``"sage"``, ``"gat"``,
    ``"ggnn"`` or ``"gin"``) under the protocol.

    Args:
        name: the model.

    Example::

        >>> from gnnlab.experiments.graph_methods import trained_method
        >>> sorted(trained_method("gin").schema())
        ['grid', 'model', 'train']
    """
    def run(fold: GraphFold, config: dict[str, Any], seed: int, device: torch.device, verbose: bool):
        check_config(name, config, run.schema())
        return _selected(name, fold, config, seed, device, verbose, _model_builder(name))

    return _with_schema(run, lambda: {"model": _model_keywords(name), "train": _train_keywords(), "grid": None})


def _kernel_method(kind: str) -> Callable[..., MethodResult]:
    """The WL subtree kernel with an SVM (``"wl"``) or the WL feature vectors with logistic regression
    (``"wl_features"``: the graph-embedding baseline), C and the WL depth selected on the hold-out."""
    def schema() -> dict[str, Any]:
        return {"model": ["num_iterations", "C"], "grid": None}

    def run(fold: GraphFold, config: dict[str, Any], seed: int, device: torch.device, verbose: bool):
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import normalize
        from sklearn.svm import SVC

        from gnnlab.kernels import WeisfeilerLehman

        check_config(kind, config, schema())
        start = time.perf_counter()
        labels = {part: np.array([int(g.y) for g in fold.subset(part)]) for part in ("train", "holdout", "test")}
        best = None
        points = grid_points(kind, config)
        depths = sorted({point["model"]["num_iterations"] for point in points})
        for depth in depths:
            wl = WeisfeilerLehman(num_iterations=depth, normalize=True)
            if kind == "wl":
                inputs = {"train": wl.fit_transform(fold.subset("train"))}
                inputs.update({part: wl.transform(fold.subset(part)) for part in ("holdout", "test")})
            else:
                wl.fit(fold.subset("train"))
                inputs = {part: normalize(wl.features(fold.subset(part))) for part in ("train", "holdout", "test")}
            for point in (p for p in points if p["model"]["num_iterations"] == depth):
                c = point["model"]["C"]
                classifier = SVC(kernel="precomputed", C=c) if kind == "wl" else \
                    LogisticRegression(C=c, max_iter=2000)
                classifier.fit(inputs["train"], labels["train"])
                score = classifier.score(inputs["holdout"], labels["holdout"])
                if best is None or score > best[0]:
                    best = (score, classifier, inputs["test"])
        _, classifier, test_inputs = best
        accuracy = float(classifier.score(test_inputs, labels["test"]))
        return MethodResult({"accuracy": accuracy}, time.perf_counter() - start, "cpu")

    return _with_schema(run, schema)


#: method name -> runner, in the order the tables list them
GRAPH_METHODS: dict[str, Callable[..., MethodResult]] = {
    "baseline": trained_method("baseline"),
    "wl": _kernel_method("wl"),
    "wl_features": _kernel_method("wl_features"),
    **{name: trained_method(name) for name in ("gcn", "sage", "gat", "ggnn", "gin")},
}

#: the kernel methods do not depend on the seed, but the fold is the seed here: each fold runs once anyway
GRAPH_DETERMINISTIC: frozenset[str] = frozenset()

__all__ = ["GraphFold", "graph_fold", "grid_points", "trained_method", "SummedFeaturesMLP", "GRAPH_METHODS",
           "NUM_FOLDS"]
