"""Training node classifiers (GCN, GraphSAGE, GAT, GGNN, or any ``model(x, edge_index)``): full-batch, or in
mini-batches of sampled neighbourhoods."""
from __future__ import annotations

import copy
import math
import os
import time
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler
from torch_geometric.data import Data
from tqdm.auto import tqdm

from gnnlab.data.neighbor_loader import NeighborLoader
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.nn.models._base import NodeModel
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train.checkpoint import Checkpoint
from gnnlab.utils.device import resolve_device
from gnnlab.utils.validation import check_choice, check_number, check_positive_int, describe, fail


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
) -> dict[str, Any]:
    r"""Train ``model`` on ``data.train_mask`` with cross-entropy, evaluating every epoch.

    **Full batch** (``batch_size=None``, the default): each epoch is one forward pass over the whole graph,
    :math:`L = -\frac{1}{|\mathcal{Y}_L|}\sum_{i \in \mathcal{Y}_L} \ln \operatorname{softmax}(z_i)_{y_i}`
    over the training nodes, one backward pass and one optimiser step.

    **Mini-batch** (``batch_size=B``): each epoch shuffles the training nodes into batches of ``B`` seeds; a
    :class:`~gnnlab.data.NeighborLoader` samples ``num_neighbors`` in-neighbours per hop around them, and
    each batch is one step on the loss of its seeds. Memory then depends on ``B`` and the fanouts, not on
    the graph. (GCN's symmetric normalisation then uses the degrees inside the sampled subgraph, as in
    PyG; GraphSAGE and GAT see exactly the sampled neighbourhoods.)

    Either way, every epoch ends with one evaluation pass (dropout off) over all nodes for the training,
    validation and test metrics; in mini-batch mode it is the model's layer-wise ``inference`` over full
    neighbourhoods, ``eval_batch_size`` target nodes at a time.

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
        batch_size: seeds per mini-batch; ``None`` trains full-batch.
        num_neighbors: fanout per hop for mini-batches (``-1``: all); default 25 at the first hop and 10 at
            each further one, one hop per layer of the model (``model.num_layers``, else 2).
        num_workers: worker processes that sample the mini-batches (``torch.utils.data``).
        eval_batch_size: target nodes per step of the layer-wise evaluation (default 4096, or ``batch_size``
            when that is larger).
        distributed: data-parallel mini-batch training in the ``torch.distributed`` process group this
            process has joined (see :mod:`gnnlab.train.distributed`): each rank trains on its shard of the
            training nodes and gradients are averaged by ``DistributedDataParallel``. ``device`` should be the
            rank's own (``init_distributed`` returns it). Every rank evaluates and returns the same history;
            only rank 0 shows progress and writes the checkpoint.
        scheduler: a learning-rate scheduler of ``optimizer``, stepped once after every epoch.
        checkpoint: a file (or :class:`~gnnlab.train.Checkpoint`). When it exists, training resumes from it:
            model, optimiser, scheduler, early stopping, random generators (dropout, shuffling, sampling),
            history and the best epoch so far are restored, so the run ends exactly as an uninterrupted one
            with the same seed would (the timings aside). It is (re)written atomically every
            ``checkpoint_every`` epochs and at the end; a finished run's checkpoint returns its result
            without training, and a larger ``epochs`` continues it (unless it stopped early). It must come
            from the same run (model, seed, graph size, batching); otherwise ``ValueError``.
        checkpoint_every: epochs between checkpoint writes.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...; model and data move together
            (in mini-batch mode the graph stays where it is and each batch moves).
        seed: when given, dropout, the shuffling, the neighbour sampling and every other draw of PyTorch's
            generator during training come from this seed, in a forked generator state (the caller's
            global state is left as it was).
        sparse: pass ``x`` (in mini-batch mode each batch's ``x``) as sparse features when it is mostly zeros
            (``"auto"``), always (``True``) or never.
        verbose: a progress bar with the loss and validation accuracy.

    Returns:
        A history dict: per-epoch lists ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
        ``test_acc``, ``seconds`` (training time of the epoch); and ``best_epoch`` (the selected epoch; the
        model is left with its parameters), ``best_val_acc`` and ``best_test_acc`` at that epoch,
        ``final_test_acc``, ``epochs_run``, ``train_time`` (seconds) and ``device``.
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
    check_positive_int(who, "checkpoint_every", checkpoint_every)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike, Checkpoint)):
        fail(who, "'checkpoint' to be None, a path or a Checkpoint", type(checkpoint).__name__, TypeError)
    for name in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        if getattr(data, name, None) is None:
            fail(who, f"'data' with a '{name}' attribute", f"a Data without '{name}'")
    for name in ("train_mask", "val_mask", "test_mask"):
        mask = getattr(data, name)
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != (data.num_nodes,):
            fail(who, f"'data.{name}' to be a bool tensor of shape ({data.num_nodes},)", describe(mask))
    if int(data.train_mask.sum()) == 0:
        fail(who, "'data.train_mask' to select at least one node", "an empty mask")
    patience_rule = isinstance(early_stopping, int) and not isinstance(early_stopping, bool)
    if patience_rule:
        check_positive_int(who, "early_stopping", early_stopping)
    elif early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        fail(who, "'early_stopping' to be None, a patience (int) or an EarlyStopping", type(early_stopping).__name__,
             TypeError)
    if batch_size is None:
        for name, value in (("num_neighbors", num_neighbors), ("eval_batch_size", eval_batch_size)):
            if value is not None:
                fail(who, f"'{name}' only together with 'batch_size' (mini-batch training)", describe(value))
    if distributed and (batch_size is None or not dist.is_available() or not dist.is_initialized()):
        fail(who, "'distributed=True' with 'batch_size' set and a torch.distributed process group joined "
             "(gnnlab.train.distributed.init_distributed)",
             f"batch_size={batch_size}, process group {'joined' if dist.is_initialized() else 'not joined'}")
    if batch_size is not None:
        check_positive_int(who, "batch_size", batch_size)
        eval_batch_size = max(batch_size, 4096) if eval_batch_size is None else eval_batch_size
        check_positive_int(who, "eval_batch_size", eval_batch_size)
        if num_neighbors is None:
            num_neighbors = [25] + [10] * (getattr(model, "num_layers", 2) - 1)

    device = resolve_device(device)
    model = model.to(device)
    x = data.x.to(device)
    x = _maybe_sparse(x, sparse)
    edge_index = data.edge_index.to(device)
    edge_weight = data.edge_weight.to(device) if getattr(data, "edge_weight", None) is not None else None
    y = data.y.to(device)
    masks = {name: getattr(data, f"{name}_mask").to(device) for name in ("train", "val", "test")}
    inputs = (x, edge_index) if edge_weight is None else (x, edge_index, edge_weight)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loader, shards, trained = None, None, model
    rank = dist.get_rank() if distributed else 0
    rank_seed = None if seed is None else seed + 1_000_003 * rank  # independent draws on every rank
    if batch_size is not None:
        options = {"shuffle": True}
        if distributed:
            num_train = int(data.train_mask.sum())
            shards = DistributedSampler(range(num_train), shuffle=True, seed=0 if seed is None else seed)
            options = {"sampler": shards}
            trained = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        loader = NeighborLoader(data, num_neighbors, batch_size=batch_size, input_nodes=data.train_mask,
                                seed=rank_seed, num_workers=num_workers,
                                **options)
        verbose = verbose and rank == 0

    history: dict[str, Any] = {key: [] for key in _PER_EPOCH}
    best: dict[str, Any] = {"epoch": -1, "val_acc": -math.inf, "val_loss": math.inf, "state": None}
    watch = {"val_acc": -math.inf, "val_loss": math.inf, "stale": 0}
    if isinstance(early_stopping, EarlyStopping):
        early_stopping.reset()
    store = checkpoint if checkpoint is None or isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint)
    run = {"model": repr(model), "num_nodes": data.num_nodes, "seed": seed, "batch_size": batch_size,
           "num_neighbors": num_neighbors, "select": select, "world_size": dist.get_world_size() if distributed else 1}
    first_epoch, elapsed, stopped = 0, 0.0, False
    generators = [] if loader is None else [loader.sample_generator, loader.generator]

    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [],
                               enabled=seed is not None or store is not None):
        if seed is not None:
            torch.manual_seed(rank_seed)
        if store is not None and distributed:
            dist.barrier()  # rank 0 may still be writing the checkpoint of an earlier call
        if store is not None and store.exists():
            saved = store.load()
            _check_same_run(who, store, saved.get("run"), run)
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(saved["scheduler"])
            if isinstance(early_stopping, EarlyStopping):
                early_stopping.load_state_dict(saved["early_stopping"])
            history, best, watch = saved["history"], saved["best"], saved["watch"]
            first_epoch, elapsed, stopped = saved["epoch"] + 1, saved["elapsed"], saved["stopped"]
            _set_rng_states(saved["rng"][rank], device, generators)
        start = time.perf_counter() - elapsed
        epoch_range = range(first_epoch, epochs if not stopped else first_epoch)
        bar = tqdm(epoch_range, desc=f"{type(model).__name__}", disable=not verbose, leave=False,
                   initial=first_epoch, total=epochs)
        for epoch in bar:
            tick = time.perf_counter()
            model.train()
            if loader is None:
                _full_batch_step(model, optimizer, inputs, y, masks["train"])
            else:
                if shards is not None:
                    shards.set_epoch(epoch)
                _mini_batch_epoch(trained, optimizer, loader, device, sparse)
            if scheduler is not None:
                scheduler.step()
            history["seconds"].append(time.perf_counter() - tick)

            model.eval()
            with torch.no_grad():
                if loader is not None and hasattr(model, "inference"):
                    logits = model.inference(*inputs, batch_size=eval_batch_size)
                else:
                    logits = model(*inputs)
                metrics = _metrics(logits, y, masks)
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
                stopped = watch["stale"] >= early_stopping
            elif early_stopping is not None:
                stopped = early_stopping.step(metrics[early_stopping.monitor], None)
            last = stopped or epoch == epochs - 1
            if store is not None and (last or (epoch + 1) % checkpoint_every == 0):
                # every rank's generators, so that each rank resumes its own streams
                rng = [_rng_states(device, generators)]
                if distributed:
                    rng = [None] * dist.get_world_size()
                    dist.all_gather_object(rng, _rng_states(device, generators))
                if rank == 0:
                    store.save({
                        "run": run, "epoch": epoch, "stopped": stopped, "elapsed": time.perf_counter() - start,
                        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": None if scheduler is None else scheduler.state_dict(),
                        "early_stopping": early_stopping.state_dict()
                        if isinstance(early_stopping, EarlyStopping) else None,
                        "history": history, "best": best, "watch": watch, "rng": rng})
            if stopped:
                break
        train_time = time.perf_counter() - start

    if not history["train_loss"]:
        fail(who, f"'epochs' above the {first_epoch} epochs already in the checkpoint {store.path}", epochs)
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    best_epoch = best["epoch"]
    history.update(best_epoch=best_epoch, best_val_acc=history["val_acc"][best_epoch],
                   best_test_acc=history["test_acc"][best_epoch], final_test_acc=history["test_acc"][-1],
                   epochs_run=len(history["train_loss"]), train_time=train_time, device=str(device))
    return history


def _rng_states(device: torch.device, generators: list[torch.Generator]) -> dict[str, Any]:
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "generators": [generator.get_state() for generator in generators]}


def _set_rng_states(states: dict[str, Any], device: torch.device, generators: list[torch.Generator]) -> None:
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and states["cuda"] is not None:
        torch.cuda.set_rng_state(states["cuda"], device)
    for generator, state in zip(generators, states["generators"]):
        generator.set_state(state)


def _check_same_run(who: str, store: Checkpoint, saved: dict | None, run: dict) -> None:
    if not isinstance(saved, dict):
        fail(who, f"a checkpoint written by fit_node_classifier at {store.path}", "a checkpoint of something else")
    for key, value in run.items():
        if saved.get(key) != value:
            fail(who, f"the checkpoint at {store.path} to come from this run ({key} = {value!r}); remove it or "
                 "pass another path to start afresh", f"{key} = {saved.get(key)!r} there")


def _full_batch_step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: tuple, y: Tensor,
                     train_mask: Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    logits = model(*inputs)
    F.cross_entropy(logits[train_mask], y[train_mask]).backward()
    optimizer.step()


def _maybe_sparse(x: Tensor, sparse: bool | str) -> Tensor | SparseMatrix:
    if sparse is True or (sparse == "auto" and x.size(0) * x.size(1) >= 100_000):
        return sparse_features(x, max_density=1.0 if sparse is True else 0.1)
    return x


def _mini_batch_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, loader: NeighborLoader,
                      device: torch.device, sparse: bool | str) -> None:
    base = model.module if isinstance(model, DistributedDataParallel) else model
    trims = isinstance(base, NodeModel)  # gnnlab's models skip the outer hops in later layers
    for batch in loader:
        batch = batch.to(device)
        size = batch.batch_size
        optimizer.zero_grad(set_to_none=True)
        edge_weight = getattr(batch, "edge_weight", None)
        x = _maybe_sparse(batch.x, sparse)
        inputs = (x, batch.edge_index) if edge_weight is None else (x, batch.edge_index, edge_weight)
        hops = {"num_sampled_nodes_per_hop": batch.num_sampled_nodes,
                "num_sampled_edges_per_hop": batch.num_sampled_edges} if trims else {}
        logits = model(*inputs, **hops)[:size]
        F.cross_entropy(logits, batch.y[:size]).backward()
        optimizer.step()


def _better(select: str, metrics: dict[str, float], best: dict[str, Any], seen: dict[str, float]) -> bool:
    if select == "last":
        return True
    if select == "val_acc_and_loss":
        return metrics["val_acc"] >= seen["val_acc"] and metrics["val_loss"] <= seen["val_loss"]
    if select == "val_loss":
        return metrics["val_loss"] < best["val_loss"]
    return metrics["val_acc"] > best["val_acc"] or (
        metrics["val_acc"] == best["val_acc"] and metrics["val_loss"] < best["val_loss"])
