"""The CUDA tests: every test here is marked ``cuda`` and is skipped, with the reason shown, where PyTorch
sees no CUDA device, so a CPU-only run lists them as SKIPPED ("CUDA not available") instead of leaving them
out. ``pytest -m cuda`` selects them; ``pytest -m "not cuda"`` leaves them out."""
from __future__ import annotations

import pytest
import torch

REASON = "CUDA not available"


def pytest_collection_modifyitems(config, items):
    available = torch.cuda.is_available()
    for item in items:
        if item.get_closest_marker("cuda") is not None and not available:
            item.add_marker(pytest.mark.skip(reason=REASON))


@pytest.fixture
def cuda() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device())
