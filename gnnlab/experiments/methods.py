"""The node-classification methods compared: each trains on a dataset's train mask and reports test accuracy.

Every method is a function ``(data, config, seed, device, verbose) -> MethodResult``; ``config`` is the
method's TOML file as a dict (``[model]`` and ``[train]`` tables, see :mod:`gnnlab.experiments.config`).
"""
from __future__ import annotations

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
    default number of epochs, and ``--set`` accepts any key of the file): ``tables`` maps each table ``who`` reads
    to its keys, or to ``None`` where the keys go to a callable that checks its own."""
    unknown = sorted(set(config) - set(tables))
    if unknown:
        fail(who, f"config tables from {sorted(tables)}", ", ".join(unknown))
    for table, keys in tables.items():
        unknown = [] if keys is None else sorted(set(config.get(table, {})) - set(keys))
        if unknown:
            fail(who, f"[{table}] keys from {sorted(keys)}", ", ".join(unknown))


def gnn_method(model_class: str | type[torch.nn.Module]) -> Callable[..., MethodResult]:
    """A method that trains ``model_class(num_features, num_classes, **config["model"])`` (a class or the name
    of one in :mod:`gnnlab.nn`) with :func:`~gnnlab.train.fit_node_classifier` and ``config["train"]``; its
    score is the test accuracy at the epoch of best validation accuracy."""

    def run(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
        from gnnlab import nn
        from gnnlab.train import fit_node_classifier

        cls = getattr(nn, model_class) if isinstance(model_class, str) else model_class
        check_config(cls.__name__, config, {"model": None, "train": None})
        torch.manual_seed(seed)
        model = cls(data.num_features, num_classes(data), **config.get("model", {}))
        history = fit_node_classifier(model, data, seed=seed, device=device, verbose=verbose,
                                      **config.get("train", {}))
        hidden = None
        if hasattr(model, "embed"):
            model.eval()
            with torch.no_grad():
                hidden = model.embed(data.x.to(device), data.edge_index.to(device)).cpu().numpy()
        return MethodResult({"accuracy": history["best_test_acc"]}, history["train_time"], str(device),
                            history["val_acc"], hidden)
    return run


def _embedding(class_name: str) -> Callable[..., MethodResult]:
    def run(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
        from gnnlab import embedding
        from gnnlab.embedding import evaluate_embedding

        check_config(class_name, config, {"model": None})
        start = time.perf_counter()
        model = getattr(embedding, class_name)(seed=seed, device=str(device), verbose=verbose,
                                               **config.get("model", {}))
        model.fit(data)
        accuracy = evaluate_embedding(model, data)
        return MethodResult({"accuracy": accuracy}, time.perf_counter() - start, str(device),
                            embedding=model.embedding_)
    return run


def _mlp(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    from gnnlab.nn import MLP
    from gnnlab.regularize import EarlyStopping
    from gnnlab.train import evaluate, fit_classifier

    check_config("mlp", config, {"model": None, "train": ("lr", "weight_decay", "patience", "epochs")})
    model_options, train = dict(config.get("model", {})), dict(config.get("train", {}))
    torch.manual_seed(seed)
    model = MLP(data.num_features, model_options.pop("hidden_channels", [64]), num_classes(data), **model_options)
    x, y = data.x, data.y
    optimizer = torch.optim.Adam(model.parameters(), lr=train.get("lr", 0.01),
                                 weight_decay=train.get("weight_decay", 5e-4))
    stopper = EarlyStopping(train.get("patience", 50), mode="max", monitor="val_acc")
    history = fit_classifier(model, x[data.train_mask], y[data.train_mask], x_val=x[data.val_mask],
                             y_val=y[data.val_mask], epochs=train.get("epochs", 200), batch_size=None,
                             optimizer=optimizer, early_stopping=stopper, seed=seed, device=device, verbose=verbose)
    accuracy = evaluate(model, x[data.test_mask].to(device), y[data.test_mask].to(device))[1]
    return MethodResult({"accuracy": accuracy}, history["train_time"], str(device), history["val_acc"])


def _logreg(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    from sklearn.linear_model import LogisticRegression

    check_config("logreg", config, {"model": None})
    start = time.perf_counter()
    x, y = data.x.numpy(), data.y.numpy()
    train, test = data.train_mask.numpy(), data.test_mask.numpy()
    model = LogisticRegression(random_state=seed, **config.get("model", {})).fit(x[train], y[train])
    return MethodResult({"accuracy": float(model.score(x[test], y[test]))}, time.perf_counter() - start, "cpu")


def _labelprop(data: Data, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    r"""Label propagation (Zhou et al. 2004): :math:`F \leftarrow \alpha S F + (1 - \alpha) Y` with
    :math:`S = D^{-1/2} A D^{-1/2}` and :math:`Y` the one-hot training labels; predict :math:`\arg\max F`."""
    from gnnlab.nn.functional import SparseMatrix, gcn_norm

    check_config("labelprop", config, {"model": ("alpha", "iterations")})
    options = config.get("model", {})
    alpha, iterations = options.get("alpha", 0.99), options.get("iterations", 50)
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
