"""Training link predictors (graph auto-encoders, or any GNN encoder with the inner-product decoder) on a
:func:`~gnnlab.data.link_split`, full batch."""
from __future__ import annotations

import copy
import math
import os
import time
from typing import Any

import torch
from torch_geometric.data import Data
from tqdm.auto import tqdm

from gnnlab.nn.models.gae import GAE
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train.checkpoint import Checkpoint
from gnnlab.train.node_classification import _check_same_run, _maybe_sparse, _rng_states, _set_rng_states
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_choice, check_number, check_positive_int, describe, fail

_PER_EPOCH = ("train_loss", "val_auc", "val_ap", "test_auc", "test_ap", "seconds")


def fit_link_predictor(
    model: GAE,
    train: Data,
    val: Data,
    test: Data | None = None,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    early_stopping: int | EarlyStopping | None = None,
    select: str = "val_auc",
    checkpoint: str | os.PathLike | Checkpoint | None = None,
    checkpoint_every: int = 1,
    device: str | torch.device = "auto",
    seed: int | None = None,
    sparse: bool | str = "auto",
    verbose: bool = True,
) -> dict[str, Any]:
    r"""Train a :class:`~gnnlab.nn.models.GAE` / :class:`~gnnlab.nn.models.VGAE` on the training graph,
    scoring the validation (and test) pairs every epoch.

    Each epoch is one full-batch step: :math:`Z = \mathrm{encode}(X, A_{\text{train}})`, the model's
    ``loss`` (reconstruction of :math:`A_{\text{train}}`, plus the KL term for a VGAE), one backward pass,
    one optimiser step. Then, in evaluation mode (:math:`Z = \mu` for a VGAE), the ROC-AUC and average
    precision of ``val.edge_label_index`` against ``val.edge_label`` (and of ``test``'s) are recorded.

    Args:
        model: a ``GAE`` or ``VGAE`` (any encoder called as ``encoder(x, edge_index)``).
        train, val, test: as :func:`~gnnlab.data.link_split` returns them; every one is encoded on
            ``train.edge_index``, the training graph.
        optimizer: defaults to ``torch.optim.Adam(lr=lr, weight_decay=weight_decay)`` (the paper: lr 0.01,
            no weight decay, 200 epochs).
        epochs: the most epochs to run.
        early_stopping: ``None`` runs every epoch; an integer patience stops once the validation AUC has not
            improved for that many epochs; an :class:`~gnnlab.regularize.EarlyStopping` stops on its own
            ``monitor`` (one of ``val_auc``, ``val_ap``, ``train_loss``).
        select: the epoch whose parameters are kept and whose test figures are reported: ``"val_auc"``
            (the highest validation AUC, ties to the higher AP) or ``"last"``.
        checkpoint, checkpoint_every: as in :func:`~gnnlab.train.fit_node_classifier`: the run resumes from
            the file (model, optimiser, generators, history, best epoch), ends exactly as an uninterrupted
            one would, and is rewritten atomically every ``checkpoint_every`` epochs and at the end.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
        seed: when given, the VGAE's noise and the sampled loss's negatives come from it, in a forked
            generator state (the caller's global state is left as it was).
        sparse: pass ``x`` as sparse features when mostly zeros (``"auto"``), always or never.
        verbose: a progress bar with the loss and validation AUC.

    Returns:
        A history dict: per-epoch lists ``train_loss``, ``val_auc``, ``val_ap``, ``test_auc``, ``test_ap``
        (NaN without ``test``) and ``seconds``; ``best_epoch`` (the model is left with its parameters),
        ``best_val_auc``, ``best_val_ap``, ``best_test_auc``, ``best_test_ap``, ``final_test_auc``,
        ``epochs_run``, ``train_time`` and ``device``.
    """
    who = "fit_link_predictor"
    patience_rule = _check_arguments(who, model, train, val, test, epochs, lr, weight_decay, early_stopping, select,
                                     checkpoint, checkpoint_every, sparse)
    device = resolve_device(device)
    model = model.to(device)
    inputs = (_maybe_sparse(train.x.to(device), sparse), train.edge_index.to(device),
              {name: (part.edge_label_index.to(device), part.edge_label.to(device))
               for name, part in (("val", val), ("test", test)) if part is not None})
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if isinstance(early_stopping, EarlyStopping):
        early_stopping.reset()
    store = checkpoint if checkpoint is None or isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint)
    run = {"trainer": who, "model": repr(model), "num_nodes": train.num_nodes, "seed": seed, "select": select,
           "num_train_edges": int(train.edge_index.size(1))}
    parts = {"model": model, "optimizer": optimizer, "early_stopping": early_stopping}
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [],
                               enabled=seed is not None or store is not None):
        if seed is not None:
            torch.manual_seed(seed)
        state = _train(who, parts, inputs, store, run, epochs, select, patience_rule, checkpoint_every, device,
                       seed, verbose)

    return _summary(who, state, model, epochs, store, device)


def _summary(who: str, state: dict[str, Any], model: GAE, epochs: int, store: Checkpoint | None,
             device: torch.device) -> dict[str, Any]:
    """The history with the selected epoch's figures; the model gets that epoch's parameters."""
    history, best = state["history"], state["best"]
    if not history["train_loss"]:
        fail(who, f"'epochs' above the {state['epoch'] + 1} epochs already in the checkpoint {store.path}", epochs)
    model.load_state_dict(best["state"])
    epoch = best["epoch"]
    history.update(best_epoch=epoch, best_val_auc=history["val_auc"][epoch], best_val_ap=history["val_ap"][epoch],
                   best_test_auc=history["test_auc"][epoch], best_test_ap=history["test_ap"][epoch],
                   final_test_auc=history["test_auc"][-1], epochs_run=len(history["train_loss"]),
                   train_time=state["elapsed"], device=str(device))
    return history


def _train(who: str, parts: dict[str, Any], inputs: tuple, store: Checkpoint | None, run: dict, epochs: int,
           select: str, patience_rule: bool, checkpoint_every: int, device: torch.device, seed: int | None,
           verbose: bool) -> dict[str, Any]:
    """The epochs (resumed from ``store`` when it exists); the run's state: history, best, elapsed time."""
    model, optimizer, early_stopping = parts["model"], parts["optimizer"], parts["early_stopping"]
    x, edge_index, pairs = inputs
    negatives = make_generator(None if seed is None else seed + 1, device)
    state: dict[str, Any] = {"history": {key: [] for key in _PER_EPOCH}, "watch": {"val_auc": -math.inf, "stale": 0},
                             "best": {"epoch": -1, "val_auc": -math.inf, "val_ap": -math.inf, "state": None},
                             "epoch": -1, "elapsed": 0.0, "stopped": False}
    if store is not None and store.exists():
        state = _resume(who, store, run, parts, device, negatives)
    start = time.perf_counter() - state["elapsed"]
    first_epoch = state["epoch"] + 1
    bar = tqdm(range(first_epoch, epochs if not state["stopped"] else first_epoch), desc=type(model).__name__,
               disable=not verbose, leave=False, initial=first_epoch, total=epochs)
    for epoch in bar:
        tick = time.perf_counter()
        loss = _step(model, optimizer, x, edge_index, negatives)
        seconds = time.perf_counter() - tick
        metrics = {"train_loss": loss, **_evaluate(model, x, edge_index, pairs), "seconds": seconds}
        bar.set_postfix(loss=f"{loss:.3f}", val_auc=f"{metrics['val_auc']:.3f}")
        _record(state, metrics, model, select, early_stopping, patience_rule)
        state.update(epoch=epoch, elapsed=time.perf_counter() - start)
        if store is not None and (state["stopped"] or epoch == epochs - 1 or (epoch + 1) % checkpoint_every == 0):
            store.save({"run": run, **state, **_state_dicts(parts), "rng": [_rng_states(device, [negatives])]})
        if state["stopped"]:
            break
    return state


def _record(state: dict[str, Any], metrics: dict[str, float], model: GAE, select: str,
            early_stopping: int | EarlyStopping | None, patience_rule: bool) -> None:
    """Append an epoch's metrics, keep the best parameters, decide whether to stop."""
    for key in _PER_EPOCH:
        state["history"][key].append(metrics[key])
    best, watch = state["best"], state["watch"]
    if select == "last" or (metrics["val_auc"], metrics["val_ap"]) > (best["val_auc"], best["val_ap"]):
        best.update(epoch=len(state["history"]["train_loss"]) - 1, val_auc=metrics["val_auc"],
                    val_ap=metrics["val_ap"], state=copy.deepcopy(model.state_dict()))
    watch["stale"] = 0 if metrics["val_auc"] > watch["val_auc"] else watch["stale"] + 1
    watch["val_auc"] = max(watch["val_auc"], metrics["val_auc"])
    if patience_rule:
        state["stopped"] = watch["stale"] >= early_stopping
    elif early_stopping is not None:
        state["stopped"] = early_stopping.step(metrics[early_stopping.monitor], None)


def _state_dicts(parts: dict[str, Any]) -> dict[str, Any]:
    return {name: part.state_dict() if hasattr(part, "state_dict") else None for name, part in parts.items()}


def _resume(who: str, store: Checkpoint, run: dict, parts: dict[str, Any], device: torch.device,
            negatives: torch.Generator) -> dict[str, Any]:
    """Load the checkpoint into the model, optimiser, early stopping and generators; the run's state."""
    saved = store.load()
    _check_same_run(who, store, saved.get("run"), run)
    for name, part in parts.items():
        if hasattr(part, "load_state_dict"):
            part.load_state_dict(saved[name])
    _set_rng_states(saved["rng"][0], device, [negatives])
    return {key: saved[key] for key in ("history", "watch", "best", "epoch", "elapsed", "stopped")}


def _step(model: GAE, optimizer: torch.optim.Optimizer, x, edge_index, negatives: torch.Generator) -> float:
    model.train()
    optimizer.zero_grad(set_to_none=True)
    z = model.encode(x, edge_index)
    loss = model.loss(z, edge_index, generator=negatives)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def _evaluate(model: GAE, x, edge_index, pairs: dict) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        z = model.encode(x, edge_index)
    out = {"test_auc": math.nan, "test_ap": math.nan}
    for name, (label_index, label) in pairs.items():
        out[f"{name}_auc"], out[f"{name}_ap"] = model.test(z, label_index, label)
    return out


def _check_arguments(who, model, train, val, test, epochs, lr, weight_decay, early_stopping, select, checkpoint,
                     checkpoint_every, sparse) -> bool:
    """Validate ``fit_link_predictor``'s arguments; whether ``early_stopping`` is a patience."""
    if not isinstance(model, GAE):
        fail(who, "'model' to be a gnnlab GAE or VGAE (wrap an encoder: GAE(encoder))", type(model).__name__,
             TypeError)
    for name, part, labelled in (("train", train, False), ("val", val, True), ("test", test, True)):
        if part is None and name == "test":
            continue
        if not isinstance(part, Data):
            fail(who, f"'{name}' to be a torch_geometric Data (link_split's)", type(part).__name__, TypeError)
        needed = ("x", "edge_index") + (("edge_label_index", "edge_label") if labelled else ())
        for key in needed:
            if getattr(part, key, None) is None:
                fail(who, f"'{name}' with '{key}' (as gnnlab.data.link_split returns it)", f"a Data without '{key}'")
        if labelled and len(torch.unique(part.edge_label)) != 2:
            fail(who, f"'{name}.edge_label' with both edges (1) and non-edges (0)", describe(part.edge_label))
    check_positive_int(who, "epochs", epochs)
    check_number(who, "lr", lr, low=0.0, low_open=True)
    check_number(who, "weight_decay", weight_decay, low=0.0)
    check_choice(who, "select", select, ("val_auc", "last"))
    check_choice(who, "sparse", sparse, ("auto", True, False))
    check_positive_int(who, "checkpoint_every", checkpoint_every)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike, Checkpoint)):
        fail(who, "'checkpoint' to be None, a path or a Checkpoint", type(checkpoint).__name__, TypeError)
    patience_rule = isinstance(early_stopping, int) and not isinstance(early_stopping, bool)
    if patience_rule:
        check_positive_int(who, "early_stopping", early_stopping)
    elif early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        fail(who, "'early_stopping' to be None, a patience (int) or an EarlyStopping", type(early_stopping).__name__,
             TypeError)
    return patience_rule
