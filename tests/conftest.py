from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest
import torch
from hypothesis import settings

from gnnlab.data import karate_club, load_planetoid, random_split

torch.set_num_threads(min(2, torch.get_num_threads()))
# property tests draw the same examples on every run: the suite is deterministic
settings.register_profile("gnnlab", derandomize=True, deadline=None, database=None)
settings.load_profile("gnnlab")


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to open a socket, so a test proves that it works offline."""

    def refuse(*args, **kwargs):
        raise AssertionError("gnnlab tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="session")
def cora():
    return load_planetoid("cora")


@pytest.fixture(scope="session")
def citeseer():
    return load_planetoid("citeseer")


@pytest.fixture
def karate():
    """Zachary's karate club with a stratified 50/25/25 split."""
    data = karate_club()
    data.train_mask, data.val_mask, data.test_mask = random_split(data, 0.5, 0.25, 0.25, seed=0)
    return data


def load_script(path: Path):
    """A script of ``experiments/`` imported as a module (its ``main`` not run), for tests of its pieces."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
