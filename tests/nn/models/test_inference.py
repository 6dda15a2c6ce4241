"""Layer-wise inference over full neighbourhoods equals the full forward pass, batch size regardless."""
from __future__ import annotations

import pytest
import torch

from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE

from ..conv.cases import random_graph


@pytest.mark.parametrize("model_cls, options", [
    (GCN, {}), (GCN, {"num_layers": 3}), (GraphSAGE, {}), (GraphSAGE, {"aggr": "max"}), (GAT, {}), (GGNN, {}),
])
@pytest.mark.parametrize("batch_size", [1, 13, 1000])
def test_layerwise_equals_forward(model_cls, options, batch_size):
    torch.manual_seed(0)
    edge_index = torch.cat([random_graph(50, 200, seed=5), torch.tensor([[3, 3, 4], [3, 8, 8]])], dim=1)
    x = torch.randn(50, 6)
    model = model_cls(6, 4, **options)
    expected = model.eval()(x, edge_index)
    model.train()
    out = model.inference(x, edge_index, batch_size=batch_size)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    assert model.training and not out.requires_grad


def test_layerwise_with_edge_weights_and_sparse_features(cora):
    from gnnlab.train import sparse_features

    torch.manual_seed(0)
    model = GraphSAGE(cora.num_features, 7).eval()
    weight = torch.rand(cora.num_edges)
    expected = model(cora.x, cora.edge_index, weight)
    torch.testing.assert_close(model.inference(cora.x, cora.edge_index, weight, batch_size=500), expected,
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(model.inference(sparse_features(cora.x), cora.edge_index, weight, batch_size=500),
                               expected, atol=1e-5, rtol=0)


def test_inference_checks_its_inputs():
    model = GraphSAGE(6, 2)
    with pytest.raises(ValueError, match="batch_size"):
        model.inference(torch.randn(5, 6), torch.tensor([[0], [1]]), batch_size=0)
    with pytest.raises(ValueError, match="edge_index"):
        model.inference(torch.randn(5, 6), torch.tensor([[0], [7]]), batch_size=2)


@pytest.mark.parametrize("fanouts", [[3], [3, 2], [3, 2, 2]])
@pytest.mark.parametrize("model_cls", [GraphSAGE, GAT, GCN])
def test_trimming_the_outer_hops_keeps_the_seed_outputs(model_cls, fanouts):
    from torch_geometric.data import Data

    from gnnlab.data import NeighborLoader

    torch.manual_seed(0)
    data = Data(x=torch.randn(80, 6), edge_index=random_graph(80, 400, seed=2))
    model = model_cls(6, 3).eval()
    for batch in NeighborLoader(data, fanouts, batch_size=16, seed=1):
        size = batch.batch_size
        plain = model(batch.x, batch.edge_index)[:size]
        trimmed = model(batch.x, batch.edge_index, num_sampled_nodes_per_hop=batch.num_sampled_nodes,
                        num_sampled_edges_per_hop=batch.num_sampled_edges)
        assert trimmed.size(0) >= size
        torch.testing.assert_close(trimmed[:size], plain, atol=1e-5, rtol=0)
