"""Property-based tests on random graphs (hypothesis, derandomised in conftest): permutation equivariance of
every layer and model, walks along existing edges only, sampled subgraphs are subgraphs. (gcn_norm's symmetric
normalisation is a property test in tests/nn/functional/test_gcn_norm.py.)"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Data

from gnnlab.data import NeighborLoader
from gnnlab.embedding import random_walks
from gnnlab.nn import GAT, GCN, GGNN, GATConv, GatedGraphConv, GCNConv, GraphSAGE, SAGEConv

from .nn.conv.cases import check_permutation_equivariance


@st.composite
def graphs(draw, max_nodes: int = 12, max_edges: int = 40):
    num_nodes = draw(st.integers(1, max_nodes))
    num_edges = draw(st.integers(0, max_edges))
    pairs = draw(st.lists(st.tuples(st.integers(0, num_nodes - 1), st.integers(0, num_nodes - 1)),
                          min_size=num_edges, max_size=num_edges))
    edge_index = torch.tensor(pairs, dtype=torch.long).view(-1, 2).t().contiguous()
    return num_nodes, edge_index


LAYERS = [
    lambda: GCNConv(4, 3), lambda: GCNConv(4, 3, improved=True), lambda: SAGEConv(4, 3, aggr="mean"),
    lambda: SAGEConv(4, 3, aggr="max"), lambda: SAGEConv(4, 3, aggr="sum", normalize=True),
    lambda: GATConv(4, 3, heads=2), lambda: GATConv(4, 3, heads=2, concat=False), lambda: GatedGraphConv(4, 2),
    lambda: GatedGraphConv(4, 2, aggr="mean", share_weights=False),
    lambda: GCN(4, 3), lambda: GraphSAGE(4, 3), lambda: GAT(4, 3, heads=2), lambda: GGNN(4, 3),
]


@settings(max_examples=60)
@given(graph=graphs(), which=st.integers(0, len(LAYERS) - 1), seed=st.integers(0, 10_000))
def test_every_layer_is_permutation_equivariant(graph, which, seed):
    num_nodes, edge_index = graph
    torch.manual_seed(seed)
    layer = LAYERS[which]()
    x = torch.randn(num_nodes, 4)
    check_permutation_equivariance(layer, x, edge_index, seed=seed)


@settings(max_examples=40)
@given(graph=graphs(max_nodes=15, max_edges=50), p=st.sampled_from([0.25, 1.0, 4.0]),
       q=st.sampled_from([0.25, 1.0, 4.0]), weighted=st.booleans(), seed=st.integers(0, 10_000))
def test_walks_follow_existing_edges(graph, p, q, weighted, seed):
    num_nodes, edge_index = graph
    generator = torch.Generator().manual_seed(seed)
    weight = torch.rand(edge_index.size(1), generator=generator) if weighted else None
    if weighted:
        weight[weight < 0.2] = 0.0  # zero-weight edges must never be taken
    walks = random_walks(edge_index, num_nodes, walk_length=6, walks_per_node=2, p=p, q=q, edge_weight=weight,
                         seed=seed)
    usable = edge_index if weight is None else edge_index[:, weight > 0]
    edges = set(zip(usable[0].tolist(), usable[1].tolist()))
    assert walks.shape == (2 * num_nodes, 6)
    for walk in walks.tolist():
        steps = [node for node in walk if node >= 0]
        assert walk[len(steps):] == [-1] * (6 - len(steps))  # padding only after the walk ends
        assert all((a, b) in edges for a, b in zip(steps, steps[1:]))
        if len(steps) < 6:  # a walk stops only where there is no way on
            assert not any(a == steps[-1] for a, _ in edges)


@settings(max_examples=40)
@given(graph=graphs(max_nodes=20, max_edges=60), fanouts=st.lists(st.integers(1, 4) | st.just(-1), min_size=1,
                                                                 max_size=3),
       batch_size=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_sampled_batches_are_subgraphs(graph, fanouts, batch_size, seed):
    num_nodes, edge_index = graph
    data = Data(x=torch.arange(num_nodes, dtype=torch.float).view(-1, 1), edge_index=edge_index)
    loader = NeighborLoader(data, fanouts, batch_size=batch_size, shuffle=True, seed=seed)
    degree = torch.bincount(edge_index[1], minlength=num_nodes)
    seen = []
    for batch in loader:
        n_id = batch.n_id
        assert torch.unique(n_id).numel() == n_id.numel()
        assert torch.equal(batch.x.view(-1), n_id.float())
        assert torch.equal(n_id[batch.edge_index], edge_index[:, batch.e_id])  # every edge is a real edge
        assert torch.unique(batch.e_id).numel() == batch.e_id.numel()  # and none twice
        per_target = torch.bincount(batch.edge_index[1], minlength=batch.num_nodes)
        limit = max(fanouts) if -1 not in fanouts else num_nodes * num_nodes
        assert bool((per_target <= torch.minimum(degree[n_id], torch.tensor(limit))).all())
        seen.append(n_id[:batch.batch_size])
    assert torch.equal(torch.sort(torch.cat(seen)).values, torch.arange(num_nodes))
