r"""Training node classifiers (GCN, GraphSAGE, GAT, GGNN, or any ``model(x, edge_index)``): full batch, or in
mini-batches of sampled neighbourhoods, on one process or data-parallel.

**Full batch** (``batch_size=None``, the default): each epoch is one forward pass over the whole graph,
:math:`L = -\frac{1}{|\mathcal{Y}_L|}\sum_{i \in \mathcal{Y}_L} \ln \operatorname{softmax}(z_i)_{y_i}` over the
training nodes, one backward pass and one optimiser step.

**Mini-batch** (``batch_size=B``): each epoch shuffles the training nodes into batches of ``B`` seeds; a
:class:`~gnnlab.data.NeighborLoader` samples ``num_neighbors`` in-neighbours per hop around them, and each batch
is one step on the loss of its seeds. Memory then depends on ``B`` and the fanouts, not on the graph. (GCN's
symmetric normalisation then uses the degrees inside the sampled subgraph, as in PyG; GraphSAGE and GAT see
exactly the sampled neighbourhoods.) With ``distributed=True`` each rank of the ``torch.distributed`` process
group this process has joined (:mod:`gnnlab.train.distributed`) trains on its shard of the training nodes and
``DistributedDataParallel`` averages the gradients; every rank evaluates and returns the same history; only
rank 0 shows progress and writes the checkpoint. ``device`` should then be the rank's own.

Either way, every epoch ends with one evaluation pass (dropout off) over all nodes for the training,
validation and test metrics; in mini-batch mode it is the model's layer-wise ``inference`` over full
neighbourhoods, ``eval_batch_size`` target nodes at a time.

**Checkpoints.** With ``checkpoint=path``, training resumes from the file when it exists: model, optimiser,
scheduler, early stopping, random generators (dropout, shuffling, sampling), history and the best epoch so far
are restored, so the run ends exactly as an uninterrupted one with the same seed would (the timings aside). It is
(re)written atomically every ``checkpoint_every`` epochs and at the end; a finished run's checkpoint returns its
result without training, and a larger ``epochs`` continues it (unless it stopped early). It must come from the
same run (model, seed, graph size, batching, ``select``); otherwise ``ValueError``.

The epochs themselves run in :func:`gnnlab.train.loop.run_epochs`, shared by every trainer.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler
from torch_geometric.data import Data

from gnnlab.data.neighbor_loader import NeighborLoader
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.nn.models import NodeModel
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train._shared import (
    NODE_SELECTIONS,
    check_optimisation,
    features_for,
    selection,
)
from gnnlab.train.checkpoint import Checkpoint, model_identity
from gnnlab.train.loop import check_loop_arguments, early_stopping_for, run_epochs
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import RANK_STREAM, derive_seed
from gnnlab.utils.validation import check_positive_int, describe, fail

#: what the history records for every epoch (``seconds``: the time of the training pass)
HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_acc", "seconds")

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
    batch_size: int | None = None,
    num_neighbors: list[int] | None = None,
    num_workers: int = 0,
    eval_batch_size: int | None = None,
    distributed: bool = False,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    checkpoint: str | os.PathLike | Checkpoint | None = None,
    checkpoint_every: int = 1,
    device: str | torch.device = "auto",
    seed: int | None = None,
    sparse: bool | str = "auto",
    verbose: bool = True,
    on_epoch_end: Callable[[int, Mapping[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on ``data.train_mask`` with cross-entropy, evaluating every epoch (full batch, mini-batch,
    distributed training and checkpoints: see the module's docstring).

    Args:
        model: any module called as ``model(x, edge_index)`` (plus ``edge_weight`` when ``data`` has one).
        data: a PyG ``Data`` with ``x``, ``edge_index``, ``y`` and the three boolean masks.
        optimizer: defaults to ``torch.optim.Adam(lr=lr, weight_decay=weight_decay)``.
        epochs: the most (fewer with ``early_stopping``).
        lr: learning rate of the default optimiser (ignored with ``optimizer``).
        weight_decay: L2 penalty of the default optimiser (ignored with ``optimizer``).
        early_stopping: ``None`` runs every epoch; a patience (``int``) stops once *neither* the validation loss
            *nor* accuracy improved for that many epochs (the GAT paper's rule); an
            :class:`~gnnlab.regularize.EarlyStopping` stops on its own ``monitor`` (``select`` still selects).
        select: the epoch kept and reported: ``"val_acc"`` (the highest validation accuracy, ties to the lower
            loss), ``"val_loss"``, ``"val_acc_and_loss"`` (the last epoch with both at least as good as ever
            before: the GAT paper's checkpoint rule) or ``"last"``.
        batch_size: seeds per mini-batch; ``None`` trains full-batch.
        num_neighbors: the fanout per hop (``-1``: all; default 25, then 10 per further layer of the model,
            ``model.num_layers`` or 2); mini-batch only.
        num_workers: sampling processes; mini-batch only.
        eval_batch_size: target nodes per step of the layer-wise evaluation (default 4096 or ``batch_size``,
            the larger); mini-batch only.
        distributed: data-parallel (mini-batch, in a joined ``torch.distributed`` process group).
        scheduler: stepped after every epoch.
        checkpoint: a file (or :class:`~gnnlab.train.Checkpoint`) to resume from, saved every
            ``checkpoint_every`` epochs.
        checkpoint_every: epochs between two saves of ``checkpoint`` (the last epoch is always saved).
        device: ``"auto"`` (CUDA when available), ``"cpu"``...; model and data move there (each batch does).
        seed: every draw of PyTorch's generator during training (dropout, shuffling, sampling) comes from it,
            in a forked generator (the caller's state is kept); not the initial weights, drawn when the model was
            built: seed before building it too (``gnnlab.utils.seed_everything``) for a run that repeats.
        sparse: ``x`` as sparse features when mostly zeros (``"auto"``), always or never, to a model that takes
            them (``supports_sparse_features``: gnnlab's; others get a dense tensor).
        verbose: a progress bar.
        on_epoch_end: called as ``on_epoch_end(epoch, metrics)`` after each epoch is recorded (and
            checkpointed): live logging or plotting, or stopping a run from outside (by raising).

    Returns:
        The history: per-epoch :data:`HISTORY_KEYS`; ``best_epoch`` (selected: the model keeps its parameters),
        ``best_val_acc``, ``best_test_acc``, ``final_test_acc``, ``epochs_run``, ``train_time``, ``device``.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club, random_split
        >>> from gnnlab.nn import GCN
        >>> from gnnlab.train import fit_node_classifier
        >>> data = karate_club()
        >>> data.train_mask, data.val_mask, data.test_mask = random_split(data, seed=0)
        >>> _ = torch.manual_seed(0)  # the initial weights
        >>> model = GCN(data.num_features, 2, hidden_channels=8)
        >>> history = fit_node_classifier(model, data, epochs=5, seed=0, device="cpu", verbose=False)
        >>> len(history["train_loss"]), history["epochs_run"], history["device"]
        (5, 5, 'cpu')
        >>> 0 <= history["best_epoch"] < 5 and 0.0 <= history["best_test_acc"] <= 1.0
        True
        >>> history = fit_node_classifier(model, data, epochs=2, batch_size=8, num_neighbors=[5, 5], seed=0,
        ...                               device="cpu", verbose=False)  # sampled mini-batches
        >>> history["epochs_run"]
        2
    """
    who = "fit_node_classifier"
    store = check_loop_arguments(who, model, epochs, checkpoint, checkpoint_every)
    stopper = early_stopping_for(who, early_stopping, ("val_acc", "val_loss"), ("max", "min"))
    _check_arguments(who, data, lr=lr, weight_decay=weight_decay, select=select, sparse=sparse)
    num_neighbors, eval_batch_size = _check_batching(who, model, batch_size, num_neighbors, eval_batch_size,
                                                     distributed)
    device = resolve_device(device)
    model = model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    rank, world_size = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    rank_seed = derive_seed(seed, RANK_STREAM * rank)  # independent draws on every rank
    task = _NodeClassification(model, optimizer, data, device, sparse, eval_batch_size)
    if batch_size is not None:
        task.sample(data, batch_size, num_neighbors, num_workers, rank_seed, seed, distributed)
    run = {"model": model_identity(model), "num_nodes": data.num_nodes, "seed": seed, "batch_size": batch_size,
           "num_neighbors": num_neighbors, "select": select, "world_size": world_size}
    history = run_epochs(who, model, optimizer, task.train_epoch, task.evaluate, epochs=epochs,
                         history_keys=HISTORY_KEYS, selection=selection(select, NODE_SELECTIONS),
                         early_stopping=stopper,
                         scheduler=scheduler, checkpoint=store, checkpoint_every=checkpoint_every, run=run,
                         generators=task.generators, seed=rank_seed, device=device, distributed=distributed,
                         verbose=verbose and rank == 0, progress=("train_loss", "val_acc"),
                         on_epoch_end=on_epoch_end)
    best_epoch = history["best_epoch"]
    history.update(best_val_acc=history["val_acc"][best_epoch], best_test_acc=history["test_acc"][best_epoch],
                   final_test_acc=history["test_acc"][-1], device=str(device))
    return history


def _check_arguments(who: str, data: Any, *, lr: Any, weight_decay: Any, select: Any, sparse: Any) -> None:
    check_optimisation(who, lr=lr, weight_decay=weight_decay, select=select, rules=NODE_SELECTIONS, sparse=sparse)
    if not isinstance(data, Data):
        fail(who, "'data' to be a torch_geometric.data.Data", type(data).__name__, TypeError)
    for name in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        if getattr(data, name, None) is None:
            fail(who, f"'data' with a '{name}' attribute", f"a Data without '{name}'")
    for name in ("train_mask", "val_mask", "test_mask"):
        mask = getattr(data, name)
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != (data.num_nodes,):
            fail(who, f"'data.{name}' to be a bool tensor of shape ({data.num_nodes},)", describe(mask))
    if int(data.train_mask.sum()) == 0:
        fail(who, "'data.train_mask' to select at least one node", "an empty mask")


def _check_batching(who: str, model: nn.Module, batch_size: Any, num_neighbors: Any, eval_batch_size: Any,
                    distributed: Any) -> tuple[list[int] | None, int | None]:
    """Check the mini-batch options; return ``num_neighbors`` and ``eval_batch_size`` with their defaults."""
    if batch_size is None:
        for name, value in (("num_neighbors", num_neighbors), ("eval_batch_size", eval_batch_size)):
            if value is not None:
                fail(who, f"'{name}' only together with 'batch_size' (mini-batch training)", describe(value))
    if distributed and (batch_size is None or not dist.is_available() or not dist.is_initialized()):
        fail(who, "'distributed=True' with 'batch_size' set and a torch.distributed process group joined "
             "(gnnlab.train.distributed.init_distributed)",
             f"batch_size={batch_size}, process group {'joined' if dist.is_initialized() else 'not joined'}")
    if batch_size is None:
        return None, None
    check_positive_int(who, "batch_size", batch_size)
    eval_batch_size = max(batch_size, 4096) if eval_batch_size is None else eval_batch_size
    check_positive_int(who, "eval_batch_size", eval_batch_size)
    if num_neighbors is None:
        num_neighbors = [25] + [10] * (getattr(model, "num_layers", 2) - 1)
    return num_neighbors, eval_batch_size


class _NodeClassification:
    """What :func:`run_epochs` needs to train a node classifier: one epoch of training (full batch, or the
    mini-batches of :meth:`sample`), one evaluation, and the generators the epochs draw from."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, data: Data, device: torch.device,
                 sparse: bool | str, eval_batch_size: int | None) -> None:
        self.model, self.trained, self.optimizer, self.device = model, model, optimizer, device
        self.eval_batch_size = eval_batch_size
        x = features_for("fit_node_classifier", data.x.to(device), sparse, model)
        # decided once on the whole graph: a batch's features are converted without counting them again
        self.sparse_batches = isinstance(x, SparseMatrix)
        edge_weight = getattr(data, "edge_weight", None)
        edge_index = data.edge_index.to(device)
        self.inputs = (x, edge_index) if edge_weight is None else (x, edge_index, edge_weight.to(device))
        self.y = data.y.to(device)
        self.masks = {name: getattr(data, f"{name}_mask").to(device) for name in ("train", "val", "test")}
        self.loader: NeighborLoader | None = None
        self.shards: DistributedSampler | None = None
        self.generators: list[torch.Generator] = []

    def sample(self, data: Data, batch_size: int, num_neighbors: list[int], num_workers: int,
               rank_seed: int | None, seed: int | None, distributed: bool) -> None:
        """Train in mini-batches of sampled neighbourhoods (on this rank's shard when ``distributed``)."""
        options: dict[str, Any] = {"shuffle": True}
        if distributed:
            num_train = int(data.train_mask.sum())
            self.shards = DistributedSampler(range(num_train), shuffle=True, seed=0 if seed is None else seed)
            options = {"sampler": self.shards}
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.trained = DistributedDataParallel(self.model, device_ids=ids)
        # batches are sampled on the host: pinned, they copy to the GPU without blocking the host
        options["pin_memory"] = self.device.type == "cuda" and data.edge_index.device.type == "cpu"
        self.loader = NeighborLoader(data, num_neighbors, batch_size=batch_size, input_nodes=data.train_mask,
                                     seed=rank_seed, num_workers=num_workers, **options)
        self.generators = [self.loader.sample_generator, self.loader.generator]

    def train_epoch(self, epoch: int) -> None:
        if self.loader is None:
            _full_batch_epoch(self.model, self.optimizer, self.inputs, self.y, self.masks["train"])
            return
        if self.shards is not None:
            self.shards.set_epoch(epoch)
        _mini_batch_epoch(self.trained, self.optimizer, self.loader, self.device, self.sparse_batches)

    def evaluate(self) -> dict[str, float]:
        if self.loader is not None and hasattr(self.model, "inference"):
            logits = self.model.inference(*self.inputs, batch_size=self.eval_batch_size)
        else:
            logits = self.model(*self.inputs)
        metrics = _metrics(logits, self.y, self.masks)
        return {key: metrics[key] for key in HISTORY_KEYS if key in metrics}


def _metrics(logits: Tensor, y: Tensor, masks: dict[str, Tensor]) -> dict[str, float]:
    """Loss and accuracy on each mask, computed on the device and copied to the host once (an empty mask
    gives NaN for both). Nodes outside every mask may carry any label (e.g. -1 for unlabelled): their loss is
    computed against a clamped label and weighted by zero."""
    correct = (logits.argmax(dim=-1) == y).to(torch.float64)
    target = y.clamp(0, logits.size(-1) - 1)
    losses = F.cross_entropy(logits, target, reduction="none").to(torch.float64)
    names = list(masks)
    stacked = torch.stack([masks[name] for name in names]).to(torch.float64)  # (M, N)
    count = stacked.sum(dim=1)
    values = torch.stack([stacked @ losses, stacked @ correct]) / count  # 0 / 0 = NaN for an empty mask
    loss, acc = values.tolist()
    return {key: value for i, name in enumerate(names)
            for key, value in ((f"{name}_loss", loss[i]), (f"{name}_acc", acc[i]))}


def _full_batch_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: tuple, y: Tensor,
                      train_mask: Tensor) -> None:
    """One step on the cross-entropy of the training nodes, over the whole graph."""
    optimizer.zero_grad(set_to_none=True)
    logits = model(*inputs)
    F.cross_entropy(logits[train_mask], y[train_mask]).backward()
    optimizer.step()


def _mini_batch_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, loader: NeighborLoader,
                      device: torch.device, sparse: bool) -> None:
    """One step per batch of sampled neighbourhoods, on the cross-entropy of the batch's seed nodes."""
    base = model.module if isinstance(model, DistributedDataParallel) else model
    trims = isinstance(base, NodeModel)  # gnnlab's models skip the outer hops in later layers
    for batch in loader:
        batch = batch.to(device, non_blocking=True)
        size = batch.batch_size
        optimizer.zero_grad(set_to_none=True)
        edge_weight = getattr(batch, "edge_weight", None)
        x = SparseMatrix.from_dense(batch.x) if sparse else batch.x
        inputs = (x, batch.edge_index) if edge_weight is None else (x, batch.edge_index, edge_weight)
        hops = {"num_sampled_nodes_per_hop": batch.num_sampled_nodes,
                "num_sampled_edges_per_hop": batch.num_sampled_edges} if trims else {}
        logits = model(*inputs, **hops)[:size]
        F.cross_entropy(logits, batch.y[:size]).backward()
        optimizer.step()
