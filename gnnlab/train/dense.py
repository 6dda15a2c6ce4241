"""Training a classifier on dense data (vectors or images): batch, stochastic or mini-batch gradient descent."""
from __future__ import annotations

import copy
import math
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from gnnlab.optim.clip import clip_grad_norm_
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int, fail


@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor, batch_size: int = 4096) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of ``model`` on ``(x, y)`` in evaluation mode."""
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
) -> dict[str, Any]:
    """Minimise the cross-entropy of ``model`` on ``(x, y)``.

    Args:
        batch_size: ``None`` for **batch** gradient descent (one step per epoch on every example), ``1`` for
            **stochastic** gradient descent (one step per example), ``k`` for **mini-batch**. Examples are
            reshuffled every epoch (with ``seed``).
        optimizer: default ``torch.optim.Adam(lr=lr)``.
        augment: applied to each training batch (e.g. :class:`~gnnlab.regularize.ImageAugmentation`).
        clip_norm: clip the gradients' joint norm before each step (:func:`~gnnlab.optim.clip_grad_norm_`).
        early_stopping: an :class:`~gnnlab.regularize.EarlyStopping` watching ``val_loss`` or ``val_acc``
            (needs validation data); with ``restore_best`` the model ends with its best parameters.
        seed: shuffling, and dropout through a forked global generator; the caller's state is untouched.
        device: where to train (``"auto"``: CUDA when available).

    Returns:
        history with per-epoch ``train_loss``, and with validation data ``val_loss`` and ``val_acc``;
        ``epochs_run``, ``best_epoch`` (with early stopping), ``train_time``.
    """
    who = "fit_classifier"
    if not isinstance(x, Tensor) or not isinstance(y, Tensor) or x.size(0) != y.size(0) or y.dim() != 1:
        fail(who, "'x' of shape (N, ...) and integer labels 'y' of shape (N,)",
             f"{getattr(x, 'shape', type(x).__name__)} and {getattr(y, 'shape', type(y).__name__)}")
    check_positive_int(who, "epochs", epochs)
    check_number(who, "lr", lr, low=0.0, low_open=True)
    if batch_size is not None:
        check_positive_int(who, "batch_size", batch_size)
    if clip_norm is not None:
        check_number(who, "clip_norm", clip_norm, low=0.0, low_open=True)
    has_val = x_val is not None and y_val is not None
    if early_stopping is not None and not has_val:
        fail(who, "'x_val' and 'y_val' when early_stopping is given", "no validation data")

    device = resolve_device(device)
    model = model.to(device)
    x, y = x.to(device), y.to(device)
    if has_val:
        x_val, y_val = x_val.to(device), y_val.to(device)
    if augment is not None:
        augment = augment.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    size = x.size(0) if batch_size is None else batch_size
    generator = make_generator(seed)
    history: dict[str, Any] = {"train_loss": [], "val_loss": [], "val_acc": []}
    best_state = None
    start_time = time.perf_counter()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        bar = tqdm(range(epochs), desc=type(model).__name__, disable=not verbose, leave=False)
        for _ in bar:
            model.train()
            if augment is not None:
                augment.train()
            order = torch.randperm(x.size(0), generator=generator).to(device)
            total = 0.0
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
                total += float(loss.detach()) * index.numel()
            history["train_loss"].append(total / x.size(0))
            postfix = {"loss": f"{history['train_loss'][-1]:.4f}"}
            if has_val:
                val_loss, val_acc = evaluate(model, x_val, y_val)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
                postfix["val_acc"] = f"{val_acc:.3f}"
            bar.set_postfix(postfix)
            if early_stopping is not None:
                value = history[early_stopping.monitor][-1]
                if early_stopping.improves(value) and early_stopping.restore_best:
                    best_state = copy.deepcopy(model.state_dict())
                if early_stopping.step(value):
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    history["epochs_run"] = len(history["train_loss"])
    history["best_epoch"] = early_stopping.best_epoch if early_stopping is not None else history["epochs_run"] - 1
    history["train_time"] = time.perf_counter() - start_time
    if math.isnan(history["train_loss"][-1]):
        fail(who, "a finite training loss; lower 'lr' or set 'clip_norm'", "NaN")
    return history
