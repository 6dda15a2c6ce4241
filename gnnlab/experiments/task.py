"""What a comparison compares: a :class:`Task` names its methods, datasets, splits, metrics and plots.

:class:`~gnnlab.experiments.Comparison`, the report and ``gnnlab compare --task`` take a task, so a new kind of
experiment (link prediction, graph classification) is one more :class:`Task` in :data:`TASKS`, one folder of
configs (``gnnlab/experiments/configs/<name>/``) and its methods; the runner, the resumable record, the
tables and the command line are shared.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch_geometric.data import Data

from gnnlab import _catalog
from gnnlab.data.planetoid import DATASETS, load_planetoid
from gnnlab.experiments.methods import DETERMINISTIC, METHODS, MethodResult
from gnnlab.experiments.report import plot_curves, plot_scores, plot_tsne

#: a plot of a finished comparison: ``(comparison, rows, path) -> whether a file was written``
Plot = Callable[[Any, list[dict[str, Any]], Path], bool]


@dataclass(frozen=True, repr=False)
class Task:
    """One kind of experiment.

    Args:
        name: short name (``"node"``); the configs live in ``gnnlab/experiments/configs/<name>/``, the
            published figures in its ``published.toml``.
        description: what is predicted, for help texts (``"node classification"``).
        methods: method name -> ``(data, config, seed, device, verbose) -> MethodResult``, in table order.
        datasets: dataset name -> display name (``{"cora": "Cora"}``).
        load_data: ``(dataset, split, seed) -> Data``.
        splits: split name -> whether the data changes with the seed (``{"public": False, "random": True}``).
        metrics: metric name -> label, in table order; each method reports every one of them in
            :attr:`MethodResult.scores` (in ``[0, 1]``; tables show percentages). The first is the primary
            metric (bar chart).
        deterministic: methods whose result does not depend on the seed: on a split that does not change with
            the seed they run once (``n = 1``), not once per seed.
        plots: ``(name, function)``: the comparison writes ``<name>.png`` with each.
        published_split: the split the published figures were measured on (shown only beside that split).
        published_note: what the published figures are, for the note under the table.
        default_datasets: the datasets a comparison runs when none are named (empty: all of :attr:`datasets`).
        default_seeds: the seeds of a run when none are given (the command line's ``--seeds``).
        seed_name: what one seed is, for the tables (``"seed"``; ``"fold"`` where each seed is an outer fold).

    Example::

        >>> import dataclasses
        >>> from gnnlab.experiments import NODE, TASKS
        >>> sorted(TASKS), NODE.name, NODE.primary, list(NODE.datasets), NODE.default_datasets
        (['graph', 'link', 'node'], 'node', 'accuracy', ['cora', 'citeseer', 'pubmed'], ('cora', 'citeseer'))
        >>> NODE.runs_per_split("logreg", "public", seeds=3), NODE.runs_per_split("gcn", "public", seeds=3)
        (1, 3)
        >>> fast = dataclasses.replace(NODE, methods={"labelprop": NODE.methods["labelprop"]}, plots=())
        >>> list(fast.methods), fast.metrics
        (['labelprop'], {'accuracy': 'test accuracy (%)'})
    """

    name: str
    description: str
    methods: Mapping[str, Callable[..., MethodResult]]
    datasets: Mapping[str, str]
    load_data: Callable[[str, str, int], Data]
    splits: Mapping[str, bool]
    metrics: Mapping[str, str]
    deterministic: frozenset[str] = frozenset()
    plots: Sequence[tuple[str, Plot]] = field(default_factory=tuple)
    published_split: str = "public"
    published_note: str = ""
    default_datasets: tuple[str, ...] = ()
    default_seeds: int = 3
    seed_name: str = "seed"

    def __repr__(self) -> str:
        return f"Task({self.name!r})"

    @property
    def primary(self) -> str:
        """The primary metric: the first of :attr:`metrics`."""
        return next(iter(self.metrics))

    def runs_per_split(self, method: str, split: str, seeds: int) -> int:
        """How many seeds ``method`` runs on ``split``: one for a deterministic method on fixed data."""
        return 1 if method in self.deterministic and not self.splits[split] else seeds


def _load_node_data(dataset: str, split: str, seed: int) -> Data:
    return load_planetoid(dataset, split=split, seed=seed)


#: node classification on Cora, CiteSeer and PubMed (by default Cora and CiteSeer): the public Planetoid split, or a
#: stratified 60/20/20 split per seed
NODE = Task(
    name="node",
    description=_catalog.TASKS["node"].description,
    methods={name: METHODS[name] for name in _catalog.TASKS["node"].methods},
    datasets=DATASETS,
    load_data=_load_node_data,
    splits={"public": False, "random": True},
    metrics={"accuracy": "test accuracy (%)"},
    deterministic=DETERMINISTIC,
    plots=(("accuracy", plot_scores), ("curves", plot_curves), ("tsne", plot_tsne)),
    published_note="published figures are for the public Planetoid split",
    default_datasets=_catalog.TASKS["node"].default_datasets,
)

def _load_link_data(dataset: str, split: str, seed: int) -> tuple[Data, Data, Data]:
    from gnnlab.experiments.link_methods import link_data

    return link_data(dataset, split, seed)


def _link_task() -> Task:
    from gnnlab.experiments.link_methods import LINK_DETERMINISTIC, LINK_METHODS
    from gnnlab.experiments.link_report import plot_link_scores, plot_roc

    return Task(
        name="link",
        description=_catalog.TASKS["link"].description,
        methods={name: LINK_METHODS[name] for name in _catalog.TASKS["link"].methods},
        datasets=DATASETS,
        load_data=_load_link_data,
        splits={"random": True},
        metrics={"auc": "test ROC-AUC (%)", "ap": "test average precision (%)"},
        deterministic=LINK_DETERMINISTIC,
        plots=(("scores", plot_link_scores), ("roc", plot_roc), ("curves", plot_curves)),
        published_split="random",
        published_note="the split hides 5% (validation) and 10% (test) of the edges per seed, with as many "
                       "non-edges (Kipf & Welling 2016, whose figures are published)",
        default_datasets=_catalog.TASKS["link"].default_datasets,
    )


#: link prediction on Cora, CiteSeer and PubMed (Kipf & Welling 2016, Table 1; by default Cora and CiteSeer): an
#: 85/5/10 edge split per seed
LINK = _link_task()

def _load_graph_data(dataset: str, split: str, seed: int):
    from gnnlab.experiments.graph_methods import graph_fold

    return graph_fold(dataset, split, seed)


def _graph_task() -> Task:
    from gnnlab.experiments.graph_methods import GRAPH_METHODS

    info = _catalog.TASKS["graph"]
    return Task(
        name="graph",
        description=info.description,
        methods={name: GRAPH_METHODS[name] for name in info.methods},
        datasets=_catalog.TU_DATASETS,
        load_data=_load_graph_data,
        splits={"folds": True},
        metrics={"accuracy": "test accuracy (%)"},
        plots=(("accuracy", plot_scores), ("curves", plot_curves)),
        published_split="folds",
        published_note="Errica et al. 2020's protocol: each seed is one of 10 stratified outer folds, the model "
                       "selected on a stratified 10% hold-out of the fold's training graphs over the grid in the "
                       "method's config, then measured once on the fold's test graphs",
        default_datasets=info.default_datasets,
        default_seeds=info.default_seeds,
        seed_name=info.seed_name,
    )


#: graph classification on the TU benchmarks (Errica et al. 2020's protocol): 10 stratified outer folds
GRAPH = _graph_task()

#: the tasks ``gnnlab compare --task`` offers, by name
TASKS: dict[str, Task] = {"node": NODE, "link": LINK, "graph": GRAPH}

__all__ = ["Task", "NODE", "LINK", "GRAPH", "TASKS", "Plot"]
