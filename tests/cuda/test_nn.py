"""Every message-passing layer and GNN model on CUDA against itself on the CPU, with copied weights: outputs
and gradients agree to 1e-4 (float32; CUDA sums with atomics in another order, so not bit for bit)."""
from __future__ import annotations

import copy

import pytest
import torch

from gnnlab.data import NeighborLoader
from gnnlab.nn import GAT, GCN, GGNN, GATConv, GatedGraphConv, GCNConv, GraphSAGE, SAGEConv
from gnnlab.train import sparse_features

pytestmark = pytest.mark.cuda

TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}

CONVS = {
    "gcn": lambda: GCNConv(12, 6),
    "gcn-improved": lambda: GCNConv(12, 6, improved=True),
    "gcn-unnormalised": lambda: GCNConv(12, 6, normalize=False),
    "sage-mean": lambda: SAGEConv(12, 6),
    "sage-max": lambda: SAGEConv(12, 6, aggr="max"),
    "sage-sum-normalised": lambda: SAGEConv(12, 6, aggr="sum", normalize=True),
    "gat-concat": lambda: GATConv(12, 4, heads=3),
    "gat-mean": lambda: GATConv(12, 4, heads=2, concat=False),
    "ggnn-shared": lambda: GatedGraphConv(12, num_layers=3),
    "ggnn-per-step-mean": lambda: GatedGraphConv(12, num_layers=2, aggr="mean", share_weights=False),
}
TAKES_EDGE_WEIGHT = {"gcn", "gcn-improved", "gcn-unnormalised", "sage-mean", "sage-max", "sage-sum-normalised",
                     "ggnn-shared", "ggnn-per-step-mean"}
TAKES_SPARSE_X = {"gcn", "gcn-improved", "gcn-unnormalised", "sage-mean", "sage-max", "sage-sum-normalised",
                  "gat-concat", "gat-mean"}
MODELS = {
    "gcn": lambda: GCN(12, 3, hidden_channels=8, num_layers=3),
    "sage": lambda: GraphSAGE(12, 3, hidden_channels=8),
    "gat": lambda: GAT(12, 3, hidden_channels=4, heads=2),
    "ggnn": lambda: GGNN(12, 3, hidden_channels=16, num_layers=2),
}


def graph(num_nodes: int = 60, num_edges: int = 300, num_features: int = 12, seed: int = 0):
    """A random directed graph (no duplicate edges) with mostly-zero non-negative features and edge weights."""
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randperm(num_nodes * num_nodes, generator=generator)[:num_edges]
    edge_index = torch.stack([edges // num_nodes, edges % num_nodes])
    x = torch.rand(num_nodes, num_features, generator=generator)
    x = x * (torch.rand(num_nodes, num_features, generator=generator) < 0.3)
    edge_weight = torch.rand(num_edges, generator=generator) + 0.1
    return x, edge_index, edge_weight


def outputs_and_gradients(module, x, edge_index, edge_weight=None):
    """The output, and the gradients of a fixed random projection of it with respect to the parameters and to
    a dense ``x``."""
    extra = () if edge_weight is None else (edge_weight,)
    dense = isinstance(x, torch.Tensor)
    if dense:
        x = x.detach().clone().requires_grad_(True)
    out = module(x, edge_index, *extra)
    projection = torch.randn(out.shape, generator=torch.Generator().manual_seed(5)).to(out.device)
    module.zero_grad(set_to_none=True)
    (out * projection).sum().backward()
    gradients = {name: p.grad.detach().cpu() for name, p in module.named_parameters() if p.grad is not None}
    if dense:
        gradients["x"] = x.grad.detach().cpu()
    return out.detach().cpu(), gradients


def assert_same_on_cuda(make, x, edge_index, cuda, edge_weight=None, sparse=False):
    torch.manual_seed(0)
    module = make().eval()
    on_gpu = copy.deepcopy(module).to(cuda)
    assert all(p.device.type == "cuda" for p in on_gpu.parameters())
    x_gpu, edge_index_gpu = x.to(cuda), edge_index.to(cuda)
    weight_gpu = None if edge_weight is None else edge_weight.to(cuda)
    if sparse:
        x, x_gpu = sparse_features(x, max_density=1.0), sparse_features(x_gpu, max_density=1.0)
    expected, expected_grads = outputs_and_gradients(module, x, edge_index, edge_weight)
    got, got_grads = outputs_and_gradients(on_gpu, x_gpu, edge_index_gpu, weight_gpu)
    torch.testing.assert_close(got, expected, **TOLERANCE)
    assert got_grads.keys() == expected_grads.keys() and got_grads
    for name in expected_grads:
        torch.testing.assert_close(got_grads[name], expected_grads[name], **TOLERANCE, msg=name)


@pytest.mark.parametrize("name", list(CONVS))
def test_conv_on_cuda_equals_cpu(name, cuda):
    x, edge_index, _ = graph()
    assert_same_on_cuda(CONVS[name], x, edge_index, cuda)


@pytest.mark.parametrize("name", sorted(TAKES_EDGE_WEIGHT))
def test_conv_with_edge_weight_on_cuda_equals_cpu(name, cuda):
    x, edge_index, edge_weight = graph(seed=1)
    assert_same_on_cuda(CONVS[name], x, edge_index, cuda, edge_weight=edge_weight)


@pytest.mark.parametrize("name", sorted(TAKES_SPARSE_X))
def test_conv_on_sparse_features_on_cuda_equals_cpu(name, cuda):
    x, edge_index, _ = graph(seed=2)
    assert_same_on_cuda(CONVS[name], x, edge_index, cuda, sparse=True)


def test_gcn_weight_gradient_path_on_cuda(cuda):
    """An ``edge_weight`` that needs a gradient takes the per-edge message path: the same there too."""
    x, edge_index, edge_weight = graph(seed=3)
    torch.manual_seed(0)
    conv = GCNConv(12, 6)
    results = []
    for device in ("cpu", cuda):
        layer = copy.deepcopy(conv).to(device)
        weight = edge_weight.detach().clone().to(device).requires_grad_(True)  # a leaf on each device
        layer(x.to(device), edge_index.to(device), weight).square().sum().backward()
        results.append(weight.grad.cpu())
    torch.testing.assert_close(results[1], results[0], **TOLERANCE)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("sparse", [False, True], ids=["dense-x", "sparse-x"])
def test_model_on_cuda_equals_cpu(name, sparse, cuda):
    x, edge_index, _ = graph(seed=4)
    assert_same_on_cuda(MODELS[name], x, edge_index, cuda, sparse=sparse)


@pytest.mark.parametrize("name", ["gcn", "sage", "gat"])
def test_layerwise_inference_on_cuda_equals_cpu_forward(name, cuda):
    x, edge_index, _ = graph(num_nodes=200, num_edges=1200, seed=5)
    torch.manual_seed(0)
    model = MODELS[name]().eval()
    expected = model(x, edge_index)
    got = copy.deepcopy(model).to(cuda).inference(x.to(cuda), edge_index.to(cuda), batch_size=32)
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), expected, **TOLERANCE)


@pytest.mark.parametrize("name", ["sage", "gat"])
def test_trimmed_mini_batch_on_cuda_equals_cpu(name, cuda):
    """A sampled batch moved to CUDA, the outer hops skipped per layer: the seeds' logits as on the CPU."""
    x, edge_index, _ = graph(num_nodes=200, num_edges=1200, seed=6)
    from torch_geometric.data import Data

    batch = NeighborLoader(Data(x=x, edge_index=edge_index), [4, 3], seed=0).sample(torch.arange(16))
    hops = {"num_sampled_nodes_per_hop": batch.num_sampled_nodes,
            "num_sampled_edges_per_hop": batch.num_sampled_edges}
    torch.manual_seed(0)
    model = MODELS[name]().eval()
    expected = model(batch.x, batch.edge_index, **hops)[:16]
    on_gpu = batch.to(cuda)
    got = copy.deepcopy(model).to(cuda)(on_gpu.x, on_gpu.edge_index, **hops)[:16]
    torch.testing.assert_close(got.cpu(), expected, **TOLERANCE)


@pytest.mark.parametrize("name", list(MODELS))
def test_dropout_masks_are_drawn_on_cuda(name, cuda):
    """In training mode a model on CUDA draws its dropout on the GPU (no host round trip): the same seed gives
    the same output, another seed another one, and the output never leaves the device."""
    x, edge_index, _ = graph(seed=7)
    torch.manual_seed(0)
    model = MODELS[name]().to(cuda).train()
    x, edge_index = sparse_features(x.to(cuda), max_density=1.0), edge_index.to(cuda)
    outputs = []
    for seed in (1, 1, 2):
        torch.manual_seed(seed)
        outputs.append(model(x, edge_index))
    assert all(out.device.type == "cuda" for out in outputs)
    torch.testing.assert_close(outputs[0], outputs[1], **TOLERANCE)
    assert not torch.allclose(outputs[0], outputs[2])
