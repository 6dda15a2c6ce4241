from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

from gnnlab.nn.conv import GCNConv
from gnnlab.nn.functional import SparseMatrix

from .cases import EDGE_CASES, check_permutation_equivariance, compare_to_reference, random_graph


def test_matches_pyg_on_cora(cora):
    torch.manual_seed(0)
    compare_to_reference(GCNConv(1433, 16), PyGGCNConv(1433, 16), cora.x, cora.edge_index)


@pytest.mark.parametrize("case", list(EDGE_CASES))
@pytest.mark.parametrize("improved", [False, True])
def test_matches_pyg_on_edge_cases(case, improved):
    edge_index, num_nodes, weight = EDGE_CASES[case]
    if improved and weight is None:
        # PyG 2.8 drops fill_value=2 when edge_weight is None (its loops get weight 1): pass the ones
        weight = torch.ones(edge_index.size(1), dtype=torch.float64)
    torch.manual_seed(1)
    x = torch.randn(num_nodes, 5, dtype=torch.float64)
    ours = GCNConv(5, 3, improved=improved).double()
    reference = PyGGCNConv(5, 3, improved=improved).double()
    compare_to_reference(ours, reference, x, edge_index, weight)


@pytest.mark.parametrize("options", [dict(add_self_loops=False), dict(normalize=False), dict(bias=False)])
def test_options_match_pyg(options):
    torch.manual_seed(2)
    edge_index = random_graph(30, 120, seed=3)
    weight = torch.rand(120, dtype=torch.float64)
    x = torch.randn(30, 8, dtype=torch.float64)
    compare_to_reference(GCNConv(8, 4, **options).double(), PyGGCNConv(8, 4, **options).double(), x, edge_index,
                         weight)


def test_sparse_features_equal_dense(cora):
    torch.manual_seed(0)
    conv = GCNConv(1433, 16)
    dense = conv(cora.x, cora.edge_index)
    sparse = conv(SparseMatrix.from_dense(cora.x), cora.edge_index)
    torch.testing.assert_close(sparse, dense, atol=1e-6, rtol=1e-5)


def test_gradient_through_learnable_edge_weights_matches_pyg():
    torch.manual_seed(4)
    edge_index = random_graph(20, 60, seed=5)
    weight = torch.rand(60, dtype=torch.float64, requires_grad=True)
    x = torch.randn(20, 6, dtype=torch.float64)
    ours, reference = GCNConv(6, 3).double(), PyGGCNConv(6, 3).double()
    ours.load_state_dict(reference.state_dict())
    (g_ours,) = torch.autograd.grad(ours(x, edge_index, weight).square().sum(), weight)
    (g_ref,) = torch.autograd.grad(reference(x, edge_index, weight).square().sum(), weight)
    torch.testing.assert_close(g_ours, g_ref)


def test_cache_follows_the_graph():
    torch.manual_seed(6)
    conv = GCNConv(4, 2)
    x = torch.randn(10, 4)
    first, second = random_graph(10, 30, seed=1), random_graph(10, 30, seed=2)
    out_first = conv(x, first)
    out_second = conv(x, second)
    conv.use_sparse = False
    torch.testing.assert_close(out_second, conv(x, second))
    first[1, :5] = (first[1, :5] + 1) % 10  # in-place change: the cached matrix must not be reused
    conv.use_sparse = True
    torch.testing.assert_close(conv(x, first), GCNConv.forward(conv, x, first.clone()))
    assert not torch.allclose(out_first, conv(x, first))


def test_cached_keeps_first_graph():
    conv = GCNConv(4, 2, cached=True)
    x = torch.randn(10, 4)
    out = conv(x, random_graph(10, 30, seed=1))
    torch.testing.assert_close(conv(x, random_graph(10, 30, seed=2)), out)


def test_permutation_equivariant():
    torch.manual_seed(7)
    check_permutation_equivariance(GCNConv(6, 4), torch.randn(25, 6), random_graph(25, 80, seed=8))


def test_shares_one_weight_across_nodes():
    conv = GCNConv(8, 4)
    assert sum(p.numel() for p in conv.parameters()) == 8 * 4 + 4
    assert set(dict(conv.named_parameters())) == set(PyGGCNConv(8, 4).state_dict())


def test_repr():
    assert repr(GCNConv(1433, 16)) == "GCNConv(1433, 16)"


@pytest.mark.parametrize("edge_index, message", [
    (torch.zeros(3, 4, dtype=torch.long), r"'edge_index' of shape \(2, E\)"),
    (torch.zeros(2, 4), "'edge_index' of integer dtype"),
    (torch.tensor([[0, -1], [1, 2]]), "'edge_index' to hold non-negative"),
    (torch.tensor([[0, 10], [1, 2]]), "'edge_index' indices below num_nodes=10"),
])
def test_bad_edge_index(edge_index, message):
    with pytest.raises(ValueError, match="'GCNConv' expected " + message):
        GCNConv(4, 2)(torch.randn(10, 4), edge_index)


def test_bad_feature_width():
    with pytest.raises(ValueError, match=r"'GCNConv' expected 'x' with 4 features per node \(in_channels\) \(got 5\)"):
        GCNConv(4, 2)(torch.randn(10, 5), random_graph(10, 20, seed=0))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="'out_channels'"):
        GCNConv(4, 0)


def test_improved_without_weights_uses_two_on_the_diagonal():
    edge_index = torch.tensor([[0, 1], [1, 0]])
    ours = GCNConv(1, 1, improved=True, bias=False)
    with torch.no_grad():
        ours.lin.weight.fill_(1.0)
    # A + 2I = [[2, 1], [1, 2]], degrees 3: out = (2 x_0 + x_1) / 3
    out = ours(torch.tensor([[3.0], [0.0]]), edge_index)
    torch.testing.assert_close(out, torch.tensor([[2.0], [1.0]]))
