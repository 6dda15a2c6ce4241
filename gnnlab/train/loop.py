"""The epoch loop every trainer runs: train, evaluate, record, select the best epoch, stop early, checkpoint.

A trainer for a new task supplies only what is specific to the task: one epoch of training, an evaluation that
returns a dict of metrics, and the metric that selects the epoch. :func:`run_epochs` does the rest, the same way
for every task: the history, the progress bar, best-epoch selection (a :class:`~gnnlab.regularize.BestEpoch`),
early stopping (an :class:`~gnnlab.regularize.EarlyStopping`), a seeded generator forked from the caller's,
and checkpoints that resume exactly (:mod:`gnnlab.train.checkpoint`). ``fit_node_classifier`` and
``fit_classifier`` are built this way; a full-batch link predictor that selects its epoch by validation AUC
would be::

    from gnnlab.regularize import BestEpoch
    from gnnlab.train.loop import check_loop_arguments, early_stopping_for, run_epochs

    def fit_link_predictor(model, train_data, val_data, test_data, *, epochs=200, lr=0.01,
                           early_stopping=None, checkpoint=None, checkpoint_every=1, seed=None, verbose=True):
        who = "fit_link_predictor"
        store = check_loop_arguments(who, model, epochs, checkpoint, checkpoint_every)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)

        def train_epoch(epoch):                    # the model is in training mode
            optimizer.zero_grad()
            loss = link_loss(model, train_data)    # the task's own loss
            loss.backward()
            optimizer.step()
            return {"train_loss": float(loss.detach())}

        def evaluate():                            # evaluation mode, under torch.no_grad()
            return {"val_auc": auc(model, val_data), "test_auc": auc(model, test_data)}

        history = run_epochs(
            who, model, optimizer, train_epoch, evaluate, epochs=epochs,
            history_keys=("train_loss", "val_auc", "test_auc", "seconds"),
            selection=BestEpoch("val_auc", "max"),
            early_stopping=early_stopping_for(who, early_stopping, "val_auc", "max"),
            checkpoint=store, checkpoint_every=checkpoint_every, run={"model": model_identity(model), "seed": seed},
            seed=seed, verbose=verbose, progress=("train_loss", "val_auc"))
        history["best_test_auc"] = history["test_auc"][history["best_epoch"]]
        return history
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from tqdm.auto import tqdm

from gnnlab.regularize.best_epoch import BestEpoch
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.train.checkpoint import (
    Checkpoint,
    resume_training,
    rng_states,
    save_training,
    set_rng_states,
)
from gnnlab.utils.validation import check_positive_int, fail, is_integer


def check_loop_arguments(who: str, model: Any, epochs: Any, checkpoint: Any = None,
                         checkpoint_every: Any = 1) -> Checkpoint | None:
    """Check the arguments every trainer shares; return ``checkpoint`` as a :class:`Checkpoint` (or ``None``)."""
    if not isinstance(model, nn.Module):
        fail(who, "'model' to be a torch.nn.Module", type(model).__name__, TypeError)
    check_positive_int(who, "epochs", epochs)
    check_positive_int(who, "checkpoint_every", checkpoint_every)
    if checkpoint is None or isinstance(checkpoint, Checkpoint):
        return checkpoint
    if not isinstance(checkpoint, (str, os.PathLike)):
        fail(who, "'checkpoint' to be None, a path or a Checkpoint", type(checkpoint).__name__, TypeError)
    return Checkpoint(checkpoint)


def early_stopping_for(who: str, early_stopping: int | EarlyStopping | None, monitor: str | Sequence[str],
                       mode: str | Sequence[str]) -> EarlyStopping | None:
    """A trainer's ``early_stopping`` argument as an :class:`EarlyStopping`: a patience (``int``) watches
    ``monitor`` in direction ``mode`` (stopping once none of them improved for that many epochs); an
    ``EarlyStopping`` is used as it is; ``None`` never stops early."""
    if early_stopping is None or isinstance(early_stopping, EarlyStopping):
        return early_stopping
    if not is_integer(early_stopping):
        fail(who, "'early_stopping' to be None, a patience (int) or an EarlyStopping", type(early_stopping).__name__,
             TypeError)
    check_positive_int(who, "early_stopping", early_stopping)
    return EarlyStopping(early_stopping, mode=mode, monitor=monitor, restore_best=False)


def run_epochs(
    who: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_epoch: Callable[[int], Mapping[str, float] | None],
    evaluate: Callable[[], Mapping[str, float]],
    *,
    epochs: int,
    history_keys: Sequence[str],
    selection: BestEpoch,
    early_stopping: EarlyStopping | None = None,
    scheduler: Any = None,
    checkpoint: Checkpoint | None = None,
    checkpoint_every: int = 1,
    run: Mapping[str, Any] | None = None,
    generators: Sequence[torch.Generator] = (),
    seed: int | None = None,
    device: torch.device | None = None,
    distributed: bool = False,
    verbose: bool = True,
    progress: Sequence[str] = ("train_loss",),
    on_epoch_end: Callable[[int, Mapping[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Run epochs ``0 .. epochs - 1`` (or resume from ``checkpoint``) and return the history.

    Each epoch: ``model.train()``, ``train_epoch(epoch)`` (it returns metrics of the training pass, or
    ``None``), ``scheduler.step()``; then ``model.eval()`` and ``evaluate()`` under ``torch.no_grad()``. The
    epoch's metrics (those two dicts, and ``seconds``: the time of the training pass) are appended to the
    history under ``history_keys``; ``selection`` is updated with them (and a copy of the model when it is the
    best epoch); ``early_stopping`` (reset first) decides whether to stop.

    The global generator is forked (the caller's state is left as it was) and seeded with ``seed`` when one is
    given. With a ``checkpoint``, a run saved there is resumed (``ValueError`` when its ``run`` identity
    differs), and the run is saved every ``checkpoint_every`` epochs and at the end, with the states of the
    global generators and of ``generators``, so that a resumed run ends exactly as an uninterrupted one.
    ``distributed``: every rank of the process group calls this; rank 0 writes the checkpoint, and its
    ``early_stopping`` decides for every rank when to stop (ranks that stopped apart would wait for ever).
    ``on_epoch_end(epoch, metrics)``, when given, is called after each epoch is recorded and checkpointed.

    Returns:
        ``{key: [per-epoch values]}`` for ``history_keys``, with ``best_epoch`` (``selection``'s; the model is
        left with its parameters when it kept them), ``epochs_run`` and ``train_time`` (seconds, resumed
        runs included).
    """
    device = torch.device("cpu") if device is None else device
    parts = {"model": model, "optimizer": optimizer, "scheduler": scheduler, "early_stopping": early_stopping,
             "best": selection}
    if early_stopping is not None:
        early_stopping.reset()
    random = {"device": device, "generators": list(generators), "distributed": distributed}
    run = dict(run or {})
    with _forked_rng(seed, device, always=checkpoint is not None):
        so_far = _resume(who, checkpoint, run, parts, random, history_keys)
        history, first_epoch = so_far["history"], so_far["epoch"] + 1
        start = time.perf_counter() - so_far["elapsed"]
        bar = tqdm(range(first_epoch, first_epoch if so_far["stopped"] else epochs), desc=type(model).__name__,
                   disable=not verbose, leave=False, initial=first_epoch, total=epochs)
        for epoch in bar:
            metrics = _one_epoch(model, train_epoch, evaluate, scheduler, epoch)
            for key in history_keys:
                if key in metrics:
                    history[key].append(metrics[key])
            bar.set_postfix({key: f"{metrics[key]:.4f}" for key in progress if key in metrics})
            selection.update(metrics, model)
            stopped = early_stopping is not None and early_stopping.step(metrics)
            if distributed and early_stopping is not None:
                stopped = _decided_by_rank_zero(stopped, device)
            if checkpoint is not None and (stopped or epoch == epochs - 1 or (epoch + 1) % checkpoint_every == 0):
                _save(checkpoint, run, parts, random, epoch=epoch, stopped=stopped, history=history,
                      elapsed=time.perf_counter() - start)
            if on_epoch_end is not None:  # the epoch is recorded and checkpointed: a callback sees a resumable run
                on_epoch_end(epoch, metrics)
            if stopped:
                break
        train_time = time.perf_counter() - start
    selection.restore(model)
    history.update(best_epoch=selection.best_epoch, epochs_run=max(len(values) for values in history.values()),
                   train_time=train_time)
    return history


def _one_epoch(model: nn.Module, train_epoch: Callable, evaluate: Callable, scheduler: Any,
               epoch: int) -> dict[str, float]:
    tick = time.perf_counter()
    model.train()
    metrics = dict(train_epoch(epoch) or {})
    if scheduler is not None:
        scheduler.step()
    metrics["seconds"] = time.perf_counter() - tick
    model.eval()
    with torch.no_grad():
        metrics.update(evaluate())
    return metrics


def _resume(who: str, store: Checkpoint | None, run: dict, parts: dict, random: dict,
            history_keys: Sequence[str]) -> dict:
    """The progress saved in ``store`` (its parts and generators restored), or that of a fresh run."""
    fresh = {"epoch": -1, "elapsed": 0.0, "stopped": False, "history": {key: [] for key in history_keys}}
    if store is None:
        return fresh
    if random["distributed"]:
        _barrier(random["device"])  # rank 0 may still be writing the checkpoint of an earlier call
    saved = resume_training(who, store, run, parts)
    if saved is None:
        return fresh
    rank = dist.get_rank() if random["distributed"] else 0
    set_rng_states(saved["rng"], random["device"], random["generators"], rank)
    return saved


def _barrier(device: torch.device) -> None:
    """``dist.barrier()`` on this rank's GPU under NCCL (without ``device_ids`` NCCL guesses the device from the
    rank, which is wrong when ranks do not map one-to-one onto ``cuda:0..``)."""
    if dist.get_backend() == "nccl" and device.type == "cuda":
        dist.barrier(device_ids=[device.index if device.index is not None else torch.cuda.current_device()])
    else:
        dist.barrier()


def _decided_by_rank_zero(stopped: bool, device: torch.device) -> bool:
    """Rank 0's ``stopped``, on every rank: each rank evaluates on its own, and metrics that differ in their last
    bits (a nondeterministic CUDA scatter, another thread count) could stop one rank while another trains on and
    waits in its next all-reduce for ever. Rank 0's, because its early-stopping state is the one checkpointed."""
    flag = torch.tensor(int(stopped), device=device)
    unshared = sys.getrefcount(flag)
    dist.broadcast(flag, src=0)
    if dist.get_backend() == "gloo":
        # gloo's worker thread lets go of the tensor after broadcast returns and needs the GIL for it: wait for it
        # (sleeping releases the GIL). A process group destroyed meanwhile, by a thread holding the GIL, would join
        # that worker while it waits for the GIL: a deadlock (the run's last collective, if it stops now).
        deadline = time.monotonic() + 10.0
        while sys.getrefcount(flag) > unshared and time.monotonic() < deadline:
            time.sleep(0.001)
    return bool(flag.item())


def _save(store: Checkpoint, run: dict, parts: dict, random: dict, **progress: Any) -> None:
    rng = rng_states(**random)  # every rank's generators (a collective call), so that each resumes its own
    if not random["distributed"] or dist.get_rank() == 0:
        save_training(store, run, parts, rng=rng, **progress)


@contextlib.contextmanager
def _forked_rng(seed: int | None, device: torch.device, always: bool) -> Iterator[None]:
    """Fork PyTorch's global generator (and the CUDA one of ``device``) and seed it with ``seed``."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], enabled=seed is not None or always):
        if seed is not None:
            torch.manual_seed(seed)
        yield
