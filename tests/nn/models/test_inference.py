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


@pytest.mark.parametrize("fanouts", [[4, 3], [4, 3, 2], [4, 3, 3]])
def test_graphsage_computes_only_the_rows_the_next_layer_reads(fanouts):
    """On a trimmed mini-batch every GraphSAGE layer but the last gets (x_src, x_dst) with exactly the rows the
    next layer keeps; the seeds' logits and every parameter's gradient equal (float64, 1e-10) those of the same
    model computing every row and those of PyG's GraphSAGE with the same weights and trimming."""
    from torch_geometric.data import Data
    from torch_geometric.nn import GraphSAGE as PyGGraphSAGE

    from gnnlab.data import NeighborLoader

    torch.manual_seed(3)
    data = Data(x=torch.randn(120, 6, dtype=torch.float64), edge_index=random_graph(120, 700, seed=4))
    depth = 2 if fanouts == [4, 3, 3] else len(fanouts)  # [4, 3, 3]: more hops sampled than layers
    ours = GraphSAGE(6, 3, hidden_channels=8, num_layers=depth, dropout=0.0).double()
    reference = PyGGraphSAGE(6, 8, num_layers=depth, out_channels=3).double()
    for mine, theirs in zip(ours.convs, reference.convs):
        theirs.load_state_dict(mine.state_dict())
    targets = []
    hooks = [conv.register_forward_pre_hook(lambda conv, args: targets.append(args[0])) for conv in ours.convs]

    def seed_loss_and_grads(model, batch, **options):
        model.zero_grad()
        logits = model(batch.x, batch.edge_index, **options)[:batch.batch_size]
        (logits * torch.linspace(-1, 1, logits.numel(), dtype=logits.dtype).view_as(logits)).sum().backward()
        return logits.detach(), [p.grad.clone() for p in model.parameters()]

    for batch in NeighborLoader(data, fanouts, batch_size=10, shuffle=True, seed=5):
        hops = {"num_sampled_nodes_per_hop": batch.num_sampled_nodes,
                "num_sampled_edges_per_hop": batch.num_sampled_edges}
        targets.clear()
        narrow = seed_loss_and_grads(ours, batch, **hops)
        for i, given in enumerate(targets[:-1]):
            assert isinstance(given, tuple)  # (x_src, x_dst): the next layer's rows
            assert given[1].size(0) == sum(batch.num_sampled_nodes[:len(fanouts) - i])
        assert not isinstance(targets[-1], tuple)  # the last layer keeps its output rows
        ours.narrows_targets = False
        wide = seed_loss_and_grads(ours, batch, **hops)
        del ours.narrows_targets
        pyg = seed_loss_and_grads(reference, batch, **hops)
        for other in (wide, pyg):
            torch.testing.assert_close(narrow[0], other[0], atol=1e-10, rtol=0)
            for grad, other_grad in zip(narrow[1], other[1]):
                torch.testing.assert_close(grad, other_grad, atol=1e-10, rtol=0)
    for hook in hooks:
        hook.remove()
