from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GATConv as PyGGATConv

from gnnlab.nn.conv import GATConv
from gnnlab.nn.functional import SparseMatrix

from .cases import EDGE_CASES, check_permutation_equivariance, compare_to_reference, random_graph

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
