from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import SAGEConv as PyGSAGEConv

from gnnlab.nn.conv import SAGEConv
from gnnlab.nn.functional import SparseMatrix, scatter

from .cases import MESSY_EDGES, bipartite_graph, MESSY_NODES, adj_t_of, compare_calls, EDGE_CASES, check_permutation_equivariance, compare_to_reference, random_graph

AGGRS = ["mean", "max", "sum"]


@pytest.mark.parametrize("aggr", AGGRS)
def test_matches_pyg_on_cora(cora, aggr):
    torch.manual_seed(0)
    compare_to_reference(SAGEConv(1433, 16, aggr=aggr), PyGSAGEConv(1433, 16, aggr=aggr), cora.x, cora.edge_index)


@pytest.mark.parametrize("case", [c for c in EDGE_CASES if c != "edge_weights"])
@pytest.mark.parametrize("aggr", AGGRS)
def test_matches_pyg_on_edge_cases(case, aggr):
    edge_index, num_nodes, _ = EDGE_CASES[case]
    torch.manual_seed(1)
    x = torch.randn(num_nodes, 5, dtype=torch.float64)
    # both widths: 5 -> 3 aggregates after projecting, 5 -> 8 before
    for out_channels in (3, 8):
        compare_to_reference(SAGEConv(5, out_channels, aggr=aggr).double(),
                             PyGSAGEConv(5, out_channels, aggr=aggr).double(), x, edge_index)


@pytest.mark.parametrize("options", [dict(root_weight=False), dict(normalize=True), dict(bias=False)])
def test_options_match_pyg(options):
    torch.manual_seed(2)
    x = torch.randn(30, 8, dtype=torch.float64)
    compare_to_reference(SAGEConv(8, 4, **options).double(), PyGSAGEConv(8, 4, **options).double(), x,
                         random_graph(30, 100, seed=3))


@pytest.mark.parametrize("aggr", AGGRS)
def test_edge_weights_scale_messages(aggr):
    """PyG's SAGEConv has no edge weights: check against the definition, aggr over w_ji * x_j."""
    edge_index, num_nodes, weight = EDGE_CASES["edge_weights"]
    torch.manual_seed(3)
    x = torch.randn(num_nodes, 4, dtype=torch.float64)
    conv = SAGEConv(4, 3, aggr=aggr).double()
    aggregated = scatter(weight.view(-1, 1) * x[edge_index[0]], edge_index[1], 0, num_nodes, aggr)
    expected = conv.lin_l(aggregated) + conv.lin_r(x)
    for use_sparse in (True, False):
        conv.use_sparse = use_sparse
        torch.testing.assert_close(conv(x, edge_index, weight), expected)


@pytest.mark.parametrize("aggr", ["mean", "max"])
def test_sparse_features_equal_dense(cora, aggr):
    torch.manual_seed(0)
    conv = SAGEConv(1433, 16, aggr=aggr)
    torch.testing.assert_close(conv(SparseMatrix.from_dense(cora.x), cora.edge_index),
                               conv(cora.x, cora.edge_index), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("aggr", AGGRS)
def test_permutation_equivariant(aggr):
    torch.manual_seed(7)
    check_permutation_equivariance(SAGEConv(6, 4, aggr=aggr), torch.randn(25, 6), random_graph(25, 80, seed=8))


def test_parameter_names_and_repr():
    assert set(dict(SAGEConv(8, 4).named_parameters())) == set(PyGSAGEConv(8, 4).state_dict())
    assert repr(SAGEConv(8, 4, aggr="max")) == "SAGEConv(8, 4, aggr=max)"


def test_bad_arguments():
    with pytest.raises(ValueError, match="'SAGEConv' expected 'aggr' to be one of"):
        SAGEConv(4, 2, aggr="average")
    with pytest.raises(ValueError, match="'SAGEConv' expected 'edge_index' indices below num_nodes=5"):
        SAGEConv(4, 2)(torch.randn(5, 4), torch.tensor([[0], [5]]))
    with pytest.raises(ValueError, match="'SAGEConv' expected 'edge_weight' of shape"):
        SAGEConv(4, 2)(torch.randn(5, 4), torch.tensor([[0], [4]]), torch.ones(2))


# -- the layer options of issue 13 --------------------------------------------------------------------------
@pytest.mark.parametrize("aggr", ["mean", "sum", "max", "min"])
@pytest.mark.parametrize("options", [{}, dict(project=True), dict(root_weight=False), dict(normalize=True),
                                     dict(bias=False)])
def test_options_on_a_messy_graph_match_pyg(aggr, options):
    torch.manual_seed(20)
    x = torch.randn(MESSY_NODES, 5, dtype=torch.float64)
    compare_calls(SAGEConv(5, 3, aggr=aggr, **options).double(), PyGSAGEConv(5, 3, aggr=aggr, **options).double(),
                  lambda conv, x: conv(x, MESSY_EDGES), x)


@pytest.mark.parametrize("aggr", ["mean", "max"])
@pytest.mark.parametrize("with_targets", [True, False])
def test_bipartite_matches_pyg(aggr, with_targets):
    x_src, x_dst, edge_index = bipartite_graph(21, with_targets)  # target 3 gets nothing
    torch.manual_seed(21)
    in_channels = (5, 3) if with_targets else (5, -1)
    reference = PyGSAGEConv((5, 3), 2, aggr=aggr, root_weight=with_targets).double()
    ours = SAGEConv(in_channels if with_targets else 5, 2, aggr=aggr, root_weight=with_targets).double()
    compare_calls(ours, reference, lambda conv, x: conv(x, edge_index, size=(7, 4)), (x_src, x_dst))
    adj_t = adj_t_of(edge_index, 7, 4)
    compare_calls(ours, reference, lambda conv, x: conv(x, edge_index, size=(7, 4)), (x_src, x_dst),
                  ours_run=lambda conv, x: conv(x, adj_t))


def test_lstm_aggregation_matches_pyg():
    torch.manual_seed(22)
    order = torch.argsort(MESSY_EDGES[1], stable=True)  # PyG's LSTM aggregation needs edges sorted by target
    edge_index = MESSY_EDGES[:, order]
    x = torch.randn(MESSY_NODES, 4, dtype=torch.float64)
    ours, reference = SAGEConv(4, 3, aggr="lstm").double(), PyGSAGEConv(4, 3, aggr="lstm").double()
    compare_calls(ours, reference, lambda conv, x: conv(x, edge_index), x)
    # unsorted edges are sorted (stably) by target first: the same sequences
    shuffled = edge_index[:, torch.randperm(edge_index.size(1), generator=torch.Generator().manual_seed(0))]
    restored = shuffled[:, torch.argsort(shuffled[1], stable=True)]
    ours.eval()
    torch.testing.assert_close(ours(x, shuffled), ours(x, restored))
    assert repr(ours) == "SAGEConv(4, 3, aggr=lstm)"


@pytest.mark.parametrize("aggr", ["mean", "sum", "max", "min"])
def test_sparse_adjacency_equals_edge_index(aggr):
    torch.manual_seed(23)
    x = torch.randn(MESSY_NODES, 5, dtype=torch.float64)
    adj_t = adj_t_of(MESSY_EDGES, MESSY_NODES)
    edges = MESSY_EDGES if aggr in ("mean", "sum") else torch.unique(MESSY_EDGES, dim=1)
    if aggr not in ("mean", "sum"):  # max/min of a summed duplicate differ: one entry per distinct edge
        adj_t = adj_t_of(edges, MESSY_NODES).coalesce().to_sparse_csr()
    compare_calls(SAGEConv(5, 3, aggr=aggr).double(), PyGSAGEConv(5, 3, aggr=aggr).double(),
                  lambda conv, x: conv(x, edges), x, ours_run=lambda conv, x: conv(x, adj_t))


def test_lazy_in_channels():
    torch.manual_seed(24)
    x = torch.randn(MESSY_NODES, 5)
    lazy = SAGEConv(-1, 3)
    lazy(x, MESSY_EDGES)
    compare_calls(lazy, PyGSAGEConv(5, 3), lambda conv, x: conv(x, MESSY_EDGES), x)
    with pytest.raises(ValueError, match="project=True"):
        SAGEConv(-1, 3, project=True)


def test_lstm_aggregation_of_a_sparse_bipartite_adjacency_matches_pyg():
    # the fused path's LSTM branch: 7 sources, 4 targets (the last without in-edges); the coalesced adjacency
    # orders each target's messages by source, so PyG gets the same distinct edges in that order
    torch.manual_seed(25)
    x_src, x_dst, edge_index = bipartite_graph(26)
    key = torch.unique(edge_index[1] * 7 + edge_index[0])
    edges = torch.stack([key % 7, key // 7])
    adj_t = adj_t_of(edges, 7, 4).coalesce()
    ours, reference = SAGEConv((5, 3), 2, aggr="lstm").double(), PyGSAGEConv((5, 3), 2, aggr="lstm").double()
    compare_calls(ours, reference, lambda conv, x: conv(x, edges, size=(7, 4)), (x_src, x_dst),
                  ours_run=lambda conv, x: conv(x, adj_t))
