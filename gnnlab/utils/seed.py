"""Seeding."""
from __future__ import annotations

import random

import numpy as np
import torch

from gnnlab.utils.validation import check_positive_int


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (all CUDA devices included).

    The library's own random functions take a ``seed`` or ``torch.Generator`` and never touch global
    state; this is for user scripts and experiments that want every source of randomness fixed.
    """
    check_positive_int("seed_everything", "seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` seeded with ``seed`` (a fresh random seed when ``None``)."""
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    return generator
