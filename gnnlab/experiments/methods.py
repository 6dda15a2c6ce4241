"""The node-classification methods compared: each trains on a dataset's train mask and reports test accuracy.

Every method is a function ``(data, config, seed, device, verbose) -> MethodResult``; ``config`` is the
method's TOML file as a dict (``[model]`` and ``[train]`` tables, see :mod:`gnnlab.experiments.config`).
"""
from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from gnnlab import _catalog
from gnnlab.data.planetoid import num_classes
from gnnlab.utils.validation import fail


@dataclass
class MethodResult:
    """What one run of a method reports: its scores on the test set and how it got them.

    Args:
        scores: metric name -> value in :math:`[0, 1]`, e.g. ``{"accuracy": 0.815}``; the task names the metrics
            it expects.
        train_time: seconds the method took (training and, for embeddings, the classifier).
        device: the device it ran on, as a string (``"cpu"``, ``"cuda:0"``).
        curve: per-epoch validation accuracy (or AUC), for training curves; empty when there are no epochs.
        embedding: ``(N, d)`` node representations for t-SNE plots, or ``None``.
        predictions: ``(2, K)`` test scores and true labels for ROC curves (link prediction), or ``None``.

    Example::

        >>> from gnnlab.experiments import MethodResult
        >>> result = MethodResult({"accuracy": 0.815}, train_time=1.5, device="cpu")
        >>> result.scores["accuracy"], result.curve, result.embedding is None
        (0.815, [], True)
    """

    #: metric name -> value in [0, 1], e.g. ``{"accuracy": 0.815}``; the task names the metrics it expects
    scores: dict[str, float]
    train_time: float
    device: str
    #: per-epoch validation accuracy, for training curves (GNNs and the MLP)
    curve: list[float] = field(default_factory=list)
    #: ``(N, d)`` node representations, for t-SNE plots (embeddings and GNN hidden layers)
    embedding: np.ndarray | None = None
    #: ``(2, K)`` test scores and true labels, for ROC curves (link prediction)
    predictions: np.ndarray | None = None


def check_config(who: str, config: Mapping[str, Any], tables: Mapping[str, Iterable[str] | None]) -> None:
    """Refuse a table or key of ``config`` that ``who`` would ignore (a typo'd ``[train] epoch`` would run the
    default number of epochs): ``tables`` maps each table ``who`` reads to the keys it takes, or to ``None``
    where they go to a callable that takes any keyword (``**kwargs``) and checks its own.

    Args:
        who: the method, for the message.
        config: ``{"model": {...}, "train": {...}}`` as loaded.
        tables: table name -> the keys it may hold (e.g. from :func:`keywords`), or ``None``.

    Example::

        >>> from gnnlab.experiments.methods import check_config
        >>> check_config("gcn", {"train": {"lr": 0.01}}, {"model": ["dropout"], "train": ["lr", "epochs"]})
        >>> check_config("gcn", {"train": {"epoch": 5}}, {"train": ["lr", "epochs"]})
        Traceback (most recent call last):
            ...
        ValueError: 'gcn' expected [train] keys from ['epochs', 'lr'] (got epoch)
    """
    if "datasets" in config and "datasets" not in tables:
        # a config as loaded, with its per-dataset tables: those would be ignored, so the run is refused
        fail(who, "a config resolved for one dataset (gnnlab.experiments.for_dataset(config, dataset); "
             "Comparison does it for each cell)", f"its [datasets] tables for {', '.join(sorted(config['datasets']))}")
    unknown = sorted(set(config) - set(tables))
    if unknown:
        fail(who, f"config tables from {sorted(tables)}", ", ".join(unknown))
    for table, keys in tables.items():
        unknown = [] if keys is None else sorted(set(config.get(table, {})) - set(keys))
        if unknown:
            fail(who, f"[{table}] keys from {sorted(keys)}", ", ".join(unknown))


def keywords(target: Callable[..., Any], exclude: Iterable[str] = ()) -> list[str] | None:
    """The keyword arguments ``target`` (a function, or a class by its constructor) takes, less ``exclude`` (the
    ones the method passes itself); ``None`` when it takes ``**kwargs``, so any key may be meant for it.

    Args:
        target: what a config table's keys are passed to.
        exclude: argument names the method fills in itself (the data, the seed, the device...).

    Example::

        >>> from gnnlab.experiments.methods import keywords
        >>> from gnnlab.nn import GCN
        >>> keywords(GCN, exclude=("in_channels", "out_channels"))
        ['hidden_channels', 'num_layers', 'dropout']
    """
    parameters = inspect.signature(target).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL and p.name not in exclude]


def required(who: str, config: Mapping[str, Any], table: str, keys: Iterable[str]) -> list[Any]:
    """The values of ``keys`` in ``config[table]``, each of which the method's TOML file must give (the files
    are the one source of the settings: a method has no defaults of its own).

    Args:
        who: the method, for the message.
        config: the method's config.
        table: ``"model"``, ``"train"``...
        keys: the keys that must be there.

    Example::

        >>> from gnnlab.experiments.methods import required
        >>> required("labelprop", {"model": {"alpha": 0.99, "iterations": 50}}, "model", ["alpha", "iterations"])
        [0.99, 50]
    """
    values = config.get(table, {})
    missing = [key for key in keys if key not in values]
    if missing:
        fail(who, f"its config to give [{table}] {', '.join(missing)}", f"[{table}] {sorted(values)}")
    return [values[key] for key in keys]


def _fit_keywords() -> list[str] | None:
    from gnnlab.train import fit_node_classifier

    return keywords(fit_node_classifier, exclude=("model", "data", "seed", "device", "verbose"))


def _with_schema(runner: Callable[..., MethodResult], schema: Callable[[], dict[str, Any]]):
    """Attach ``schema() -> {table: keys or None}`` to a runner: the configs load checks every key against it."""
    runner.schema = schema
    return runner


def train_gnn(model_name: str | type[torch.nn.Module], data: Data, config: Mapping[str, Any], *, seed: int = 0,
              device: str | torch.device = "auto", verbose: bool = True,
              **options: Any) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Build a GNN from its config and train it on ``data``: ``Model(num_features, num_classes,
    **config["model"])`` with :func:`~gnnlab.train.fit_node_classifier` and ``config["train"]``. The comparison
    and ``gnnlab train`` both train their GNNs with this.

    Args:
        model_name: a name of :data:`GNN_MODELS` (``"gcn"``...), a class name in :mod:`gnnlab.nn` or a class.
        data: the graph, with ``train_mask``/``val_mask``/``test_mask``.
        config: ``{"model": {...}, "train": {...}}`` (:func:`~gnnlab.experiments.load_config`).
        seed: seeds the initial weights (``torch.manual_seed``) and training's own draws.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``...
        verbose: a progress bar.
        **options: more of :func:`~gnnlab.train.fit_node_classifier`'s arguments, which the config does not set
            (mini-batches, ``distributed``, ``checkpoint``).

    Returns:
        ``(model, history)``.

    Example::

        >>> from gnnlab.data import karate_club, random_split
        >>> from gnnlab.experiments.methods import train_gnn
        >>> data = karate_club()
        >>> data.train_mask, data.val_mask, data.test_mask = random_split(data, 0.5, 0.25, 0.25, seed=0)
        >>> config = {"model": {"hidden_channels": 8}, "train": {"epochs": 3, "lr": 0.01}}
        >>> model, history = train_gnn("gcn", data, config, seed=0, device="cpu", verbose=False)
        >>> model, history["epochs_run"]
        (GCN(34, 2, hidden_channels=8, num_layers=2, dropout=0.5), 3)
    """
    from gnnlab import nn
    from gnnlab.train import fit_node_classifier

    if isinstance(model_name, str):
        model_name = getattr(nn, GNN_MODELS.get(model_name, model_name))
    check_config(model_name.__name__, config, {"model": keywords(model_name, ("in_channels", "out_channels")),
                                                "train": _fit_keywords()})
    torch.manual_seed(seed)
    model = model_name(data.num_features, num_classes(data), **config.get("model", {}))
    history = fit_node_classifier(model, data, seed=seed, device=device, verbose=verbose,
                                  **config.get("train", {}), **options)
    return model, history


def gnn_method(model_class: str | type[torch.nn.Module]) -> Callable[..., MethodResult]:
    """A method that trains ``model_class`` (a class or the name of one in :mod:`gnnlab.nn`) with
    :func:`train_gnn`; its score is the test accuracy at the epoch of best validation accuracy.

    Args:
        model_class: the model, as :func:`train_gnn` takes it.

    Example::

        >>> from gnnlab.experiments.methods import gnn_method
        >>> run = gnn_method("GCN")
        >>> sorted(run.schema())
        ['model', 'train']
    """
    def model() -> type[torch.nn.Module]:
        from gnnlab import nn

        return getattr(nn, model_class) if isinstance(model_class, str) else model_class

    def run(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
        gnn, history = train_gnn(model(), data, config, seed=seed, device=device, verbose=verbose)
        hidden = None
        if hasattr(gnn, "embed"):
            gnn.eval()
            with torch.no_grad():
                hidden = gnn.embed(data.x.to(device), data.edge_index.to(device)).cpu().numpy()
        return MethodResult({"accuracy": history["best_test_acc"]}, history["train_time"], str(device),
                            history["val_acc"], hidden)
    return _with_schema(run, lambda: {"model": keywords(model(), ("in_channels", "out_channels")),
                                      "train": _fit_keywords()})


def estimator_keywords(class_name: str) -> list[str] | None:
    """The config keys of a random-walk estimator of :mod:`gnnlab.embedding` (the method sets the seed, the
    device and verbosity itself).

    Args:
        class_name: ``"DeepWalk"`` or ``"Node2Vec"``.

    Example::

        >>> from gnnlab.experiments.methods import estimator_keywords
        >>> "walk_length" in estimator_keywords("DeepWalk"), "seed" in estimator_keywords("DeepWalk")
        (True, False)
    """
    from gnnlab import embedding

    return keywords(getattr(embedding, class_name), exclude=("seed", "device", "verbose"))


def _embedding(class_name: str) -> Callable[..., MethodResult]:
    def run(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
        from gnnlab import embedding
        from gnnlab.embedding import evaluate_embedding

        check_config(class_name, config, run.schema())
        start = time.perf_counter()
        model = getattr(embedding, class_name)(seed=seed, device=str(device), verbose=verbose,
                                               **config.get("model", {}))
        model.fit(data)
        accuracy = evaluate_embedding(model, data)
        return MethodResult({"accuracy": accuracy}, time.perf_counter() - start, str(device),
                            embedding=model.embedding_)
    return _with_schema(run, lambda: {"model": estimator_keywords(class_name)})


_MLP_TRAIN = ("lr", "weight_decay", "patience", "epochs")


def _mlp_schema() -> dict[str, Any]:
    from gnnlab.nn import MLP

    return {"model": keywords(MLP, ("in_channels", "out_channels")), "train": list(_MLP_TRAIN)}


def _mlp(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    from gnnlab.nn import MLP
    from gnnlab.regularize import EarlyStopping
    from gnnlab.train import evaluate, fit_classifier

    check_config("mlp", config, _mlp_schema())
    lr, weight_decay, patience, epochs = required("mlp", config, "train", _MLP_TRAIN)
    required("mlp", config, "model", ["hidden_channels"])
    torch.manual_seed(seed)
    model = MLP(data.num_features, out_channels=num_classes(data), **config["model"])
    x, y = data.x, data.y
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    stopper = EarlyStopping(patience, mode="max", monitor="val_acc")
    history = fit_classifier(model, x[data.train_mask], y[data.train_mask], x_val=x[data.val_mask],
                             y_val=y[data.val_mask], epochs=epochs, batch_size=None,
                             optimizer=optimizer, early_stopping=stopper, seed=seed, device=device, verbose=verbose)
    accuracy = evaluate(model, x[data.test_mask].to(device), y[data.test_mask].to(device))[1]
    return MethodResult({"accuracy": accuracy}, history["train_time"], str(device), history["val_acc"])


def _logreg_schema() -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    return {"model": keywords(LogisticRegression, ("random_state",))}


def _logreg(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    from sklearn.linear_model import LogisticRegression

    check_config("logreg", config, _logreg_schema())
    start = time.perf_counter()
    x, y = data.x.numpy(), data.y.numpy()
    train, test = data.train_mask.numpy(), data.test_mask.numpy()
    model = LogisticRegression(random_state=seed, **config.get("model", {})).fit(x[train], y[train])
    return MethodResult({"accuracy": float(model.score(x[test], y[test]))}, time.perf_counter() - start, "cpu")


_LABELPROP = ("alpha", "iterations")


def _labelprop(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    r"""Label propagation (Zhou et al. 2004): :math:`F \leftarrow \alpha S F + (1 - \alpha) Y` with
    :math:`S = D^{-1/2} A D^{-1/2}` and :math:`Y` the one-hot training labels; predict :math:`\arg\max F`."""
    from gnnlab.nn.functional import SparseMatrix, gcn_norm

    check_config("labelprop", config, {"model": _LABELPROP})
    alpha, iterations = required("labelprop", config, "model", _LABELPROP)
    start = time.perf_counter()
    edge_index, weight = gcn_norm(data.edge_index.to(device), None, data.num_nodes, add_self_loops=False)
    matrix = SparseMatrix.from_coo(edge_index[1], edge_index[0], weight, (data.num_nodes, data.num_nodes))
    y = data.y.to(device)
    train = data.train_mask.to(device)
    seeds = torch.zeros(data.num_nodes, num_classes(data), device=device)
    seeds[train, y[train]] = 1.0
    labels = seeds.clone()
    for _ in range(iterations):
        labels = alpha * matrix.matmul(labels) + (1 - alpha) * seeds
    test = data.test_mask.to(device)
    accuracy = float((labels.argmax(1)[test] == y[test]).float().mean())
    return MethodResult({"accuracy": accuracy}, time.perf_counter() - start, str(device))


_with_schema(_mlp, _mlp_schema)
_with_schema(_logreg, _logreg_schema)
_with_schema(_labelprop, lambda: {"model": list(_LABELPROP)})


#: the GNN methods (``gnnlab train`` trains these) -> their class in :mod:`gnnlab.nn`
GNN_MODELS = _catalog.GNN_MODELS

#: method name -> runner, in the order the tables list them
METHODS: dict[str, Callable[..., MethodResult]] = {
    "mlp": _mlp,
    "logreg": _logreg,
    "labelprop": _labelprop,
    "deepwalk": _embedding("DeepWalk"),
    "node2vec": _embedding("Node2Vec"),
    **{name: gnn_method(class_name) for name, class_name in GNN_MODELS.items()},
}

#: methods whose result depends on the data alone, not on the seed: run once per dataset and split
DETERMINISTIC = frozenset({"logreg", "labelprop"})
