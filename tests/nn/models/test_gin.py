"""GIN (Xu et al. 2019) against the same network assembled from PyG's pieces, in float64 on TU graphs: outputs in
train and evaluation mode, the gradient of every parameter, the readouts, empty trailing graphs and the errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GINConv as PyGGINConv
from torch_geometric.nn import global_add_pool, global_mean_pool

from gnnlab.data import load_tu
from gnnlab.nn.models import GIN

TOLERANCE = {"atol": 1e-6, "rtol": 1e-6}
# MUTAG's graphs 0-7 have 11 to 28 nodes, PROTEINS' 10 to 336: several sizes in each batch
GRAPHS = {"MUTAG": range(8), "PROTEINS": range(8)}


@pytest.fixture(scope="module")
def graphs():
    """A few graphs of each dataset, features in float64."""
    chosen = {}
    for name, indices in GRAPHS.items():
        dataset = load_tu(name)
        chosen[name] = [dataset[i] for i in indices]
        for graph in chosen[name]:
            graph.x = graph.x.double()
    return chosen


def _mlp(in_channels: int, out_channels: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(in_channels, out_channels), torch.nn.BatchNorm1d(out_channels),
                               torch.nn.ReLU(), torch.nn.Linear(out_channels, out_channels),
                               torch.nn.BatchNorm1d(out_channels), torch.nn.ReLU())


class ReferenceGIN(torch.nn.Module):
    """Xu et al.'s GIN from PyG's GINConv, PyG's global pools and one torch Linear per depth, the weights of
    ``model`` loaded (same state-dict keys: a missing or extra layer fails the strict load)."""

    def __init__(self, model: GIN) -> None:
        super().__init__()
        widths = [model.in_channels] + [model.hidden_channels] * model.num_layers
        self.convs = torch.nn.ModuleList(PyGGINConv(_mlp(a, b), train_eps=model.train_eps)
                                         for a, b in zip(widths, widths[1:]))
        self.predictions = torch.nn.ModuleList(torch.nn.Linear(width, model.out_channels) for width in widths)
        self.pool = {"sum": global_add_pool, "mean": global_mean_pool}[model.readout]
        self.dropout = model.dropout
        self.double()
        self.load_state_dict(model.state_dict())
        self.train(model.training)

    def forward(self, x, edge_index, batch=None, size=None):
        hidden = [x]
        for conv in self.convs:
            hidden.append(conv(hidden[-1], edge_index))
        return sum(F.dropout(linear(self.pool(h, batch, size)), self.dropout, self.training)
                   for linear, h in zip(self.predictions, hidden))


def _model(in_channels: int, out_channels: int = 3, seed: int = 0, **options) -> GIN:
    """A float64 GIN whose parameters and batch-norm statistics are all perturbed away from their initial values
    (biases 0, batch norm the identity, eps 0 would hide mistakes)."""
    torch.manual_seed(seed)
    options.setdefault("hidden_channels", 16)
    options.setdefault("num_layers", 3)
    options.setdefault("dropout", 0.0)
    model = GIN(in_channels, out_channels, **options).double()
    generator = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype))
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.normal_(0.0, 0.5, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
    return model


def _batches(graphs, batch_size: int = 5):
    return list(DataLoader(graphs, batch_size=batch_size))


def _compare(model: GIN, reference: torch.nn.Module, batches, size_extra: int = 0) -> None:
    """Outputs, every parameter's gradient and the batch-norm buffers equal, batch after batch."""
    generator = torch.Generator().manual_seed(7)
    for data in batches:
        size = data.num_graphs + size_extra if size_extra else None
        out = model(data.x, data.edge_index, data.batch, size)
        expected = reference(data.x, data.edge_index, data.batch, size)
        assert out.shape == (data.num_graphs + size_extra, model.out_channels)
        torch.testing.assert_close(out, expected, **TOLERANCE)
        upstream = torch.randn(out.shape, generator=generator, dtype=out.dtype)
        model.zero_grad()
        reference.zero_grad()
        (out * upstream).sum().backward()
        (expected * upstream).sum().backward()
        ours, theirs = dict(model.named_parameters()), dict(reference.named_parameters())
        assert ours.keys() == theirs.keys()
        for name, parameter in ours.items():
            assert parameter.grad is not None, name
            torch.testing.assert_close(parameter.grad, theirs[name].grad, **TOLERANCE, msg=name)
    for (name, buffer), (_, expected_buffer) in zip(model.named_buffers(), reference.named_buffers()):
        torch.testing.assert_close(buffer, expected_buffer, **TOLERANCE, msg=name)


@pytest.mark.parametrize("name", list(GRAPHS))
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("readout", ["sum", "mean"])
def test_equals_pyg_reference_with_gradients(graphs, name, training, readout):
    model = _model(graphs[name][0].num_features, readout=readout).train(training)
    _compare(model, ReferenceGIN(model), _batches(graphs[name]))


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_train_eps_is_a_parameter_like_pygs(graphs, training):
    model = _model(7, train_eps=True, seed=1).train(training)
    eps = [conv.eps for conv in model.convs]
    assert all(isinstance(value, torch.nn.Parameter) for value in eps)
    values = {float(value.detach()) for value in eps}
    assert len(values) == len(eps) and 0.0 not in values
    reference = ReferenceGIN(model)
    assert all(isinstance(conv.eps, torch.nn.Parameter) for conv in reference.convs)
    _compare(model, reference, _batches(graphs["MUTAG"]))


def test_gin0_keeps_eps_fixed_at_zero():
    model = GIN(7, 2)
    names = {name for name, _ in model.named_parameters()}
    assert not any(name.endswith("eps") for name in names)
    assert all(float(conv.eps) == 0.0 for conv in model.convs)


def test_one_graph_without_batch(graphs):
    model = _model(7, seed=2).train()
    reference = ReferenceGIN(model)
    graph = graphs["MUTAG"][3]
    out = model(graph.x, graph.edge_index)
    assert out.shape == (1, 3)
    torch.testing.assert_close(out, reference(graph.x, graph.edge_index), **TOLERANCE)
    zeros = torch.zeros(graph.num_nodes, dtype=torch.long)
    torch.testing.assert_close(out, model(graph.x, graph.edge_index, zeros), **TOLERANCE)
    # the one graph, then the empty graphs that a larger size names (as with a batch)
    padded = model(graph.x, graph.edge_index, size=3)
    assert padded.shape == (3, 3)
    torch.testing.assert_close(padded, reference(graph.x, graph.edge_index, zeros, 3), **TOLERANCE)


@pytest.mark.parametrize("readout", ["sum", "mean"])
def test_size_beyond_the_graphs_gives_trailing_empty_graphs(graphs, readout):
    model = _model(7, seed=3, readout=readout).train()
    reference = ReferenceGIN(model)
    batches = _batches(graphs["MUTAG"])
    _compare(model, reference, batches, size_extra=2)
    data = batches[0]
    out = model(data.x, data.edge_index, data.batch, size=data.num_graphs + 2)
    torch.testing.assert_close(out[:data.num_graphs], model(data.x, data.edge_index, data.batch), **TOLERANCE)
    # an empty graph's pooled vector is zero at every depth: only the biases of the predictions remain
    biases = sum(linear.bias for linear in model.predictions)
    torch.testing.assert_close(out[data.num_graphs:], biases.expand(2, -1), **TOLERANCE)


def test_batched_equals_per_graph_in_eval(graphs):
    for name in GRAPHS:
        model = _model(graphs[name][0].num_features, seed=4).eval()
        batch = Batch.from_data_list(graphs[name])
        alone = torch.cat([model(graph.x, graph.edge_index) for graph in graphs[name]])
        torch.testing.assert_close(model(batch.x, batch.edge_index, batch.batch), alone, **TOLERANCE)


def test_dropout_drops_each_depths_prediction_separately(graphs):
    torch.manual_seed(5)
    model = GIN(7, 8, num_layers=2, dropout=0.5).double().train()
    with torch.no_grad():
        for linear in model.predictions:
            linear.weight.zero_()
            linear.bias.zero_()
        model.predictions[0].bias.fill_(1.0)  # the input's prediction
        model.predictions[2].bias.fill_(2.5)  # the last layer's
    data = Batch.from_data_list(graphs["MUTAG"])
    values = set(model(data.x, data.edge_index, data.batch).flatten().tolist())
    # each depth dropped or kept and doubled on its own: 0, 2, 5 or 7 (a dropout of the sum gives 0 or 7 only)
    assert values <= {0.0, 2.0, 5.0, 7.0}
    assert {2.0, 5.0} <= values
    model.eval()
    assert set(model(data.x, data.edge_index, data.batch).flatten().tolist()) == {3.5}


def test_pyg_positional_call_is_a_type_error():
    with pytest.raises(TypeError):
        GIN(7, 32, 4, 2)  # PyG's GIN(in_channels, hidden_channels, num_layers, out_channels)


def test_defaults_and_repr():
    model = GIN(7, 2)
    assert repr(model) == "GIN(7, 2, hidden_channels=32, num_layers=4, dropout=0.5, train_eps=False, readout=sum)"
    assert len(model.convs) == 4 and len(model.predictions) == 5
    assert repr(GIN(3, 5, hidden_channels=16, num_layers=2, dropout=0.0, train_eps=True, readout="mean")) == (
        "GIN(3, 5, hidden_channels=16, num_layers=2, dropout=0.0, train_eps=True, readout=mean)")


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="'readout'"):
        GIN(7, 2, readout="max")
    with pytest.raises(ValueError, match="'dropout'"):
        GIN(7, 2, dropout=1.0)
    with pytest.raises(ValueError, match="'num_layers'"):
        GIN(7, 2, num_layers=0)


def test_bad_inputs_give_clear_errors(graphs):
    model = GIN(7, 2).double()
    data = Batch.from_data_list(graphs["MUTAG"][:3])
    x, edge_index, batch = data.x, data.edge_index, data.batch
    expected = rf"'GIN' expected 'batch' to be an integer tensor of shape \({x.size(0)},\)"
    for bad in (batch[:-1], batch.view(1, -1), batch.double(), batch.bool()):
        with pytest.raises(ValueError, match=expected):
            model(x, edge_index, bad)
    with pytest.raises(ValueError, match="'batch' to hold graph indices >= 0"):
        model(x, edge_index, batch - 1)
    with pytest.raises(ValueError, match=r"'GIN' expected 'size' at least the number of graphs 'batch' names \(3\)"):
        model(x, edge_index, batch, size=2)
    with pytest.raises(ValueError, match=r"'GIN' expected 'x' with 7 features per node \(in_channels\) \(got 6\)"):
        model(x[:, :6], edge_index, batch)
