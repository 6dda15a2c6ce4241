"""Li et al.'s node-selection GG-NN against a float64 reference: the dense per-type propagation, then the output
network and each graph's softmax written node by node; values, gradients, batches."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gnnlab.nn.models import GatedGraphSelector

from ..conv.test_gated_graph_conv import dense_typed_reference


def _graphs(seed: int):
    """Three graphs of 4, 2 and 5 nodes, interleaved in the batch (the selector orders each graph's nodes by
    their appearance), typed edges within each graph, one annotated node per graph; float64."""
    generator = torch.Generator().manual_seed(seed)
    batch = torch.tensor([0, 2, 0, 1, 2, 0, 2, 1, 0, 2, 2])
    edges = []
    for graph in range(3):
        nodes = (batch == graph).nonzero().view(-1)
        for _ in range(2 * len(nodes)):
            pick = torch.randint(0, len(nodes), (2,), generator=generator)
            edges.append(nodes[pick])
    edge_index = torch.stack(edges, dim=1)
    edge_type = torch.randint(0, 2, (edge_index.size(1),), generator=generator)
    x = torch.zeros(11, 1, dtype=torch.float64)
    x[[0, 3, 4], 0] = 1.0
    return x, edge_index, edge_type, batch


def reference(model, x, edge_index, edge_type, batch):
    h = dense_typed_reference(model.conv, x, edge_index, edge_type)
    num_graphs = int(batch.max()) + 1
    width = int(torch.bincount(batch).max())
    out = torch.full((num_graphs, width), float("-inf"), dtype=torch.float64)
    rows = [[] for _ in range(num_graphs)]
    for v in range(x.size(0)):
        joined = torch.cat([h[v], x[v]])
        gate = torch.sigmoid(model.gate.weight[0] @ joined + model.gate.bias[0])
        hidden = torch.tanh(model.hidden.weight @ joined + model.hidden.bias)
        rows[int(batch[v])].append(gate * (model.score.weight[0] @ hidden + model.score.bias[0]))
    for graph, scores in enumerate(rows):
        scores = torch.stack(scores)
        out[graph, :len(scores)] = scores - torch.log(torch.exp(scores).sum())
    return out


def test_matches_the_reference_with_gradients():
    torch.manual_seed(0)
    model = GatedGraphSelector(1, hidden_channels=4, num_edge_types=2, num_layers=3).double()
    x, edge_index, edge_type, batch = _graphs(1)
    out = model(x, edge_index, edge_type, batch)
    expected = reference(model, x, edge_index, edge_type, batch)
    torch.testing.assert_close(out, expected, atol=1e-10, rtol=0)
    target = torch.tensor([2, 1, 4])
    params = list(model.parameters())
    grads = torch.autograd.grad(F.nll_loss(out, target), params)
    expected_grads = torch.autograd.grad(F.nll_loss(expected, target), params)
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad, atol=1e-10, rtol=0)


def test_a_batch_equals_its_graphs_one_by_one():
    torch.manual_seed(2)
    model = GatedGraphSelector(1, hidden_channels=4, num_edge_types=2).double()
    x, edge_index, edge_type, batch = _graphs(3)
    out = model(x, edge_index, edge_type, batch)
    for graph in range(3):
        nodes = (batch == graph).nonzero().view(-1)
        local = torch.full((11,), -1, dtype=torch.long)
        local[nodes] = torch.arange(len(nodes))
        inside = (batch[edge_index[0]] == graph)
        alone = model(x[nodes], local[edge_index[:, inside]], edge_type[inside])
        assert alone.shape == (1, len(nodes))
        torch.testing.assert_close(out[graph, :len(nodes)], alone[0], atol=1e-12, rtol=0)
        assert bool(torch.isinf(out[graph, len(nodes):]).all())
        torch.testing.assert_close(out[graph].exp().sum(), torch.tensor(1.0, dtype=torch.float64))


def test_the_answer_depends_on_the_annotation_and_the_edge_types():
    torch.manual_seed(4)
    model = GatedGraphSelector(1, hidden_channels=4, num_edge_types=2).double()
    x, edge_index, edge_type, batch = _graphs(5)
    out = model(x, edge_index, edge_type, batch)
    assert not torch.allclose(out, model(torch.zeros_like(x), edge_index, edge_type, batch))
    assert not torch.allclose(out, model(x, edge_index, 1 - edge_type, batch))
    # the annotation also enters the output network directly (its columns of gate and hidden)
    with torch.no_grad():
        model.gate.weight[:, 4:] = 0
        model.hidden.weight[:, 4:] = 0
    assert not torch.allclose(out, model(x, edge_index, edge_type, batch))


def test_structure_repr_and_errors():
    model = GatedGraphSelector(1, hidden_channels=5, num_edge_types=2)
    assert repr(model) == "GatedGraphSelector(1, hidden_channels=5, num_edge_types=2, num_layers=5)"
    assert model.conv.share_weights and model.conv.num_edge_types == 2 and model.conv.num_layers == 5
    before = [p.clone() for p in model.parameters()]
    model.reset_parameters()
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    with pytest.raises(ValueError, match="expected 'annotation_channels' at most hidden_channels=2"):
        GatedGraphSelector(3, hidden_channels=2, num_edge_types=1)
    with pytest.raises(ValueError, match="'GatedGraphSelector' expected 'x' with 1 features per node"):
        model(torch.zeros(3, 2), torch.tensor([[0], [1]]), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"'GatedGraphSelector' expected 'batch' to be an integer tensor of shape \(3"):
        model(torch.zeros(3, 1), torch.tensor([[0], [1]]), torch.tensor([0]), torch.tensor([0, 1]))
