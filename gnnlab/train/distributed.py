r"""Data-parallel training across processes and machines with PyTorch's own engine, ``torch.distributed``.

Every process (*rank*) holds a full copy of the model and of the graph; the training seed nodes are split
into one shard per rank (:class:`torch.utils.data.distributed.DistributedSampler`, reshuffled every
epoch), each rank samples the neighbourhoods of its own seeds, and
:class:`~torch.nn.parallel.DistributedDataParallel` averages the gradients over all ranks before every
optimiser step, so the ranks' parameters stay identical: one step on :math:`R` ranks with :math:`B` seeds
each is one step on the :math:`RB` seeds together. The backend is ``gloo`` on CPU and ``nccl`` on CUDA.

Launch with ``torchrun`` (one machine or several)::

    torchrun --nproc-per-node 2 -m gnnlab train sage --distributed --dataset cora --batch-size 64
    gnnlab train sage --distributed --nproc-per-node 2 --batch-size 64     # the same, launched for you

Only rank 0 shows progress, prints, and writes results and checkpoints. This module joins and describes the
process group; starting the processes is the command line's (``gnnlab train --distributed``) or torchrun's.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist

from gnnlab.utils.validation import check_choice

#: variables that ``torchrun`` sets in every process it starts
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def launched_by_torchrun() -> bool:
    """Whether this process was started by ``torchrun`` (its rank variables are set)."""
    return all(name in os.environ for name in TORCHRUN_VARIABLES)


def init_distributed(backend: str = "auto") -> torch.device:
    """Join the process group that ``torchrun`` set up (``env://``) and return this rank's device.

    ``backend="auto"`` picks ``nccl`` when CUDA is available (each rank then uses the GPU of its
    ``LOCAL_RANK``) and ``gloo`` otherwise. Calling it again once joined only returns the device.
    """
    who = "init_distributed"
    check_choice(who, "backend", backend, ("auto", "gloo", "nccl"))
    if not launched_by_torchrun() and not dist.is_initialized():
        missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
        raise RuntimeError(f"'{who}' expected to run under torchrun (got no {', '.join(missing)} in the "
                           "environment); launch with 'torchrun --nproc-per-node N -m gnnlab train ... --distributed' "
                           "or 'gnnlab train ... --distributed'")
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    device = torch.device("cpu")
    if backend == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return device


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main_process() -> bool:
    """True on rank 0 and when not distributed: the process that prints and writes files."""
    return rank() == 0
