"""GINConv and GINEConv against PyG's with copied weights: outputs and gradients, on plain, bipartite and sparse
inputs, with fixed and learned epsilon."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GINConv as PyGGINConv
from torch_geometric.nn import GINEConv as PyGGINEConv

from gnnlab.nn import GINConv, GINEConv


def _mlp(inputs: int, outputs: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(inputs, 16), torch.nn.ReLU(), torch.nn.Linear(16, outputs))


def _graph(num_nodes=30, num_edges=120, features=6, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    return torch.randn(num_nodes, features, generator=generator, dtype=torch.float64), edge_index


def _pair(ours_class, pyg_class, nn_maker, **kwargs):
    torch.manual_seed(0)
    ours = ours_class(nn_maker(), **kwargs).double()
    theirs = pyg_class(nn_maker(), **kwargs).double()
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def _same(a, b, inputs_a, inputs_b, leaves_a, leaves_b):
    out_a, out_b = a(*inputs_a), b(*inputs_b)
    torch.testing.assert_close(out_a, out_b, atol=1e-10, rtol=1e-8)
    (out_a ** 2).sum().backward()
    (out_b ** 2).sum().backward()
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-10, rtol=1e-8, msg=name)
    for la, lb in zip(leaves_a, leaves_b):
        torch.testing.assert_close(la.grad, lb.grad, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("eps, train_eps", [(0.0, False), (0.3, False), (-0.2, True)])
@pytest.mark.parametrize("seed", [0, 1])
def test_gin_conv_equals_pyg(eps, train_eps, seed):
    x, edge_index = _graph(seed=seed)
    ours, theirs = _pair(GINConv, PyGGINConv, lambda: _mlp(6, 4), eps=eps, train_eps=train_eps)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    _same(ours, theirs, (xa, edge_index), (xb, edge_index), [xa], [xb])
    if train_eps:
        assert ours.eps.grad is not None and isinstance(ours.eps, torch.nn.Parameter)
    else:
        assert "eps" not in dict(ours.named_parameters()) and float(ours.eps) == pytest.approx(eps, abs=1e-7)


def test_gin_conv_on_a_bipartite_pair_and_a_sparse_adjacency():
    x, _ = _graph()
    targets = torch.randn(5, 6, dtype=torch.float64)
    edge_index = torch.stack([torch.randint(0, 30, (40,)), torch.randint(0, 5, (40,))])
    ours, theirs = _pair(GINConv, PyGGINConv, lambda: _mlp(6, 3))
    torch.testing.assert_close(ours((x, targets), edge_index), theirs((x, targets), edge_index))
    torch.testing.assert_close(ours((x, None), edge_index, size=(30, 5)), theirs((x, None), edge_index, size=(30, 5)))
    square, edges = _graph(seed=3)
    adj_t = torch.sparse_coo_tensor(edges.flip(0), torch.ones(edges.size(1), dtype=torch.float64), (30, 30))
    torch.testing.assert_close(ours(square, adj_t.coalesce()), theirs(square, adj_t.coalesce()))
    torch.testing.assert_close(ours(square, edges), theirs(square, edges))  # the fused product, per edge too


@pytest.mark.parametrize("edge_dim", [None, 3])
def test_gine_conv_equals_pyg(edge_dim):
    x, edge_index = _graph(seed=2)
    edge_attr = torch.randn(edge_index.size(1), edge_dim or 6, dtype=torch.float64)
    ours, theirs = _pair(GINEConv, PyGGINEConv, lambda: _mlp(6, 4), train_eps=True, edge_dim=edge_dim)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ea, eb = edge_attr.clone().requires_grad_(), edge_attr.clone().requires_grad_()
    _same(ours, theirs, (xa, edge_index, ea), (xb, edge_index, eb), [xa, ea], [xb, eb])


def test_gine_conv_refuses_edge_features_of_another_width():
    x, edge_index = _graph()
    with pytest.raises(ValueError, match="'GINEConv' expected 'edge_attr' of width 6"):
        GINEConv(_mlp(6, 4))(x.float(), edge_index, torch.randn(edge_index.size(1), 3))
    with pytest.raises(TypeError, match="'GINConv' expected 'nn' to be a torch.nn.Module"):
        GINConv(lambda h: h)


def test_reset_parameters_restores_eps_and_redraws_the_network():
    conv = GINConv(_mlp(6, 4), eps=0.5, train_eps=True)
    before = conv.nn[0].weight.detach().clone()
    with torch.no_grad():
        conv.eps.fill_(3.0)
    conv.reset_parameters()
    assert float(conv.eps) == 0.5 and not torch.equal(conv.nn[0].weight, before)
