"""Training a graph classifier on mini-batches of graphs (PyG's ``DataLoader``), the epoch selected on held-out
graphs."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from gnnlab.regularize.best_epoch import BestEpoch
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train.loop import check_loop_arguments, run_epochs
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int, describe, fail


def _batches(graphs: Sequence[Data], batch_size: int, generator: torch.Generator | None = None) -> DataLoader:
    return DataLoader(graphs, batch_size=batch_size, shuffle=generator is not None, generator=generator)


def _logits(model: nn.Module, batch: Data) -> torch.Tensor:
    return model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)


@torch.no_grad()
def evaluate_graph_classifier(model: nn.Module, graphs: Sequence[Data], batch_size: int = 256,
                              device: str | torch.device | None = None) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of a graph classifier on ``graphs``, in evaluation mode.

    Args:
        model: ``model(x, edge_index, batch, num_graphs) -> (B, C)`` logits (:class:`~gnnlab.nn.models.GIN`,
            :class:`~gnnlab.nn.models.GraphClassifier`); it is left in evaluation mode.
        graphs: PyG ``Data`` with ``x``, ``edge_index`` and ``y`` (a dataset or a list).
        batch_size: graphs per forward pass.
        device: where to evaluate (default: where the model's parameters are).

    Example::

        >>> from gnnlab.data import load_tu
        >>> from gnnlab.nn.models import GIN
        >>> from gnnlab.train import evaluate_graph_classifier
        >>> dataset = load_tu("MUTAG")
        >>> loss, accuracy = evaluate_graph_classifier(GIN(7, 2), dataset)
        >>> 0.0 <= accuracy <= 1.0
        True
    """
    if device is None:
        device = next(model.parameters()).device
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for batch in _batches(graphs, batch_size):
        batch = batch.to(device)
        logits = _logits(model, batch)
        target = batch.y.view(-1)
        total_loss += float(F.cross_entropy(logits, target, reduction="sum"))
        correct += int((logits.argmax(1) == target).sum())
        count += target.numel()
    return total_loss / max(count, 1), correct / max(count, 1)


def fit_graph_classifier(
    model: nn.Module,
    train_graphs: Sequence[Data],
    val_graphs: Sequence[Data] | None = None,
    *,
    epochs: int = 100,
    batch_size: int = 32,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    lr_step: int | None = None,
    lr_gamma: float = 0.5,
    patience: int | None = None,
    seed: int | None = 0,
    device: str | torch.device = "auto",
    verbose: bool = True,
    on_epoch_end: Callable[[int, Mapping[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Minimise the cross-entropy of a graph classifier over mini-batches of ``train_graphs`` with Adam, evaluate
    on ``val_graphs`` after every epoch, and end with the parameters of the epoch of best validation accuracy
    (ties: the lower validation loss, then the earlier epoch). The test graphs are not an argument: a model is
    selected without them.

    Args:
        model: ``model(x, edge_index, batch, num_graphs) -> (B, C)`` logits; trained in place.
        train_graphs: PyG ``Data`` with ``x``, ``edge_index`` and ``y`` of shape ``(1,)``.
        val_graphs: held-out graphs that select the epoch (``None``: the last epoch is kept).
        epochs: the most epochs.
        batch_size: graphs per step; the order is reshuffled every epoch (seeded).
        lr: Adam's learning rate.
        weight_decay: Adam's L2 penalty.
        lr_step: halve (``lr_gamma``) the learning rate every ``lr_step`` epochs (Xu et al.: 50); ``None``: fixed.
        lr_gamma: the factor of each step of ``lr_step``.
        patience: stop when validation accuracy has not improved for this many epochs (needs ``val_graphs``).
        seed: shuffling and dropout (a forked global generator: the caller's state is untouched).
        device: where to train (``"auto"``: CUDA when available).
        verbose: a progress bar.
        on_epoch_end: called as ``on_epoch_end(epoch, metrics)`` after each epoch.

    Returns:
        history with per-epoch ``train_loss`` and ``train_acc`` (of the training pass), ``val_loss`` and
        ``val_acc``; ``best_epoch``, ``best_val_acc``, ``epochs_run``, ``train_time``.

    Example::

        >>> from gnnlab.data import load_tu
        >>> from gnnlab.nn.models import GIN
        >>> from gnnlab.train import fit_graph_classifier
        >>> dataset = load_tu("MUTAG")
        >>> history = fit_graph_classifier(GIN(7, 2), dataset[:150], dataset[150:], epochs=3, seed=0,
        ...                                device="cpu", verbose=False)
        >>> history["epochs_run"], len(history["val_acc"])
        (3, 3)
    """
    who = "fit_graph_classifier"
    check_loop_arguments(who, model, epochs)
    _check_graphs(who, "train_graphs", train_graphs)
    if val_graphs is not None:
        _check_graphs(who, "val_graphs", val_graphs)
    batch_size = check_positive_int(who, "batch_size", batch_size)
    check_number(who, "lr", lr, low=0.0, low_open=True)
    check_number(who, "weight_decay", weight_decay, low=0.0)
    if lr_step is not None:
        check_positive_int(who, "lr_step", lr_step)
    check_number(who, "lr_gamma", lr_gamma, low=0.0, low_open=True, high=1.0)
    if patience is not None:
        check_positive_int(who, "patience", patience)
        if val_graphs is None:
            fail(who, "'val_graphs' when 'patience' is given", "no validation graphs")

    device = resolve_device(device)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = None if lr_step is None else torch.optim.lr_scheduler.StepLR(optimizer, lr_step, gamma=lr_gamma)
    generator = make_generator(seed)
    loader = _batches(train_graphs, batch_size, generator)

    def train_epoch(epoch: int) -> dict[str, float]:
        total = torch.zeros((), dtype=torch.float64, device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        count = 0
        for batch in loader:
            batch = batch.to(device)
            optimizer.zero_grad(set_to_none=True)
            logits = _logits(model, batch)
            target = batch.y.view(-1)
            loss = F.cross_entropy(logits, target)
            loss.backward()
            optimizer.step()
            total += loss.detach() * target.numel()
            correct += (logits.detach().argmax(1) == target).sum()
            count += target.numel()
        return {"train_loss": float(total) / count, "train_acc": int(correct) / count}

    def evaluate_on_validation() -> dict[str, float]:
        if val_graphs is None:
            return {}
        return dict(zip(("val_loss", "val_acc"), evaluate_graph_classifier(model, val_graphs, device=device)))

    selection = BestEpoch(("val_acc", "val_loss"), ("max", "min"), keep_state=True) if val_graphs is not None \
        else BestEpoch(rule="last")
    stopper = None if patience is None else EarlyStopping(patience, mode="max", monitor="val_acc")
    history = run_epochs(who, model, optimizer, train_epoch, evaluate_on_validation, epochs=epochs,
                         history_keys=("train_loss", "train_acc", "val_loss", "val_acc"), selection=selection,
                         early_stopping=stopper, scheduler=scheduler, generators=(generator,), seed=seed,
                         device=device, verbose=verbose, progress=("train_loss", "val_acc"),
                         on_epoch_end=on_epoch_end)
    if math.isnan(history["train_loss"][-1]):
        fail(who, "a finite training loss; lower 'lr'", "NaN")
    if val_graphs is not None:
        history["best_val_acc"] = history["val_acc"][history["best_epoch"]]
    return history


def _check_graphs(who: str, name: str, graphs: Any) -> None:
    try:
        count = len(graphs)
        first = graphs[0] if count else None
    except TypeError:
        fail(who, f"'{name}' to be a sequence of torch_geometric Data (a dataset or a list)", describe(graphs),
             TypeError)
    if count == 0:
        fail(who, f"'{name}' to hold at least one graph", "none")
    if not isinstance(first, Data) or getattr(first, "y", None) is None or getattr(first, "x", None) is None:
        fail(who, f"'{name}' to hold Data with 'x', 'edge_index' and a graph label 'y'", describe(first), TypeError)


__all__ = ["fit_graph_classifier", "evaluate_graph_classifier"]
