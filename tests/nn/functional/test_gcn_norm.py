from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.nn.conv.gcn_conv import gcn_norm as pyg_gcn_norm
from torch_geometric.utils import to_undirected

from gnnlab.nn.functional import gcn_norm


def _dense(edge_index, weight, num_nodes):
    dense = torch.zeros(num_nodes, num_nodes, dtype=weight.dtype)
    dense.index_put_((edge_index[1], edge_index[0]), weight, accumulate=True)
    return dense


@settings(max_examples=40, deadline=None)
@given(num_nodes=st.integers(1, 30), num_edges=st.integers(0, 80), seed=st.integers(0, 1000))
def test_symmetric_normalised_matrix_on_undirected_graphs(num_nodes, num_edges, seed):
    generator = torch.Generator().manual_seed(seed)
    edge_index = to_undirected(torch.randint(0, num_nodes, (2, num_edges), generator=generator), num_nodes=num_nodes)
    index, weight = gcn_norm(edge_index, None, num_nodes)
    dense = _dense(index, weight.double(), num_nodes)
    torch.testing.assert_close(dense, dense.t())
    # the definition: D^-1/2 (A + I) D^-1/2 with the loops of existing self-loop nodes kept at 1
    adjacency = _dense(edge_index, torch.ones(edge_index.size(1), dtype=torch.float64), num_nodes)
    adjacency.fill_diagonal_(1.0)
    inv_sqrt = adjacency.sum(1).pow(-0.5)
    torch.testing.assert_close(dense, inv_sqrt[:, None] * adjacency * inv_sqrt[None, :])
    # spectrum of the normalised matrix lies in [-1, 1]
    assert torch.linalg.eigvalsh(dense).abs().max() <= 1 + 1e-6  # weights are float32


def test_matches_pyg_with_weights_and_existing_loops():
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 2, 0]])
    weight = torch.tensor([1.0, 1.0, 2.0, 2.0, 3.0, 0.5])
    for improved in (False, True):
        ours = gcn_norm(edge_index, weight, 4, improved=improved)
        reference = pyg_gcn_norm(edge_index, weight, 4, improved=improved)
        assert torch.equal(ours[0], reference[0])
        torch.testing.assert_close(ours[1], reference[1])
