"""seed_everything and make_generator."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from gnnlab.utils import make_generator, seed_everything


@pytest.fixture
def restore_global_state(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.set_rng_state(states[2])


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_seeds_python_numpy_and_torch(restore_global_state):
    seed_everything(7)
    first = _draws()
    seed_everything(7)
    assert _draws() == first
    seed_everything(8)
    assert all(a != b for a, b in zip(_draws(), first))
    assert not torch.are_deterministic_algorithms_enabled()  # the default leaves the algorithms alone


def test_deterministic_switches_torch_to_deterministic_kernels(restore_global_state):
    seed_everything(3, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_make_generator_and_bad_seed():
    assert torch.equal(torch.rand(3, generator=make_generator(5)), torch.rand(3, generator=make_generator(5)))
    with pytest.raises(ValueError, match="'seed_everything' expected 'seed'"):
        seed_everything(-1)
