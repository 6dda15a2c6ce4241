from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

from gnnlab.nn.conv import GCNConv
from gnnlab.nn.functional import SparseMatrix

from torch_geometric.nn.conv.gcn_conv import gcn_norm as pyg_gcn_norm

from gnnlab.nn.functional import gcn_norm

from .cases import (EDGE_CASES, MESSY_EDGES, MESSY_NODES, adj_t_of, check_permutation_equivariance, compare_calls,
                    compare_to_reference, random_graph)


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


def test_improved_without_weights_matches_pyg():
    # PyG 2.8 adds loops of weight 1 when no edge_weight is passed, whatever `improved` says
    edge_index = torch.tensor([[0, 1, 2], [1, 0, 0]])
    torch.manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64)
    compare_to_reference(GCNConv(3, 2, improved=True).double(), PyGGCNConv(3, 2, improved=True).double(), x,
                         edge_index)
    plain = GCNConv(3, 2, improved=False).double()
    improved = GCNConv(3, 2, improved=True).double()
    improved.load_state_dict(plain.state_dict())
    torch.testing.assert_close(improved(x, edge_index), plain(x, edge_index))


# -- the layer options of issue 13 --------------------------------------------------------------------------
def _dense(edge_index, weight, num_nodes):
    return torch.zeros(num_nodes, num_nodes, dtype=weight.dtype).index_put_((edge_index[1], edge_index[0]), weight,
                                                                           accumulate=True)


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_adjacency_equals_edge_index_on_a_messy_graph(weighted):
    torch.manual_seed(10)
    weight = torch.rand(MESSY_EDGES.size(1), dtype=torch.float64) if weighted else None
    x = torch.randn(MESSY_NODES, 4, dtype=torch.float64)
    reference = PyGGCNConv(4, 3).double()  # on the edge_index, where PyG and gnnlab agree
    extra = () if weight is None else (weight,)
    adj_t = adj_t_of(MESSY_EDGES, MESSY_NODES, values=weight)  # one entry per edge, as the edge_index
    compare_calls(GCNConv(4, 3).double(), reference, lambda conv, x: conv(x, MESSY_EDGES, *extra), x,
                  ours_run=lambda conv, x: conv(x, adj_t))
    # a coalesced CSR matrix sums duplicates: equal where no self-loop is duplicated
    unique = torch.unique(MESSY_EDGES, dim=1)
    csr = adj_t_of(unique, MESSY_NODES).coalesce().to_sparse_csr()
    compare_calls(GCNConv(4, 3).double(), reference, lambda conv, x: conv(x, unique), x,
                  ours_run=lambda conv, x: conv(x, csr))


def test_sparse_adjacency_matches_pyg_without_self_loops():
    torch.manual_seed(11)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 0], [1, 0, 2, 1, 0, 3]])
    adj_t = adj_t_of(edge_index, 6).coalesce().to_sparse_csr()
    compare_calls(GCNConv(4, 3).double(), PyGGCNConv(4, 3).double(), lambda conv, x: conv(x, adj_t),
                  torch.randn(6, 4, dtype=torch.float64))


def test_lazy_in_channels_matches_pyg_and_loads_state_dicts():
    torch.manual_seed(12)
    x = torch.randn(MESSY_NODES, 5)
    lazy = GCNConv(-1, 3)
    lazy(x, MESSY_EDGES)  # initialised here
    assert lazy.lin.weight.shape == (3, 5) and repr(lazy) == "GCNConv(-1, 3)"
    reference = PyGGCNConv(5, 3)
    compare_calls(lazy, reference, lambda conv, x: conv(x, MESSY_EDGES), x)
    before_first_call = GCNConv(-1, 3)
    before_first_call.load_state_dict(reference.state_dict())
    torch.testing.assert_close(before_first_call(x, MESSY_EDGES), reference(x, MESSY_EDGES), atol=1e-5, rtol=0)


def test_self_loops_without_normalisation_is_an_error():
    with pytest.raises(ValueError, match="'GCNConv' expected add_self_loops=False when normalize=False"):
        GCNConv(4, 2, normalize=False, add_self_loops=True)
    assert not GCNConv(4, 2, normalize=False).add_self_loops  # the default follows normalize, as PyG


def test_cached_turned_on_later_caches_the_next_call():
    torch.manual_seed(13)
    ours, reference = GCNConv(4, 2), PyGGCNConv(4, 2)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(10, 4)
    graphs = [random_graph(10, 30, seed=s) for s in (1, 2, 3)]
    ours(x, graphs[0])
    reference(x, graphs[0])
    ours.cached = reference.cached = True
    for graph in graphs[1:]:  # the second call caches graph 1; graph 2 is then ignored, as in PyG
        torch.testing.assert_close(ours(x, graph), reference(x, graph), atol=1e-6, rtol=0)
    torch.testing.assert_close(ours(x, graphs[2]), ours(x, graphs[1]))


def test_gcn_norm_takes_pygs_positional_order():
    edge_index, weight = MESSY_EDGES, torch.rand(MESSY_EDGES.size(1), dtype=torch.float64)
    for args in [(weight, MESSY_NODES, True, True, "source_to_target", None),
                 (None, MESSY_NODES, True, False, "target_to_source", torch.float64),
                 (weight, MESSY_NODES, False, True, "target_to_source", None)]:
        ours, expected = gcn_norm(edge_index, *args), pyg_gcn_norm(edge_index, *args)
        torch.testing.assert_close(ours[0], expected[0])
        torch.testing.assert_close(ours[1], expected[1])


@pytest.mark.parametrize("improved", [False, True])
def test_gcn_norm_of_a_sparse_adjacency(improved):
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 0, 1], [1, 0, 2, 1, 0, 3, 1]])  # a loop on 1
    weight = torch.rand(7, dtype=torch.float64)
    adj_t, none = gcn_norm(adj_t_of(edge_index, 5, values=weight), None, 5, improved)
    assert none is None
    index, value = gcn_norm(edge_index, weight, 5, improved)
    torch.testing.assert_close(adj_t.to_dense(), _dense(index, value, 5))
    # PyG adds the loops on top of existing diagonal entries of a sparse input: equal where there are none
    no_loop = edge_index[:, :6]
    csr = adj_t_of(no_loop, 5, values=weight[:6]).coalesce().to_sparse_csr()
    torch.testing.assert_close(gcn_norm(csr, None, 5, improved)[0].to_dense(),
                               pyg_gcn_norm(csr, None, 5, improved)[0].to_dense())


@pytest.mark.parametrize("aggr", ["sum", "mean"])
def test_without_normalisation_or_weights_matches_pyg_on_both_paths(aggr):
    # the per-edge path's message with edge_weight=None, and the sparse product's reduction, against PyG's
    torch.manual_seed(4)
    edge_index = random_graph(20, 70, seed=8)
    x = torch.randn(20, 6, dtype=torch.float64)
    options = dict(normalize=False, add_self_loops=False, aggr=aggr)
    compare_to_reference(GCNConv(6, 3, **options).double(), PyGGCNConv(6, 3, **options).double(), x, edge_index)
