"""Li et al.'s graph-level GG-NN against a float64 reference: the dense per-type propagation, the gated readout
summed node by node, the linear layer; values, gradients, batches."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gnnlab.nn.models import GatedGraphClassifier

from ..conv.test_gated_graph_conv import dense_typed_reference


def _graphs(seed: int):
    generator = torch.Generator().manual_seed(seed)
    batch = torch.tensor([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    sizes, offsets = [4, 3, 5], [0, 4, 7]
    edges = [torch.randint(0, n, (2, 2 * n), generator=generator) + o for n, o in zip(sizes, offsets)]
    edge_index = torch.cat(edges, dim=1)
    edge_type = torch.randint(0, 2, (edge_index.size(1),), generator=generator)
    x = torch.zeros(12, 2, dtype=torch.float64)
    x[[0, 5, 8], 0] = 1.0
    x[[2, 4, 11], 1] = 1.0
    return x, edge_index, edge_type, batch


def reference(model, x, edge_index, edge_type, batch, num_graphs):
    h = dense_typed_reference(model.conv, x, edge_index, edge_type)
    gate, transform = model.readout.gate, model.readout.transform
    graphs = []
    for graph in range(num_graphs):
        total = torch.zeros(model.hidden_channels, dtype=torch.float64)
        for v in range(x.size(0)):
            if int(batch[v]) == graph:
                joined = torch.cat([h[v], x[v]])
                total = total + torch.sigmoid(gate.weight @ joined + gate.bias) * \
                    torch.tanh(transform.weight @ joined + transform.bias)
        out = torch.tanh(total)
        linears = [layer for layer in model.head if not isinstance(layer, torch.nn.Tanh)]
        for layer in linears[:-1]:
            out = torch.tanh(layer.weight @ out + layer.bias)
        graphs.append(linears[-1].weight @ out + linears[-1].bias)
    return torch.stack(graphs)


@pytest.mark.parametrize("head_layers", [1, 2, 3])
def test_matches_the_reference_with_gradients(head_layers):
    torch.manual_seed(0)
    model = GatedGraphClassifier(2, 2, hidden_channels=3, num_edge_types=2, num_layers=4,
                                 head_layers=head_layers).double()
    assert len(model.head) == 2 * head_layers - 1
    x, edge_index, edge_type, batch = _graphs(1)
    out = model(x, edge_index, edge_type, batch, size=4)  # graph 3 has no nodes: the bias alone
    expected = reference(model, x, edge_index, edge_type, batch, 4)
    torch.testing.assert_close(out, expected, atol=1e-10, rtol=0)
    target = torch.tensor([0, 1, 1, 0])
    params = list(model.parameters())
    grads = torch.autograd.grad(F.cross_entropy(out, target), params)
    expected_grads = torch.autograd.grad(F.cross_entropy(expected, target), params)
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad, atol=1e-10, rtol=0)


def test_a_batch_equals_its_graphs_one_by_one():
    torch.manual_seed(2)
    model = GatedGraphClassifier(2, 3, hidden_channels=4, num_edge_types=2).double()
    x, edge_index, edge_type, batch = _graphs(3)
    out = model(x, edge_index, edge_type, batch)
    for graph, offset in enumerate([0, 4, 7]):
        nodes = batch == graph
        inside = nodes[edge_index[0]]
        alone = model(x[nodes], edge_index[:, inside] - offset, edge_type[inside])
        torch.testing.assert_close(out[graph:graph + 1], alone, atol=1e-12, rtol=0)


def test_the_output_depends_on_the_annotations_and_the_edge_types():
    torch.manual_seed(4)
    model = GatedGraphClassifier(2, 2, hidden_channels=3, num_edge_types=2).double()
    x, edge_index, edge_type, batch = _graphs(5)
    out = model(x, edge_index, edge_type, batch)
    assert not torch.allclose(out, model(x.flip(1), edge_index, edge_type, batch))
    assert not torch.allclose(out, model(x, edge_index, 1 - edge_type, batch))


def test_structure_repr_and_errors():
    model = GatedGraphClassifier(2, 2, hidden_channels=3, num_edge_types=1)
    assert repr(model) == "GatedGraphClassifier(2, 2, hidden_channels=3, num_edge_types=1, num_layers=5)"
    assert model.conv.share_weights and model.readout.out_channels == 3
    assert model.head[-1].out_channels == 2 and len(model.head) == 3  # linear, tanh, linear
    with pytest.raises(ValueError, match="'GatedGraphClassifier' expected 'out_channels' to be an integer >= 1"):
        GatedGraphClassifier(2, 0, hidden_channels=3, num_edge_types=1)
    with pytest.raises(ValueError, match="'GatedGraphClassifier' expected 'x' with 2 features per node"):
        model(torch.zeros(3, 1), torch.tensor([[0], [1]]), torch.tensor([0]))
