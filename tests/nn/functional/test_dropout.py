from __future__ import annotations

import pytest
import torch

from gnnlab.nn.functional import SparseMatrix, dropout


def test_inverted_dropout_keeps_expectation_and_drops_p():
    x = torch.ones(200_000, dtype=torch.float64)
    out = dropout(x, 0.3, generator=torch.Generator().manual_seed(0))
    assert abs(float((out == 0).double().mean()) - 0.3) < 0.005
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.7))
    assert abs(float(out.mean()) - 1.0) < 0.01


def test_identity_in_eval_and_gradient_is_the_mask():
    x = torch.randn(50, requires_grad=True)
    assert dropout(x, 0.5, training=False) is x
    out = dropout(x, 0.5, generator=torch.Generator().manual_seed(1))
    (grad,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(grad, (out != 0).float() * 2.0)


def test_sparse_dropout_touches_only_stored_entries():
    dense = torch.zeros(100, 100)
    dense[::7, ::3] = 1.0
    out = dropout(SparseMatrix.from_dense(dense), 0.5, generator=torch.Generator().manual_seed(2)).to_dense()
    assert ((out != 0) <= (dense != 0)).all()
    assert set(out.unique().tolist()) <= {0.0, 2.0}


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match="'dropout' expected 'p'"):
        dropout(torch.ones(3), p)
