"""Every gnnlab message-passing layer and node model accepts a batch of graphs as PyG's ``Batch.from_data_list``
builds it (disjoint union, node indices offset): its node outputs equal those of each graph run alone, in order."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch

from gnnlab.data import load_tu
from gnnlab.nn import conv as conv_package
from gnnlab.nn.conv import GATConv, GatedGraphConv, GCNConv, GINConv, GINEConv, MessagePassing, SAGEConv
from gnnlab.nn.models import GAT, GCN, GGNN, GraphSAGE

TOLERANCE = {"atol": 1e-6, "rtol": 1e-6}
# graphs of several sizes: MUTAG's 0-7 have 11 to 28 nodes, PROTEINS' 10 to 336
INDICES = range(8)


def _mlp(in_channels: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(in_channels, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8))


# name -> (build(in_channels), whether it reads edge_attr)
LAYERS = {
    "GCNConv": (lambda width: GCNConv(width, 8), False),
    "SAGEConv": (lambda width: SAGEConv(width, 8), False),
    "GATConv": (lambda width: GATConv(width, 4, heads=2), False),
    "GatedGraphConv": (lambda width: GatedGraphConv(8, num_layers=3), False),
    "GINConv": (lambda width: GINConv(_mlp(width), train_eps=True), False),
    "GINEConv": (lambda width: GINEConv(_mlp(width), train_eps=True, edge_dim=4), True),
}
MODELS = {
    "GCN": lambda width: GCN(width, 3, hidden_channels=8, num_layers=3),
    "GraphSAGE": lambda width: GraphSAGE(width, 3, hidden_channels=8, num_layers=3),
    "GAT": lambda width: GAT(width, 3, hidden_channels=4, heads=2, num_layers=3),
    "GGNN": lambda width: GGNN(width, 3, hidden_channels=8, num_layers=3),
}


@pytest.fixture(scope="module")
def graphs():
    """Eight graphs of MUTAG (with its bond types as edge_attr) and of PROTEINS, in float64."""
    chosen = {}
    for name in ("MUTAG", "PROTEINS"):
        dataset = load_tu(name)
        chosen[name] = [dataset[i] for i in INDICES]
        for graph in chosen[name]:
            graph.x = graph.x.double()
            if graph.edge_attr is not None:
                graph.edge_attr = graph.edge_attr.double()
    return chosen


def _perturbed(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """float64, every parameter moved off its initial value (zero biases and eps would hide mistakes)."""
    module = module.double()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.3 * torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype))
    return module.eval()


def _check_batched(module: torch.nn.Module, graphs, with_edge_attr: bool) -> None:
    def run(data):
        return module(data.x, data.edge_index, data.edge_attr) if with_edge_attr else module(data.x, data.edge_index)

    batch = Batch.from_data_list(graphs)
    assert batch.num_graphs == len(graphs) and len({graph.num_nodes for graph in graphs}) > 1
    batched = run(batch)
    assert batched.shape[0] == batch.num_nodes
    torch.testing.assert_close(batched, torch.cat([run(graph) for graph in graphs]), **TOLERANCE)
    # a graph's nodes get the same outputs wherever it sits in the batch
    reordered = graphs[::-1]
    torch.testing.assert_close(run(Batch.from_data_list(reordered)), torch.cat([run(graph) for graph in reordered]),
                               **TOLERANCE)


@pytest.mark.parametrize(("name", "dataset"), [(name, dataset) for name, (_, with_edge_attr) in LAYERS.items()
                                                for dataset in ("MUTAG", "PROTEINS")
                                                if not (with_edge_attr and dataset == "PROTEINS")])  # no edge_attr
def test_layer_on_a_batch_equals_each_graph_alone(graphs, name, dataset):
    build, with_edge_attr = LAYERS[name]
    torch.manual_seed(0)
    layer = _perturbed(build(graphs[dataset][0].num_features), seed=1)
    _check_batched(layer, graphs[dataset], with_edge_attr)


@pytest.mark.parametrize("dataset", ["MUTAG", "PROTEINS"])
@pytest.mark.parametrize("name", list(MODELS))
def test_model_on_a_batch_equals_each_graph_alone(graphs, name, dataset):
    torch.manual_seed(0)
    model = _perturbed(MODELS[name](graphs[dataset][0].num_features), seed=2)
    _check_batched(model, graphs[dataset], with_edge_attr=False)


def test_every_exported_layer_is_covered():
    exported = {name for name in conv_package.__all__
                if isinstance(getattr(conv_package, name), type)
                and issubclass(getattr(conv_package, name), MessagePassing) and name != "MessagePassing"}
    assert exported == set(LAYERS)
