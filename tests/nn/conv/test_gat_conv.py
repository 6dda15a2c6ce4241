from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GATConv as PyGGATConv

from gnnlab.nn.conv import GATConv
from gnnlab.nn.functional import SparseMatrix

from .cases import MESSY_EDGES, bipartite_graph, MESSY_NODES, adj_t_of, compare_calls, EDGE_CASES, check_permutation_equivariance, compare_to_reference, random_graph

HEADS = [(1, True), (4, True), (3, False)]


@pytest.mark.parametrize("heads, concat", HEADS)
def test_matches_pyg_on_cora(cora, heads, concat):
    torch.manual_seed(0)
    compare_to_reference(GATConv(1433, 8, heads=heads, concat=concat),
                         PyGGATConv(1433, 8, heads=heads, concat=concat), cora.x, cora.edge_index, paths=(True,))


@pytest.mark.parametrize("case", [c for c in EDGE_CASES if c != "edge_weights"])
@pytest.mark.parametrize("heads, concat", HEADS)
def test_matches_pyg_on_edge_cases(case, heads, concat):
    edge_index, num_nodes, _ = EDGE_CASES[case]
    torch.manual_seed(1)
    x = torch.randn(num_nodes, 5, dtype=torch.float64)
    compare_to_reference(GATConv(5, 3, heads=heads, concat=concat).double(),
                         PyGGATConv(5, 3, heads=heads, concat=concat).double(), x, edge_index, paths=(True,))


def test_without_self_loops_matches_pyg():
    torch.manual_seed(2)
    x = torch.randn(20, 6, dtype=torch.float64)
    compare_to_reference(GATConv(6, 4, heads=2, add_self_loops=False).double(),
                         PyGGATConv(6, 4, heads=2, add_self_loops=False).double(), x, random_graph(20, 70, seed=4),
                         paths=(True,))


def test_attention_sums_to_one_per_target():
    conv = GATConv(6, 4, heads=3)
    edge_index = random_graph(15, 50, seed=5)
    _, (edges, alpha) = conv(torch.randn(15, 6), edge_index, return_attention_weights=True)
    sums = torch.zeros(15, 3).index_add_(0, edges[1], alpha)
    torch.testing.assert_close(sums, torch.ones(15, 3))


def test_attention_dropout_only_in_training():
    torch.manual_seed(3)
    conv = GATConv(6, 4, heads=2, dropout=0.5)
    x, edge_index = torch.randn(15, 6), random_graph(15, 50, seed=6)
    conv.eval()
    torch.testing.assert_close(conv(x, edge_index), conv(x, edge_index))
    conv.train()
    assert not torch.allclose(conv(x, edge_index), conv(x, edge_index))


def test_sparse_features_equal_dense(cora):
    torch.manual_seed(0)
    conv = GATConv(1433, 8, heads=8)
    torch.testing.assert_close(conv(SparseMatrix.from_dense(cora.x), cora.edge_index),
                               conv(cora.x, cora.edge_index), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("heads, concat", HEADS)
def test_permutation_equivariant(heads, concat):
    torch.manual_seed(7)
    check_permutation_equivariance(GATConv(6, 4, heads=heads, concat=concat), torch.randn(25, 6),
                                   random_graph(25, 80, seed=8))


def test_parameter_names_and_repr():
    assert set(dict(GATConv(8, 4, heads=2).named_parameters())) == set(PyGGATConv(8, 4, heads=2).state_dict())
    assert repr(GATConv(1433, 8, heads=8)) == "GATConv(1433, 8, heads=8)"


def test_bad_arguments():
    with pytest.raises(ValueError, match="'GATConv' expected 'heads'"):
        GATConv(4, 2, heads=0)
    with pytest.raises(ValueError, match="'GATConv' expected 'dropout'"):
        GATConv(4, 2, dropout=1.0)
    with pytest.raises(ValueError, match="'GATConv' expected 'x' with 4 features"):
        GATConv(4, 2)(torch.randn(5, 3), torch.tensor([[0], [1]]))


# -- the layer options of issue 13 --------------------------------------------------------------------------
@pytest.mark.parametrize("options", [dict(residual=True), dict(residual=True, concat=False), dict(negative_slope=0.05),
                                     dict(add_self_loops=False), dict(bias=False), dict(heads=3, concat=False)])
def test_options_on_a_messy_graph_match_pyg(options):
    torch.manual_seed(30)
    x = torch.randn(MESSY_NODES, 5, dtype=torch.float64)
    options = {"heads": 2, **options}
    compare_calls(GATConv(5, 3, **options).double(), PyGGATConv(5, 3, **options).double(),
                  lambda conv, x: conv(x, MESSY_EDGES), x)


@pytest.mark.parametrize("fill_value", ["mean", "add", "max", 0.5])
@pytest.mark.parametrize("edge_dim", [1, 3])
def test_edge_features_match_pyg(fill_value, edge_dim):
    torch.manual_seed(31)
    x = torch.randn(MESSY_NODES, 5, dtype=torch.float64)
    edge_attr = torch.randn(MESSY_EDGES.size(1), edge_dim, dtype=torch.float64)
    if edge_dim == 1:
        edge_attr = edge_attr.view(-1)
    compare_calls(GATConv(5, 3, heads=2, edge_dim=edge_dim, fill_value=fill_value).double(),
                  PyGGATConv(5, 3, heads=2, edge_dim=edge_dim, fill_value=fill_value).double(),
                  lambda conv, x: conv(x, MESSY_EDGES, edge_attr), x)


@pytest.mark.parametrize("with_targets", [True, False])
@pytest.mark.parametrize("add_self_loops", [True, False])
def test_bipartite_matches_pyg(with_targets, add_self_loops):
    x_src, x_dst, edge_index = bipartite_graph(32, with_targets)
    torch.manual_seed(32)
    options = dict(heads=2, add_self_loops=add_self_loops and with_targets, residual=with_targets)
    compare_calls(GATConv((5, 3), 2, **options).double(), PyGGATConv((5, 3), 2, **options).double(),
                  lambda conv, x: conv(x, edge_index, size=(7, 4) if with_targets else None), (x_src, x_dst))


def test_attention_weights_include_the_added_self_loops():
    torch.manual_seed(33)
    x = torch.randn(MESSY_NODES, 5, dtype=torch.float64)
    ours, reference = GATConv(5, 3, heads=2).double(), PyGGATConv(5, 3, heads=2).double()
    ours.load_state_dict(reference.state_dict())
    out, (edge_index, alpha) = ours(x, MESSY_EDGES, return_attention_weights=True)
    expected, (expected_index, expected_alpha) = reference(x, MESSY_EDGES, return_attention_weights=True)
    torch.testing.assert_close(out, expected)
    assert torch.equal(edge_index, expected_index)
    torch.testing.assert_close(alpha, expected_alpha)
    assert edge_index.size(1) == MESSY_EDGES.size(1) - 3 + MESSY_NODES  # 3 loops replaced by one per node


def test_sparse_adjacency_equals_edge_index():
    torch.manual_seed(34)
    x = torch.randn(MESSY_NODES, 5, dtype=torch.float64)
    adj_t = adj_t_of(MESSY_EDGES, MESSY_NODES)
    compare_calls(GATConv(5, 3, heads=2).double(), PyGGATConv(5, 3, heads=2).double(),
                  lambda conv, x: conv(x, MESSY_EDGES), x, ours_run=lambda conv, x: conv(x, adj_t))
    conv = GATConv(5, 3, heads=2).double().eval()
    _, (sparse_alpha, alpha) = conv(x, adj_t, return_attention_weights=True)
    _, (_, expected) = conv(x, MESSY_EDGES, return_attention_weights=True)
    torch.testing.assert_close(alpha, expected)
    assert sparse_alpha.shape == (MESSY_NODES, MESSY_NODES, 2)


def test_lazy_in_channels():
    torch.manual_seed(35)
    x = torch.randn(MESSY_NODES, 5)
    lazy = GATConv(-1, 3, heads=2)
    lazy(x, MESSY_EDGES)
    compare_calls(lazy, PyGGATConv(5, 3, heads=2), lambda conv, x: conv(x, MESSY_EDGES), x)


def test_edge_dim_without_edge_attr_matches_pyg():
    # a layer built for edge features, called without them, attends over the nodes alone (as PyG)
    torch.manual_seed(12)
    x, edge_index = torch.randn(12, 6, dtype=torch.float64), random_graph(12, 40, seed=13)
    compare_calls(GATConv(6, 4, heads=2, edge_dim=3).double(), PyGGATConv(6, 4, heads=2, edge_dim=3).double(),
                  lambda conv, x: conv(x, edge_index), x)
