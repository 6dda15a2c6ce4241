"""Training link predictors (graph auto-encoders, or any GNN encoder with the inner-product decoder) on a
:func:`~gnnlab.data.link_split`, full batch, on the epoch loop every trainer shares (:mod:`gnnlab.train.loop`)."""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch_geometric.data import Data

from gnnlab.nn.models.gae import GAE
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train._shared import LINK_SELECTIONS, check_optimisation, features_for, selection
from gnnlab.train.checkpoint import Checkpoint, model_identity
from gnnlab.train.loop import check_loop_arguments, early_stopping_for, run_epochs
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import NEXT_STREAM, derive_seed, make_generator
from gnnlab.utils.validation import describe, fail

_PER_EPOCH = ("train_loss", "val_auc", "val_ap", "test_auc", "test_ap", "seconds")
#: the rules of ``select``: the highest validation AUC (ties to the higher AP), or the last epoch


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
    on_epoch_end: Callable[[int, Mapping[str, float]], None] | None = None,
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
            no weight decay, 200 ``epochs``).
        epochs: the most (fewer with ``early_stopping``).
        lr: learning rate of the default optimiser (ignored with ``optimizer``).
        weight_decay: L2 penalty of the default optimiser (ignored with ``optimizer``).
        early_stopping: ``None`` runs every epoch; an integer patience stops once the validation AUC has not
            improved for that many epochs; an :class:`~gnnlab.regularize.EarlyStopping` stops on its own
            ``monitor`` (``val_auc``, ``val_ap``, ``train_loss``...).
        select: the epoch whose parameters are kept and whose test figures are reported: ``"val_auc"``
            (the highest validation AUC, ties to the higher AP) or ``"last"``.
        checkpoint, checkpoint_every: as in :func:`~gnnlab.train.fit_node_classifier`: the run resumes from
            the file (model, optimiser, generators, history, best epoch), ends exactly as an uninterrupted
            one would, and is rewritten atomically every ``checkpoint_every`` epochs and at the end.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
        seed: when given, the VGAE's noise and the sampled loss's negatives come from it, in a forked
            generator state (the caller's global state is left as it was); not the model's initial weights,
            drawn when it was built (seed before building it for a run that repeats).
        sparse: pass ``x`` as sparse features when mostly zeros (``"auto"``), always or never; only to a
            model that declares it takes them (``supports_sparse_features``: gnnlab's models, and a
            :class:`~gnnlab.nn.models.GAE` whose encoder does), any other gets a dense tensor.
        verbose: a progress bar with the loss and validation AUC.
        on_epoch_end: called as ``on_epoch_end(epoch, metrics)`` after each epoch is recorded (and
            checkpointed): live logging or plotting, or stopping a run from outside (by raising).

    Returns:
        A history dict: per-epoch lists ``train_loss``, ``val_auc``, ``val_ap``, ``test_auc``, ``test_ap``
        (NaN without ``test``) and ``seconds``; ``best_epoch`` (the model is left with its parameters),
        ``best_val_auc``, ``best_val_ap``, ``best_test_auc``, ``best_test_ap``, ``final_test_auc``,
        ``epochs_run``, ``train_time`` and ``device``.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club, link_split
        >>> from gnnlab.nn import GAE
        >>> from gnnlab.train import fit_link_predictor
        >>> train, val, test = link_split(karate_club(), seed=0)
        >>> _ = torch.manual_seed(0)  # the initial weights
        >>> model = GAE.with_gcn(train.num_features, hidden_channels=16, out_channels=8)
        >>> history = fit_link_predictor(model, train, val, test, epochs=5, seed=0, device="cpu", verbose=False)
        >>> len(history["val_auc"]), history["epochs_run"], history["device"]
        (5, 5, 'cpu')
        >>> 0.0 <= history["best_test_auc"] <= 1.0 and 0.0 <= history["best_test_ap"] <= 1.0
        True
    """
    who = "fit_link_predictor"
    store = check_loop_arguments(who, model, epochs, checkpoint, checkpoint_every)
    _check_arguments(who, model, train, val, test, lr, weight_decay, select, sparse)
    device = resolve_device(device)
    model = model.to(device)
    x, edge_index = features_for(who, train.x.to(device), sparse, model), train.edge_index.to(device)
    pairs = {name: (part.edge_label_index.to(device), part.edge_label.to(device))
             for name, part in (("val", val), ("test", test)) if part is not None}
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    task = _LinkPrediction(model, optimizer, x, edge_index, pairs, make_generator(derive_seed(seed, NEXT_STREAM),
                                                                              device))
    history = run_epochs(
        who, model, optimizer, task.train_epoch, task.evaluate, epochs=epochs, history_keys=_PER_EPOCH,
        selection=selection(select, LINK_SELECTIONS),
        early_stopping=early_stopping_for(who, early_stopping, "val_auc", "max"), checkpoint=store,
        checkpoint_every=checkpoint_every, generators=[task.negatives], seed=seed, device=device, verbose=verbose,
        run={"model": model_identity(model), "num_nodes": train.num_nodes, "num_train_edges": int(edge_index.size(1)),
             "seed": seed, "select": select}, progress=("train_loss", "val_auc"), on_epoch_end=on_epoch_end)
    if not history["train_loss"]:
        fail(who, f"'epochs' above the {history['epochs_run']} epochs already in the checkpoint {store.path}",
             epochs)
    return _with_best(history, device)


def _with_best(history: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """``history`` with the selected epoch's validation and test figures and the last test AUC."""
    epoch = history["best_epoch"]
    history.update(best_val_auc=history["val_auc"][epoch], best_val_ap=history["val_ap"][epoch],
                   best_test_auc=history["test_auc"][epoch], best_test_ap=history["test_ap"][epoch],
                   final_test_auc=history["test_auc"][-1], device=str(device))
    return history


class _LinkPrediction:
    """One full-batch epoch of the model's loss, and the AUC/AP of the labelled pairs."""

    def __init__(self, model: GAE, optimizer: torch.optim.Optimizer, x, edge_index: torch.Tensor,
                 pairs: dict[str, tuple[torch.Tensor, torch.Tensor]], negatives: torch.Generator) -> None:
        self.model, self.optimizer, self.x, self.edge_index = model, optimizer, x, edge_index
        self.pairs, self.negatives = pairs, negatives

    def train_epoch(self, epoch: int) -> dict[str, float]:
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.model.loss(self.model.encode(self.x, self.edge_index), self.edge_index, generator=self.negatives)
        loss.backward()
        self.optimizer.step()
        return {"train_loss": float(loss.detach())}

    def evaluate(self) -> dict[str, float]:
        z = self.model.encode(self.x, self.edge_index)
        metrics = {"test_auc": math.nan, "test_ap": math.nan}
        for name, (label_index, label) in self.pairs.items():
            metrics[f"{name}_auc"], metrics[f"{name}_ap"] = self.model.test(z, label_index, label)
        return metrics


def _check_arguments(who: str, model: Any, train: Any, val: Any, test: Any, lr: Any, weight_decay: Any,
                     select: Any, sparse: Any) -> None:
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
    check_optimisation(who, lr=lr, weight_decay=weight_decay, select=select, rules=LINK_SELECTIONS, sparse=sparse)
