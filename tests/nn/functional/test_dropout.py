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


def _previous_dropout(x, p, generator):
    """The mask as gnnlab drew it before the in-place build: ``(rand >= p).to(dtype) * scale``."""
    keep = torch.rand(x.shape, device=x.device, generator=generator) >= p
    return x * (keep.to(x.dtype) * (1.0 / (1.0 - p)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.6])
def test_default_masks_are_the_previous_draws(dtype, p):
    """The mask built in place in the uniforms' buffer gives, bit for bit, the values and gradient the
    two-step build gave: results with a fixed seed do not move."""
    x = (torch.randn(300, 7, dtype=torch.float64) * 3).to(dtype).requires_grad_()
    ours = dropout(x, p, generator=torch.Generator().manual_seed(3))
    reference = _previous_dropout(x, p, torch.Generator().manual_seed(3))
    assert ours.dtype == dtype and torch.equal(ours, reference)
    (grad,) = torch.autograd.grad(ours.sum(), x)
    (reference_grad,) = torch.autograd.grad(reference.sum(), x)
    assert torch.equal(grad, reference_grad)


# -- byte masks ---------------------------------------------------------------------------------------------------
EXACT = [1 / 256, 0.125, 0.25, 0.375, 0.5, 0.75, 255 / 256]


@pytest.mark.parametrize("p", EXACT)
def test_byte_mask_threshold_drops_exactly_p_of_the_byte_values(p):
    from gnnlab.nn.functional.dropout import _keep

    every_byte = torch.arange(256, dtype=torch.uint8)
    kept = _keep(every_byte, round(256 * p), torch.float32)
    assert set(kept.unique().tolist()) <= {0.0, 1.0}
    assert int(kept.sum()) == 256 - round(256 * p)  # P(drop) = p exactly for uniform bytes


@pytest.mark.parametrize("p", EXACT)
def test_byte_mask_drops_at_rate_p_in_every_byte_of_a_draw(p):
    """The drop rate over 4M elements, overall and in each of the eight byte positions of a 64-bit draw (a
    draw whose top bits are not uniform, as ``random_()``'s default range below 2**63, shows in one position),
    within 5 standard deviations of a binomial; kept entries scaled by 1 / (1 - p)."""
    x = torch.ones(1 << 22)
    out = dropout(x, p, generator=torch.Generator().manual_seed(7), byte_mask=True)
    dropped = (out == 0).double()
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - p)))
    for positions in (dropped, *dropped.view(-1, 8).unbind(1)):
        sigma = (p * (1 - p) / positions.numel()) ** 0.5
        assert abs(float(positions.mean()) - p) < 5 * sigma


def test_byte_mask_semantics_gradient_eval_and_sparse():
    x = torch.randn(4000, 3, dtype=torch.float64, requires_grad=True)
    out = dropout(x, 0.5, generator=torch.Generator().manual_seed(8), byte_mask=True)
    assert out.dtype == torch.float64
    (grad,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(grad, (out != 0).double() * 2.0)
    torch.testing.assert_close(out[out != 0], (x * 2.0)[out != 0])
    assert dropout(x, 0.5, training=False, byte_mask=True) is x
    dense = torch.zeros(100, 100)
    dense[::3, ::2] = 1.0
    sparse = dropout(SparseMatrix.from_dense(dense), 0.25, generator=torch.Generator().manual_seed(9),
                     byte_mask=True).to_dense()
    assert ((sparse != 0) <= (dense != 0)).all()
    assert torch.equal(sparse.unique(), torch.tensor([0.0, 1 / 0.75]))


@pytest.mark.parametrize("p", [0.1, 0.3, 0.6, 0.99])
def test_byte_mask_falls_back_to_float_draws_where_256p_is_not_an_integer(p):
    x = torch.randn(500, 4)
    assert torch.equal(dropout(x, p, generator=torch.Generator().manual_seed(1), byte_mask=True),
                       dropout(x, p, generator=torch.Generator().manual_seed(1)))


def test_byte_mask_repeats_with_a_seed_and_differs_across_seeds():
    x = torch.ones(64, 64)
    first = dropout(x, 0.5, generator=torch.Generator().manual_seed(2), byte_mask=True)
    assert torch.equal(first, dropout(x, 0.5, generator=torch.Generator().manual_seed(2), byte_mask=True))
    assert not torch.equal(first, dropout(x, 0.5, generator=torch.Generator().manual_seed(3), byte_mask=True))
