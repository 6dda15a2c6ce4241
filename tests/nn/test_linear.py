from __future__ import annotations

import pytest
import torch

from gnnlab.nn import Linear
from gnnlab.nn.functional import SparseMatrix


def test_matches_torch_linear_on_dense_and_sparse_input():
    torch.manual_seed(0)
    ours, reference = Linear(6, 3), torch.nn.Linear(6, 3)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(5, 6)
    x[x < 0.3] = 0
    torch.testing.assert_close(ours(x), reference(x))
    torch.testing.assert_close(ours(SparseMatrix.from_dense(x)), reference(x), atol=1e-6, rtol=1e-5)


def test_lazy_width_is_inferred_on_the_first_call_or_from_a_state_dict():
    lazy = Linear(-1, 3, weight_initializer="glorot")
    assert repr(lazy) == "Linear(-1, 3, bias=True)"
    out = lazy(torch.randn(4, 7, dtype=torch.float64))
    assert out.shape == (4, 3) and lazy.weight.shape == (3, 7) and lazy.weight.dtype == torch.float64
    assert repr(lazy) == "Linear(7, 3, bias=True)"
    loaded = Linear(-1, 3)
    loaded.load_state_dict(torch.nn.Linear(5, 3).state_dict())
    assert loaded.weight.shape == (3, 5) and loaded(torch.randn(2, 5)).shape == (2, 3)


def test_glorot_bound_and_bad_widths():
    torch.manual_seed(1)
    weight = Linear(300, 200, weight_initializer="glorot").weight
    bound = (6 / 500) ** 0.5
    assert weight.abs().max() <= bound and weight.abs().max() > 0.95 * bound
    with pytest.raises(ValueError, match="'in_channels'"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="'weight_initializer'"):
        Linear(3, 3, weight_initializer="zeros")
