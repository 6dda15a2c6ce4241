"""Full-batch training of node classifiers (GCN, GraphSAGE, GAT, GGNN, or any ``model(x, edge_index)``)."""
from __future__ import annotations

import copy
import math
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from tqdm.auto import tqdm

from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.utils.device import resolve_device
from gnnlab.utils.validation import check_choice, check_number, check_positive_int, fail


def sparse_features(x: Tensor, max_density: float = 0.1) -> Tensor | SparseMatrix:
    """``x`` as a :class:`SparseMatrix` when at most ``max_density`` of it is non-zero, else ``x`` itself.

    Bag-of-words features are mostly zeros (Cora 1.3%, CiteSeer 0.9%): dropout and the first layer's
    product then cost a fraction of the dense ones, with the same result.
    """
    if x.layout == torch.strided and x.dim() == 2 and x.numel() > 0:
        if int(torch.count_nonzero(x)) <= max_density * x.numel():
            return SparseMatrix.from_dense(x)
    return x


_PER_EPOCH = ("train_loss", "train_acc", "val_loss", "val_acc", "test_acc", "seconds")


def _metrics(logits: Tensor, y: Tensor, masks: dict[str, Tensor]) -> dict[str, float]:
    out = {}
    predictions = logits.argmax(dim=-1)
    for name, mask in masks.items():
        count = int(mask.sum())
        out[f"{name}_loss"] = float(F.cross_entropy(logits[mask], y[mask])) if count else math.nan
        out[f"{name}_acc"] = float((predictions[mask] == y[mask]).sum()) / count if count else math.nan
    return out


def fit_node_classifier(
    model: nn.Module,
    data: Data,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    early_stopping: int | EarlyStopping | None = None,
    select: str = "val_acc",
    device: str | torch.device = "auto",
    seed: int | None = None,
    sparse: bool | str = "auto",
    verbose: bool = True,
) -> dict[str, Any]:
    r"""Train ``model`` full-batch on ``data.train_mask`` with cross-entropy, evaluating every epoch.

    Each epoch is one forward pass, :math:`L = -\frac{1}{|\mathcal{Y}_L|}\sum_{i \in \mathcal{Y}_L}
    \ln \operatorname{softmax}(z_i)_{y_i}` over the training nodes, one backward pass and one optimiser step,
    then one evaluation pass (dropout off) for the training, validation and test masks.

    Args:
        model: called as ``model(x, edge_index)`` (plus ``edge_weight`` when ``data`` has one).
        data: a PyG ``Data`` with ``x``, ``edge_index``, ``y`` and the three boolean masks.
        optimizer: defaults to ``torch.optim.Adam(lr=lr, weight_decay=weight_decay)``.
        epochs: the most epochs to run.
        early_stopping: ``None`` runs every epoch; an integer ``patience`` stops once *neither* the
            validation loss *nor* the validation accuracy has improved for that many epochs (the GAT paper's
            rule); an :class:`~gnnlab.regularize.EarlyStopping` stops on its own ``monitor``.
        select: the epoch whose parameters are kept and whose test accuracy is reported: ``"val_acc"`` (the
            highest validation accuracy, ties to the lower validation loss), ``"val_loss"`` (the lowest
            validation loss), ``"val_acc_and_loss"`` (the last epoch at which validation accuracy and loss were
            both at least as good as ever before: the GAT paper's checkpoint rule), or ``"last"``.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...; model and data move together.
        seed: when given, dropout and every other draw of PyTorch's generator during training come from this
            seed, in a forked generator state (the caller's global state is left as it was).
        sparse: pass ``x`` as sparse features when it is mostly zeros (``"auto"``), always (``True``) or never.
        verbose: a progress bar with the loss and validation accuracy.

    Returns:
        A history dict: per-epoch lists ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
        ``test_acc``, ``seconds``; and ``best_epoch`` (the selected epoch; the model is left with its
        parameters), ``best_val_acc`` and ``best_test_acc`` at that epoch, ``final_test_acc``, ``epochs_run``,
        ``train_time`` (seconds) and ``device``.
    """
    who = "fit_node_classifier"
    if not isinstance(model, nn.Module):
        fail(who, "'model' to be a torch.nn.Module", type(model).__name__, TypeError)
    if not isinstance(data, Data):
        fail(who, "'data' to be a torch_geometric.data.Data", type(data).__name__, TypeError)
    check_positive_int(who, "epochs", epochs)
    check_number(who, "lr", lr, low=0.0, low_open=True)
    check_number(who, "weight_decay", weight_decay, low=0.0)
    check_choice(who, "select", select, ("val_acc", "val_loss", "val_acc_and_loss", "last"))
    check_choice(who, "sparse", sparse, ("auto", True, False))
    for name in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        if getattr(data, name, None) is None:
            fail(who, f"'data' with a '{name}' attribute", f"a Data without '{name}'")
    for name in ("train_mask", "val_mask", "test_mask"):
        mask = getattr(data, name)
        if mask.dtype != torch.bool or mask.shape != (data.num_nodes,):
            fail(who, f"'data.{name}' to be a bool tensor of shape ({data.num_nodes},)",
                 f"{mask.dtype} of shape {tuple(mask.shape)}")
    if int(data.train_mask.sum()) == 0:
        fail(who, "'data.train_mask' to select at least one node", "an empty mask")
    patience_rule = isinstance(early_stopping, int) and not isinstance(early_stopping, bool)
    if patience_rule:
        check_positive_int(who, "early_stopping", early_stopping)
    elif early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        fail(who, "'early_stopping' to be None, a patience (int) or an EarlyStopping", type(early_stopping).__name__,
             TypeError)

    device = resolve_device(device)
    model = model.to(device)
    x = data.x.to(device)
    if sparse is True or (sparse == "auto" and x.size(0) * x.size(1) >= 100_000):
        x = sparse_features(x, max_density=1.0 if sparse is True else 0.1)
    edge_index = data.edge_index.to(device)
    edge_weight = data.edge_weight.to(device) if getattr(data, "edge_weight", None) is not None else None
    y = data.y.to(device)
    masks = {name: getattr(data, f"{name}_mask").to(device) for name in ("train", "val", "test")}
    inputs = (x, edge_index) if edge_weight is None else (x, edge_index, edge_weight)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    history: dict[str, Any] = {key: [] for key in _PER_EPOCH}
    best: dict[str, Any] = {"epoch": -1, "val_acc": -math.inf, "val_loss": math.inf, "state": None}
    watch = {"val_acc": -math.inf, "val_loss": math.inf, "stale": 0}
    if isinstance(early_stopping, EarlyStopping):
        early_stopping.reset()

    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        start = time.perf_counter()
        bar = tqdm(range(epochs), desc=f"{type(model).__name__}", disable=not verbose, leave=False)
        for epoch in bar:
            tick = time.perf_counter()
            model.train()
            optimizer.zero_grad(set_to_none=True)
            logits = model(*inputs)
            loss = F.cross_entropy(logits[masks["train"]], y[masks["train"]])
            loss.backward()
            optimizer.step()
            history["seconds"].append(time.perf_counter() - tick)

            model.eval()
            with torch.no_grad():
                metrics = _metrics(model(*inputs), y, masks)
            for key in _PER_EPOCH[:-1]:
                history[key].append(metrics[key])
            bar.set_postfix(loss=f"{metrics['train_loss']:.3f}", val_acc=f"{metrics['val_acc']:.3f}")

            if _better(select, metrics, best, watch):
                best.update(epoch=epoch, val_acc=metrics["val_acc"], val_loss=metrics["val_loss"],
                            state=copy.deepcopy(model.state_dict()))
            improved = metrics["val_acc"] > watch["val_acc"] or metrics["val_loss"] < watch["val_loss"]
            watch["val_acc"] = max(watch["val_acc"], metrics["val_acc"])
            watch["val_loss"] = min(watch["val_loss"], metrics["val_loss"])
            watch["stale"] = 0 if improved else watch["stale"] + 1
            if patience_rule:
                if watch["stale"] >= early_stopping:
                    break
            elif early_stopping is not None and early_stopping.step(metrics[early_stopping.monitor], None):
                break
        train_time = time.perf_counter() - start

    if best["state"] is not None:
        model.load_state_dict(best["state"])
    best_epoch = best["epoch"]
    history.update(best_epoch=best_epoch, best_val_acc=history["val_acc"][best_epoch],
                   best_test_acc=history["test_acc"][best_epoch], final_test_acc=history["test_acc"][-1],
                   epochs_run=len(history["train_loss"]), train_time=train_time, device=str(device))
    return history


def _better(select: str, metrics: dict[str, float], best: dict[str, Any], seen: dict[str, float]) -> bool:
    if select == "last":
        return True
    if select == "val_acc_and_loss":
        return metrics["val_acc"] >= seen["val_acc"] and metrics["val_loss"] <= seen["val_loss"]
    if select == "val_loss":
        return metrics["val_loss"] < best["val_loss"]
    return metrics["val_acc"] > best["val_acc"] or (
        metrics["val_acc"] == best["val_acc"] and metrics["val_loss"] < best["val_loss"])
