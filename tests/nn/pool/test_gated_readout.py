"""Li et al.'s gated readout against a float64 reference written node by node: values, gradients, batches."""
from __future__ import annotations

import math

import pytest
import torch

from gnnlab.nn import GatedReadout
from gnnlab.nn.pool import GatedReadout as PoolGatedReadout


def reference(readout, h, x, batch, num_graphs):
    """h_G = tanh(sum_v sigmoid(W_i [h_v, x_v] + b_i) * tanh(W_j [h_v, x_v] + b_j)), one node at a time."""
    w_i, b_i = readout.gate.weight, readout.gate.bias
    w_j, b_j = readout.transform.weight, readout.transform.bias
    rows = []
    for graph in range(num_graphs):
        total = h.new_zeros(readout.out_channels)
        for v in range(h.size(0)):
            if int(batch[v]) == graph:
                joined = torch.cat([h[v], x[v]])
                total = total + torch.sigmoid(w_i @ joined + b_i) * torch.tanh(w_j @ joined + b_j)
        rows.append(torch.tanh(total))
    return torch.stack(rows)


def _batch(seed):
    generator = torch.Generator().manual_seed(seed)
    batch = torch.tensor([0, 0, 0, 1, 1, 3, 3, 3, 3])  # graph 2 has no nodes
    h = torch.randn(9, 5, generator=generator, dtype=torch.float64)
    x = (torch.rand(9, 2, generator=generator) < 0.4).double()
    return h, x, batch


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_the_reference_with_gradients(seed):
    torch.manual_seed(seed)
    readout = GatedReadout(5, 2, 4).double()
    h, x, batch = _batch(seed)
    leaves = [h.requires_grad_(), x.requires_grad_(), *readout.parameters()]
    out = readout(h, x, batch)
    expected = reference(readout, h, x, batch, 4)
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)
    upstream = torch.linspace(-1, 1, out.numel(), dtype=torch.float64).view_as(out)
    grads = torch.autograd.grad((out * upstream).sum(), leaves)
    expected_grads = torch.autograd.grad((expected * upstream).sum(), leaves)
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad, atol=1e-12, rtol=0)


def test_the_annotations_enter_both_gate_and_transform():
    torch.manual_seed(2)
    readout = GatedReadout(5, 2, 4).double()
    h, x, batch = _batch(2)
    assert not torch.allclose(readout(h, x, batch), readout(h, torch.zeros_like(x), batch))
    for layer in (readout.gate, readout.transform):
        with torch.no_grad():
            saved = layer.weight[:, 5:].clone()
            layer.weight[:, 5:] = 0
        without = readout(h, x, batch)
        with torch.no_grad():
            layer.weight[:, 5:] = saved
        assert not torch.allclose(without, readout(h, x, batch))


def test_a_batch_equals_its_graphs_one_by_one():
    torch.manual_seed(3)
    readout = GatedReadout(5, 2, 4).double()
    h, x, batch = _batch(3)
    out = readout(h, x, batch, size=5)  # graphs 2 and 4 have no nodes: tanh(0) = 0
    assert out.shape == (5, 4)
    for graph in range(5):
        nodes = batch == graph
        alone = readout(h[nodes], x[nodes]) if nodes.any() else torch.zeros(1, 4, dtype=torch.float64)
        torch.testing.assert_close(out[graph:graph + 1], alone, atol=1e-12, rtol=0)


def test_bounded_and_without_annotations():
    torch.manual_seed(4)
    readout = GatedReadout(3, 0, 2)
    out = readout(100 * torch.randn(50, 3), torch.zeros(50, 0))
    assert out.shape == (1, 2) and bool((out.abs() <= 1).all())
    # each node adds at most 1 in absolute value before the outer tanh
    small = GatedReadout(3, 1, 2)(torch.randn(2, 3), torch.ones(2, 1))
    assert bool((small.abs() <= math.tanh(2.0)).all())


def test_repr_export_and_errors():
    assert PoolGatedReadout is GatedReadout
    assert repr(GatedReadout(4, 1, 8)) == "GatedReadout(4, 1, 8)"
    with pytest.raises(ValueError, match=r"'GatedReadout' expected 'x' of shape \(N, 1\)"):
        GatedReadout(4, 1, 8)(torch.randn(3, 4), torch.randn(3, 2))
    with pytest.raises(ValueError, match=r"'GatedReadout' expected 'x' with one row per node of 'h' \(3\)"):
        GatedReadout(4, 1, 8)(torch.randn(3, 4), torch.randn(2, 1))
    with pytest.raises(ValueError, match="'GatedReadout' expected 'out_channels' to be an integer >= 1"):
        GatedReadout(4, 1, 0)
