"""GraphClassifier against the same network assembled from PyG's layers and readouts (GCN, GraphSAGE, GAT) or
written out by hand (the gated GNN's shared propagation steps and Li et al.'s gated readout), in float64 on TU
graphs with gradients; every layer and readout respects the graphs' boundaries in a batch; defaults and errors."""
from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GATConv as PyGGATConv
from torch_geometric.nn import GCNConv as PyGGCNConv
from torch_geometric.nn import SAGEConv as PyGSAGEConv
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool
from torch_geometric.nn.aggr import AttentionalAggregation as PyGAttentionalAggregation

from gnnlab.data import load_tu
from gnnlab.nn.models import GraphClassifier
from gnnlab.nn.pool import AttentionalAggregation, GatedReadout

TOLERANCE = {"atol": 1e-6, "rtol": 1e-6}
CONVS = ["gcn", "sage", "gat", "ggnn"]
READOUTS = ["sum", "mean", "max", "attention", "gated"]
PYG_POOLS = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}


@pytest.fixture(scope="module")
def graphs():
    """Eight graphs of MUTAG (11 to 28 nodes) and of PROTEINS (10 to 336 nodes), features in float64."""
    chosen = {}
    for name in ("MUTAG", "PROTEINS"):
        dataset = load_tu(name)
        chosen[name] = [dataset[i] for i in range(8)]
        for graph in chosen[name]:
            graph.x = graph.x.double()
    return chosen


class GatedStepsReference(torch.nn.Module):
    """Li et al.'s propagation: h = x padded with zeros, then ``steps`` times m_i = sum_{j -> i} h_j W and
    h = GRUCell(m, h), one W and one GRU cell for every step."""

    def __init__(self, hidden_channels: int, steps: int) -> None:
        super().__init__()
        self.steps = steps
        self.weight = torch.nn.Parameter(torch.empty(hidden_channels, hidden_channels))
        self.rnn = torch.nn.GRUCell(hidden_channels, hidden_channels)

    def forward(self, x, edge_index):
        h = torch.cat([x, x.new_zeros(x.size(0), self.weight.size(0) - x.size(1))], dim=1)
        source, target = edge_index
        for _ in range(self.steps):
            message = torch.zeros_like(h).index_add(0, target, (h @ self.weight)[source])
            h = self.rnn(message, h)
        return h


class GatedReadoutReference(torch.nn.Module):
    """h_G = tanh(sum_{v in G} sigmoid(i([h_v, x_v])) * tanh(j([h_v, x_v])))."""

    def __init__(self, hidden_channels: int, in_channels: int) -> None:
        super().__init__()
        self.gate = torch.nn.Linear(hidden_channels + in_channels, hidden_channels)
        self.transform = torch.nn.Linear(hidden_channels + in_channels, hidden_channels)

    def forward(self, h, x, batch, size):
        joined = torch.cat([h, x], dim=1)
        gated = torch.sigmoid(self.gate(joined)) * torch.tanh(self.transform(joined))
        return torch.tanh(h.new_zeros(size, h.size(1)).index_add(0, batch, gated))


class ReferenceClassifier(torch.nn.Module):
    """The classifier from PyG's convolutions and readouts (or the references above), torch Linears for the head,
    with the weights of ``model`` loaded (same state-dict keys: a missing or extra weight fails the strict load)."""

    def __init__(self, model: GraphClassifier) -> None:
        super().__init__()
        hidden, heads = model.hidden_channels, model.heads
        widths = [model.in_channels] + [hidden] * model.num_layers
        pairs = list(zip(widths, widths[1:]))
        self.kind, self.readout, self.dropout = model.conv, model.readout, model.dropout
        self.convs = torch.nn.ModuleList({
            "gcn": lambda: [PyGGCNConv(a, b) for a, b in pairs],
            "sage": lambda: [PyGSAGEConv(a, b) for a, b in pairs],
            "gat": lambda: [PyGGATConv(a, hidden // heads, heads=heads) for a, _ in pairs],
            "ggnn": lambda: [GatedStepsReference(hidden, model.num_layers)],
        }[model.conv]())
        self.pool = {"attention": lambda: PyGAttentionalAggregation(torch.nn.Linear(hidden, 1)),
                     "gated": lambda: GatedReadoutReference(hidden, model.in_channels)}.get(model.readout,
                                                                                            lambda: None)()
        self.head = torch.nn.ModuleList([torch.nn.Linear(hidden, hidden), torch.nn.Linear(hidden, model.out_channels)])
        self.double()
        self.load_state_dict(model.state_dict())
        self.train(model.training)

    def forward(self, x, edge_index, batch, size):
        h = x
        for conv in self.convs:
            h = conv(h, edge_index)
            if self.kind != "ggnn":
                h = F.elu(h) if self.kind == "gat" else F.relu(h)
        if self.readout == "attention":
            graph = self.pool(h, batch, dim_size=size)
        elif self.readout == "gated":
            graph = self.pool(h, x, batch, size)
        else:
            graph = PYG_POOLS[self.readout](h, batch, size)
        return self.head[1](F.dropout(F.relu(self.head[0](graph)), self.dropout, self.training))


def _model(in_channels: int, conv: str, readout: str | None, seed: int = 0, **options) -> GraphClassifier:
    """A float64 classifier with every parameter perturbed (zero biases would hide mistakes)."""
    torch.manual_seed(seed)
    options.setdefault("hidden_channels", 16)
    options.setdefault("num_layers", 2)
    options.setdefault("dropout", 0.0)
    model = GraphClassifier(in_channels, 3, conv=conv, readout=readout, **options).double()
    generator = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype))
    return model


def _compare(model: GraphClassifier, reference: torch.nn.Module, batches, size_extra: int = 0) -> None:
    generator = torch.Generator().manual_seed(7)
    for data in batches:
        size = data.num_graphs + size_extra
        out = model(data.x, data.edge_index, data.batch, size if size_extra else None)
        expected = reference(data.x, data.edge_index, data.batch, size)
        assert out.shape == (size, model.out_channels)
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


@pytest.mark.parametrize("readout", [None, *READOUTS])
@pytest.mark.parametrize("conv", CONVS)
def test_equals_reference_with_gradients(graphs, conv, readout):
    model = _model(7, conv, readout, num_layers=3 if conv == "ggnn" else 2).train()
    reference = ReferenceClassifier(model)
    _compare(model, reference, list(DataLoader(graphs["MUTAG"], batch_size=5)))
    model.eval()
    reference.eval()
    _compare(model, reference, list(DataLoader(graphs["MUTAG"], batch_size=8)), size_extra=2)


@pytest.mark.parametrize("conv", CONVS)
def test_equals_reference_on_proteins(graphs, conv):
    model = _model(3, conv, None, seed=1, hidden_channels=8, heads=2).train()
    _compare(model, ReferenceClassifier(model), list(DataLoader(graphs["PROTEINS"], batch_size=4)))


@pytest.mark.parametrize(("conv", "readout"), list(itertools.product(CONVS, READOUTS)))
def test_batched_equals_per_graph(graphs, conv, readout):
    """The readouts (and the layers) respect graph boundaries: a graph's logits do not depend on its batch."""
    for seed in range(3):
        generator = torch.Generator().manual_seed(seed)
        name = ("MUTAG", "PROTEINS")[seed % 2]
        count = int(torch.randint(2, 7, (1,), generator=generator))
        chosen = [graphs[name][int(i)] for i in torch.randperm(8, generator=generator)[:count]]
        model = _model(chosen[0].num_features, conv, readout, seed=seed, dropout=0.5).eval()
        batch = Batch.from_data_list(chosen)
        alone = torch.cat([model(graph.x, graph.edge_index) for graph in chosen])
        assert alone.shape == (count, 3)
        torch.testing.assert_close(model(batch.x, batch.edge_index, batch.batch), alone, **TOLERANCE)


@pytest.mark.parametrize("conv", CONVS)
def test_one_graph_without_batch(graphs, conv):
    model = _model(7, conv, None, seed=3).train()
    reference = ReferenceClassifier(model)
    graph = graphs["MUTAG"][2]
    zeros = torch.zeros(graph.num_nodes, dtype=torch.long)
    out = model(graph.x, graph.edge_index)
    assert out.shape == (1, 3)
    torch.testing.assert_close(out, reference(graph.x, graph.edge_index, zeros, 1), **TOLERANCE)
    padded = model(graph.x, graph.edge_index, size=3)  # then two empty graphs
    torch.testing.assert_close(padded, reference(graph.x, graph.edge_index, zeros, 3), **TOLERANCE)


def test_head_dropout_drops_hidden_units_in_training(graphs):
    model = _model(7, "gcn", "mean", dropout=0.5).train()
    seen = {}
    model.head[0].register_forward_hook(lambda module, args, out: seen.update(hidden=torch.relu(out)))
    model.head[1].register_forward_pre_hook(lambda module, args: seen.update(dropped=args[0]))
    data = Batch.from_data_list(graphs["MUTAG"])
    model(data.x, data.edge_index, data.batch)
    hidden, dropped = seen["hidden"], seen["dropped"]
    kept = dropped != 0
    torch.testing.assert_close(dropped[kept], 2 * hidden[kept])
    assert (kept & (hidden != 0)).any() and (~kept & (hidden != 0)).any()
    model.eval()
    model(data.x, data.edge_index, data.batch)
    torch.testing.assert_close(seen["dropped"], seen["hidden"])


def test_defaults():
    model = GraphClassifier(7, 2)
    assert (model.conv, model.readout, model.hidden_channels, model.num_layers, model.dropout) == (
        "gcn", "mean", 64, 3, 0.5)
    assert model.pool is None and len(model.convs) == 3
    assert GraphClassifier(7, 2, conv="sage").readout == "mean"
    assert GraphClassifier(7, 2, conv="gat").readout == "mean"
    gated = GraphClassifier(7, 2, conv="ggnn")
    assert gated.readout == "gated" and isinstance(gated.pool, GatedReadout)
    assert len(gated.convs) == 1 and gated.convs[0].weight.shape == (64, 64)  # one W for all 3 steps
    assert isinstance(GraphClassifier(7, 2, readout="attention").pool, AttentionalAggregation)
    assert repr(gated) == (
        "GraphClassifier(7, 2, conv=ggnn, hidden_channels=64, num_layers=3, readout=gated, dropout=0.5)")
    assert repr(GraphClassifier(7, 2, conv="gat", heads=2, readout="max")) == (
        "GraphClassifier(7, 2, conv=gat, hidden_channels=64, num_layers=3, readout=max, heads=2, dropout=0.5)")


def test_ggnn_parameter_count_does_not_depend_on_steps():
    counts = {sum(p.numel() for p in GraphClassifier(7, 2, conv="ggnn", num_layers=steps).parameters())
              for steps in (1, 3, 6)}
    assert len(counts) == 1


@pytest.mark.parametrize(("options", "message"), [
    ({"conv": "gin"}, r"'GraphClassifier' expected 'conv' to be one of \['gcn', 'sage', 'gat', 'ggnn'\]"),
    ({"readout": "softmax"}, r"'GraphClassifier' expected 'readout' to be one of"),
    ({"conv": "gat", "hidden_channels": 10, "heads": 4}, r"'hidden_channels' divisible by 'heads' \(got 10 and 4\)"),
    ({"conv": "gat", "heads": 0}, r"'heads'"),
    ({"conv": "ggnn", "hidden_channels": 4}, r"'hidden_channels' >= 'in_channels' for conv='ggnn'.*4 < 7"),
    ({"dropout": 1.0}, r"'dropout'"),
    ({"num_layers": 0}, r"'num_layers'"),
])
def test_bad_arguments_name_the_argument(options, message):
    with pytest.raises(ValueError, match=message):
        GraphClassifier(7, 2, **options)


def test_bad_inputs_give_clear_errors(graphs):
    model = GraphClassifier(7, 2, conv="ggnn", hidden_channels=8).double()
    data = Batch.from_data_list(graphs["MUTAG"][:3])
    with pytest.raises(ValueError, match="'GraphClassifier' expected 'batch' to be an integer tensor"):
        model(data.x, data.edge_index, data.batch.double())
    with pytest.raises(ValueError, match=r"'GraphClassifier' expected 'size' at least the number of graphs"):
        model(data.x, data.edge_index, data.batch, size=2)
    with pytest.raises(ValueError, match=r"'GraphClassifier' expected 'x' with 7 features per node"):
        model(data.x[:, :3], data.edge_index, data.batch)
