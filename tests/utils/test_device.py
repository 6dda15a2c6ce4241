from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from gnnlab.utils import resolve_device, seed_everything


def test_auto_picks_cuda_when_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected


def test_explicit_cpu():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device(" CPU ") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_unavailable_cuda_is_a_clear_error(device):
    with pytest.raises(ValueError, match=r"'resolve_device' expected 'device' to be available.*'cpu'"):
        resolve_device(device)


@pytest.mark.parametrize("device", ["gpu", "tpu:0", "cuda:x"])
def test_unknown_device(device):
    with pytest.raises(ValueError, match="'device'"):
        resolve_device(device)


def test_wrong_type():
    with pytest.raises(TypeError, match="'device'"):
        resolve_device(0.5)


def test_seed_everything_repeats_every_generator():
    seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(7)
    assert first == (random.random(), np.random.rand(), torch.rand(1).item())
    with pytest.raises(ValueError, match="'seed'"):
        seed_everything(-1)


def test_cuda_comes_back_with_its_index(monkeypatch):
    """``"cuda"`` and ``"auto"`` resolve to the current card's index, as a tensor's device reads (CUDA faked here:
    this runs on any machine)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert resolve_device("cuda") == torch.device("cuda", 1)
    assert resolve_device("auto") == torch.device("cuda", 1)
    assert str(resolve_device(None)) == "cuda:1"
    assert resolve_device("cuda:0") == torch.device("cuda", 0)


def test_deterministic_seeding_after_cuda_started_warns(monkeypatch, caplog):
    """cuBLAS reads its workspace setting when it starts: asking for determinism later says so (CUDA faked)."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    calls = []
    monkeypatch.setattr(torch, "use_deterministic_algorithms", lambda *args, **kwargs: calls.append((args, kwargs)))
    with caplog.at_level("WARNING", logger="gnnlab.utils.seed"):
        seed_everything(0, deterministic=True)
    assert "after CUDA started" in caplog.text
    assert calls == [((True,), {"warn_only": True})]
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG")
    caplog.clear()
    with caplog.at_level("WARNING", logger="gnnlab.utils.seed"):
        seed_everything(0, deterministic=True)
    assert caplog.text == "" and os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
