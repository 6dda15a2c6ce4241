"""AttentionalAggregation against PyG's on copied weights: values and gradients, node- and feature-level gates,
``index``, ``ptr`` and no batch, empty trailing graphs, PyG's MLP (which takes the batch)."""
from __future__ import annotations

import pytest
import torch
import torch_geometric.nn as pyg
from torch import nn

from gnnlab.nn import AttentionalAggregation
from gnnlab.nn.pool import AttentionalAggregation as FromPool


def _pair(gate_width: int, with_nn: bool, seed: int):
    torch.manual_seed(seed)
    gate = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, gate_width)).double()
    transform = nn.Linear(5, 6).double() if with_nn else None
    ours = AttentionalAggregation(gate, transform)
    theirs = pyg.aggr.AttentionalAggregation(gate.__class__(*[type(m)(m.in_features, m.out_features).double()
                                                              if isinstance(m, nn.Linear) else m for m in gate]),
                                             None if transform is None else nn.Linear(5, 6).double())
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("gate_width, with_nn", [(1, True), (6, True), (1, False), (5, False)])
def test_equal_to_pyg_with_gradients(seed, gate_width, with_nn):
    ours, theirs = _pair(gate_width, with_nn, seed)
    generator = torch.Generator().manual_seed(seed + 10)
    batch = torch.sort(torch.randint(0, 5, (30,), generator=generator)).values
    x = torch.randn(30, 5, generator=generator, dtype=torch.float64) * 3
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_b = ours(xa, batch), theirs(xb, batch)
    torch.testing.assert_close(out_a, out_b)
    out_a.pow(2).sum().backward()
    out_b.pow(2).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a.grad, b.grad)
    torch.testing.assert_close(ours(x, batch, dim_size=8), theirs(x, batch, dim_size=8))  # 3 empty graphs last
    torch.testing.assert_close(ours(x), theirs(x))  # one graph
    ptr = torch.cat([torch.zeros(1, dtype=torch.long), torch.bincount(batch, minlength=5).cumsum(0)])
    torch.testing.assert_close(ours(x, ptr=ptr), theirs(x, ptr=ptr))


def test_pyg_mlp_gets_the_batch_as_in_pyg():
    torch.manual_seed(0)
    gate = pyg.MLP([5, 8, 1], norm="graph_norm")  # a normalisation per graph: needs the batch
    ours = AttentionalAggregation(gate)
    theirs = pyg.aggr.AttentionalAggregation(pyg.MLP([5, 8, 1], norm="graph_norm"))
    theirs.load_state_dict(ours.state_dict())
    assert set(ours.state_dict()) == set(theirs.state_dict())
    x, batch = torch.randn(12, 5), torch.tensor([0] * 5 + [1] * 7)
    torch.testing.assert_close(ours(x, batch), theirs(x, batch))
    assert ours.gate_nn is None and ours.gate_mlp is gate


def test_softmax_is_per_graph():
    readout = AttentionalAggregation(nn.Linear(2, 1))
    x, batch = torch.randn(7, 2), torch.tensor([0, 0, 0, 1, 1, 1, 1])
    out = readout(x, batch)
    torch.testing.assert_close(out[0], readout(x[:3])[0])
    torch.testing.assert_close(out[1], readout(x[3:])[0])
    assert FromPool is AttentionalAggregation


def test_reset_parameters_redraws_sequential_layers():
    readout = AttentionalAggregation(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    before = readout.gate_nn[0].weight.clone()
    readout.reset_parameters()
    assert not torch.equal(before, readout.gate_nn[0].weight)


@pytest.mark.parametrize("call, match", [
    (lambda r: r(torch.randn(4)), r"'x' to be a tensor of node features \(N, F\)"),
    (lambda r: r(torch.randn(4, 3), torch.tensor([0, 1])), r"'index' to be an integer tensor of shape \(4,\)"),
    (lambda r: r(torch.randn(4, 3), ptr=torch.tensor([0, 2])), "'ptr' to be CSR offsets"),
    (lambda r: r(torch.randn(4, 3), dim=1), "'dim' to be -2"),
])
def test_bad_inputs_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call(AttentionalAggregation(nn.Linear(3, 1)))


def test_gate_of_the_wrong_width_is_named():
    with pytest.raises(ValueError, match=r"'gate_nn' to give one score per node \(4, 1\) or per feature"):
        AttentionalAggregation(nn.Linear(3, 2))(torch.randn(4, 3))
    with pytest.raises(TypeError, match="'gate_nn' to be a torch.nn.Module"):
        AttentionalAggregation(lambda x: x)
