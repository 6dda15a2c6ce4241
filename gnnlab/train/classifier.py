"""Training a classifier of independent examples (vectors or images, not the nodes of a graph): batch,
stochastic or mini-batch gradient descent."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.optim.clip import clip_grad_norm_
from gnnlab.regularize.best_epoch import BestEpoch
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train.loop import check_loop_arguments, run_epochs
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int, fail


@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor, batch_size: int = 4096) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of ``model`` on ``(x, y)`` in evaluation mode.

    Args:
        model: a classifier returning ``(N, C)`` logits for ``x``; it is left in evaluation mode.
        x: ``(N, ...)`` inputs, on the model's device.
        y: ``(N,)`` integer labels in ``[0, C)``.
        batch_size: examples per forward pass (no gradients are kept).

    Example::

        >>> import math
        >>> import torch
        >>> from gnnlab.train import evaluate
        >>> model = torch.nn.Linear(3, 2)
        >>> _ = torch.nn.init.zeros_(model.weight), torch.nn.init.zeros_(model.bias)  # equal logits
        >>> x, y = torch.ones(4, 3), torch.tensor([0, 0, 0, 1])
        >>> loss, accuracy = evaluate(model, x, y)
        >>> accuracy  # ties go to class 0
        0.75
        >>> abs(loss - math.log(2)) < 1e-6
        True
    """
    model.eval()
    losses, correct = 0.0, 0
    for start in range(0, x.size(0), batch_size):
        logits = model(x[start:start + batch_size])
        target = y[start:start + batch_size]
        losses += float(F.cross_entropy(logits, target, reduction="sum"))
        correct += int((logits.argmax(1) == target).sum())
    return losses / max(x.size(0), 1), correct / max(x.size(0), 1)


def fit_classifier(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    x_val: Tensor | None = None,
    y_val: Tensor | None = None,
    epochs: int = 100,
    batch_size: int | None = 64,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 0.01,
    augment: nn.Module | None = None,
    clip_norm: float | None = None,
    early_stopping: EarlyStopping | None = None,
    seed: int | None = 0,
    device: str | torch.device = "auto",
    verbose: bool = True,
    on_epoch_end: Callable[[int, Mapping[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Minimise the cross-entropy of ``model`` on ``(x, y)``.

    Args:
        model: a classifier returning ``(N, C)`` logits for a batch of ``x``; it is trained in place.
        x: ``(N, ...)`` training inputs (vectors, or images ``(N, C, H, W)``).
        y: ``(N,)`` integer labels in ``[0, C)``.
        x_val, y_val: validation inputs and labels, evaluated after every epoch (both or neither).
        epochs: the most epochs (passes over ``x``).
        batch_size: ``None`` for **batch** gradient descent (one step per epoch on every example), ``1`` for
            **stochastic** gradient descent (one step per example), ``k`` for **mini-batch**. Examples are
            reshuffled every epoch (with ``seed``).
        optimizer: default ``torch.optim.Adam(lr=lr)``.
        lr: learning rate of the default optimiser (ignored with ``optimizer``).
        augment: applied to each training batch (e.g. :class:`~gnnlab.regularize.ImageAugmentation`).
        clip_norm: clip the gradients' joint norm before each step (:func:`~gnnlab.optim.clip_grad_norm_`).
        early_stopping: an :class:`~gnnlab.regularize.EarlyStopping` watching ``val_loss``, ``val_acc`` or
            ``train_loss`` (needs validation data; it is reset first); with ``restore_best`` the model ends with
            the parameters of its best epoch.
        seed: shuffling, and dropout through a forked global generator; the caller's state is untouched.
        device: where to train (``"auto"``: CUDA when available).
        verbose: a progress bar.
        on_epoch_end: called as ``on_epoch_end(epoch, metrics)`` after each epoch is recorded (and
            checkpointed): live logging or plotting, or stopping a run from outside (by raising).

    Returns:
        history with per-epoch ``train_loss``, and with validation data ``val_loss`` and ``val_acc``;
        ``epochs_run``, ``best_epoch`` (the early stopper's best epoch; else the last), ``train_time``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import MLP
        >>> from gnnlab.train import fit_classifier
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(60, 4)
        >>> y = (x[:, 0] > 0).long()
        >>> model = MLP(4, [8], 2)
        >>> history = fit_classifier(model, x[:40], y[:40], x_val=x[40:], y_val=y[40:], epochs=5, batch_size=16,
        ...                          seed=0, device="cpu", verbose=False)
        >>> sorted(history)
        ['best_epoch', 'epochs_run', 'train_loss', 'train_time', 'val_acc', 'val_loss']
        >>> len(history["train_loss"]), history["epochs_run"], history["best_epoch"]
        (5, 5, 4)
    """
    who = "fit_classifier"
    check_loop_arguments(who, model, epochs)
    _check_arguments(who, x, y, lr=lr, batch_size=batch_size, clip_norm=clip_norm)
    has_val = x_val is not None and y_val is not None
    if early_stopping is not None and not has_val:
        fail(who, "'x_val' and 'y_val' when early_stopping is given", "no validation data")
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        fail(who, "'early_stopping' to be None or an EarlyStopping", type(early_stopping).__name__, TypeError)

    device = resolve_device(device)
    model = model.to(device)
    x, y = x.to(device), y.to(device)
    validation = (x_val.to(device), y_val.to(device)) if has_val else None
    if augment is not None:
        augment = augment.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = make_generator(seed)

    def train_epoch(epoch: int) -> dict[str, float]:
        if augment is not None:
            augment.train()
        order = torch.randperm(x.size(0), generator=generator).to(device)
        return {"train_loss": _epoch_of_batches(model, optimizer, x, y, order, batch_size, augment, clip_norm)}

    def evaluate_on_validation() -> dict[str, float]:
        return {} if validation is None else dict(zip(("val_loss", "val_acc"), evaluate(model, *validation)))

    history = run_epochs(who, model, optimizer, train_epoch, evaluate_on_validation, epochs=epochs,
                         history_keys=("train_loss", "val_loss", "val_acc"), selection=_selection(early_stopping),
                         early_stopping=early_stopping, seed=seed, device=device, verbose=verbose,
                         progress=("train_loss", "val_acc"), on_epoch_end=on_epoch_end)
    if math.isnan(history["train_loss"][-1]):
        fail(who, "a finite training loss; lower 'lr' or set 'clip_norm'", "NaN")
    return history


def _selection(early_stopping: EarlyStopping | None) -> BestEpoch:
    """The early stopper's best epoch (its parameters restored when it says ``restore_best``), else the last."""
    if early_stopping is None:
        return BestEpoch(rule="last")
    return BestEpoch(early_stopping.monitor, early_stopping.mode, rule="any", min_delta=early_stopping.min_delta,
                     keep_state=early_stopping.restore_best)


def _check_arguments(who: str, x: Any, y: Any, *, lr: Any, batch_size: Any, clip_norm: Any) -> None:
    if not isinstance(x, Tensor) or not isinstance(y, Tensor) or x.size(0) != y.size(0) or y.dim() != 1:
        fail(who, "'x' of shape (N, ...) and integer labels 'y' of shape (N,)",
             f"{getattr(x, 'shape', type(x).__name__)} and {getattr(y, 'shape', type(y).__name__)}")
    check_number(who, "lr", lr, low=0.0, low_open=True)
    if batch_size is not None:
        check_positive_int(who, "batch_size", batch_size)
    if clip_norm is not None:
        check_number(who, "clip_norm", clip_norm, low=0.0, low_open=True, finite=False)


def _epoch_of_batches(model: nn.Module, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor, order: Tensor,
                      batch_size: int | None, augment: nn.Module | None, clip_norm: float | None) -> float:
    """One step per batch of ``order`` (all of it when ``batch_size`` is ``None``); the mean training loss."""
    size = x.size(0) if batch_size is None else batch_size
    total = x.new_zeros((), dtype=torch.float64)  # summed on the device: no host sync per step
    for begin in range(0, x.size(0), size):
        index = order[begin:begin + size]
        inputs = x.index_select(0, index)
        if augment is not None:
            inputs = augment(inputs)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inputs), y.index_select(0, index))
        loss.backward()
        if clip_norm is not None:
            clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        total += loss.detach() * index.numel()
    return float(total) / x.size(0)
