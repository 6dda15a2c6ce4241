"""Seeding."""
from __future__ import annotations

import logging
import os
import random

import numpy as np
import torch

from gnnlab.utils.validation import check_positive_int


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (all CUDA devices included).

    The library's own random functions take a ``seed`` or ``torch.Generator`` and never touch global
    state; this is for user scripts and experiments that want every source of randomness fixed.

    **Determinism.** On CPU, gnnlab gives bit-identical walks, embeddings, weights and accuracies for the same
    seed, inputs and thread count without further settings (its scatters are ``index_add_`` and
    ``scatter_reduce``, whose CPU kernels do not depend on timing; this is tested). On CUDA, ``index_add_``
    and sparse products accumulate with atomics in no fixed order, so the last bits of sums can differ
    from run to run. ``deterministic=True`` calls ``torch.use_deterministic_algorithms(True,
    warn_only=True)`` (``index_add_`` and ``scatter_add_`` then take deterministic kernels) and sets
    ``CUBLAS_WORKSPACE_CONFIG``; gnnlab's sparse products (sparse features, GCN/GraphSAGE/GGNN's cached
    adjacency) then sum their rows with ``index_add_`` instead of cuSPARSE, whose order of summation is not
    fixed. The one known CUDA exception, which warns instead of failing, is ``scatter_reduce`` with
    ``"amax"`` (max aggregation, the attention softmax's maximum): a maximum does not depend on the order, so
    its values still repeat. ``tests/cuda`` checks that training every model twice repeats bit for bit.

    cuBLAS reads ``CUBLAS_WORKSPACE_CONFIG`` when it starts, so call this before any CUDA work in the
    process; called later, it logs a warning that cuBLAS products may not repeat.

    Args:
        seed: a non-negative integer (NumPy gets ``seed % 2**32``).
        deterministic: also ask PyTorch for deterministic kernels (see above); this setting is global to the process.

    Example::

        >>> import torch
        >>> from gnnlab.utils import seed_everything
        >>> seed_everything(0)
        >>> first = torch.rand(3)
        >>> seed_everything(0)
        >>> torch.equal(first, torch.rand(3))
        True
    """
    seed = check_positive_int("seed_everything", "seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        if "CUBLAS_WORKSPACE_CONFIG" not in os.environ and torch.cuda.is_initialized():
            logging.getLogger(__name__).warning(
                "seed_everything(deterministic=True) after CUDA started: cuBLAS ignores CUBLAS_WORKSPACE_CONFIG "
                "set now, so its products may not repeat; call it first in the process")
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)


#: the stream of training's own draws after the first component's: skip-gram after the walks, an epoch's
#: shuffles after the split, the negative pairs of link prediction
NEXT_STREAM = 1
#: the distance between the streams of two ranks of data-parallel training (a prime, far from NEXT_STREAM)
RANK_STREAM = 1_000_003


def derive_seed(seed: int | None, stream: int) -> int | None:
    """The seed of an independent stream of draws derived from a user's ``seed`` (``None`` stays ``None``: a
    fresh random seed). Every component that draws after another one from the same user seed takes its seed
    from here, so the offsets live in one place: ``stream`` is :data:`NEXT_STREAM`, or
    ``RANK_STREAM * rank`` for a rank.

    Args:
        seed: the user's seed, or ``None``.
        stream: the offset of the stream.

    Example::

        >>> from gnnlab.utils.seed import NEXT_STREAM, RANK_STREAM, derive_seed
        >>> derive_seed(7, NEXT_STREAM), derive_seed(7, RANK_STREAM * 2), derive_seed(None, NEXT_STREAM)
        (8, 2000013, None)
    """
    return None if seed is None else seed + stream


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` seeded with ``seed`` (a fresh random seed when ``None``).

    Args:
        seed: a non-negative integer, or ``None`` for a fresh random seed.
        device: where the generator draws (``"cpu"``, ``"cuda"``, a :class:`torch.device`...).

    Example::

        >>> import torch
        >>> from gnnlab.utils import make_generator
        >>> make_generator(0).device
        device(type='cpu')
        >>> torch.equal(torch.rand(3, generator=make_generator(0)), torch.rand(3, generator=make_generator(0)))
        True
    """
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    return generator
