"""PyG code runs unchanged on gnnlab's ``MessagePassing``: layers written the way PyG users write them, each built
on both bases from the same source (pyg_style_layers.py), give the same outputs and gradients; PyG's switches
(hooks, ``decomposed_layers``, ``explain``), inputs (``EdgeIndex``, int32, torch.sparse) and tools (``to_hetero``,
``Explainer``, pickling, ``torch.compile``) work on gnnlab's layers as on PyG's."""
from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch_geometric import EdgeIndex
from torch_geometric.nn import MessagePassing as PyGMessagePassing
from torch_geometric.utils import to_torch_coo_tensor, to_torch_csr_tensor

from gnnlab.data import load_planetoid
from gnnlab.nn.conv import MessagePassing

from .pyg_style_layers import CASES, layer_classes

OURS, THEIRS = layer_classes(MessagePassing), layer_classes(PyGMessagePassing)


def _messy_graph() -> tuple[torch.Tensor, int]:
    """12 nodes: duplicate edges, self-loops (one doubled), nodes 10 and 11 isolated, node 9 only a source."""
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 4), (4, 0), (0, 1), (0, 1), (5, 5), (5, 5), (6, 6),
             (6, 7), (7, 8), (8, 6), (9, 8), (3, 2), (4, 3), (1, 4), (2, 2)]
    return torch.tensor(edges).t().contiguous(), 12


@pytest.fixture(scope="module")
def cora_small():
    """Cora's graph with its first 16 features (the layers' cost is per edge, not per feature)."""
    data = load_planetoid("cora")
    return data.x[:, :16].double().contiguous(), data.edge_index


def _pair(name: str, kwargs: dict, in_channels: int, seed: int = 0):
    torch.manual_seed(seed)
    theirs = THEIRS[name](in_channels, 5, **kwargs).double()
    ours = OURS[name](in_channels, 5, **kwargs).double()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def _inputs(call: str, x: torch.Tensor, edge_index, num_edges: int, seed: int = 1):
    generator = torch.Generator().manual_seed(seed)
    if call == "edge_weight":
        return (torch.rand(num_edges, generator=generator, dtype=torch.float64) + 0.5,)
    if call == "edge_attr":
        return (torch.randn(num_edges, 3, generator=generator, dtype=torch.float64),)
    return ()


def _run(layer, call: str, x: torch.Tensor, edge_index, extra: tuple, upstream=None):
    x = x.clone().requires_grad_(True)
    out = layer((x, x) if call == "pair" else x, edge_index, *extra)
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(2), dtype=out.dtype) \
        if upstream is None else upstream
    grads = torch.autograd.grad((out * upstream).sum(), [x] + list(layer.parameters()), allow_unused=True)
    return out, grads


def _assert_same(ours, theirs, call, x, edge_index, extra, reference_index=None):
    out_ours, grads_ours = _run(ours, call, x, edge_index, extra)
    out_theirs, grads_theirs = _run(theirs, call, x, edge_index if reference_index is None else reference_index, extra)
    torch.testing.assert_close(out_ours, out_theirs, atol=1e-5, rtol=1e-5)
    assert len(grads_ours) == len(grads_theirs)
    for g_ours, g_theirs in zip(grads_ours, grads_theirs):
        assert (g_ours is None) == (g_theirs is None)
        if g_ours is not None:
            torch.testing.assert_close(g_ours, g_theirs, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name,kwargs,call", CASES, ids=[f"{c[0]}-{c[2]}-{'-'.join(c[1].values()) or 'default'}"
                                                         if all(isinstance(v, str) for v in c[1].values())
                                                         else c[0] for c in CASES])
def test_layer_equals_pyg_on_a_messy_graph(name, kwargs, call):
    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours, theirs = _pair(name, kwargs, 6)
    extra = _inputs(call, x, edge_index, edge_index.size(1))
    _assert_same(ours, theirs, call, x, edge_index, extra)
    # the same edges as PyG's EdgeIndex, sorted by target, with its sizes
    sorted_index, perm = EdgeIndex(edge_index, sparse_size=(num_nodes, num_nodes)).sort_by("col")
    _assert_same(ours, theirs, call, x, sorted_index, tuple(value[perm] for value in extra))
    # int32 indices, against PyG's int64 result: on torch 2.13 PyG's own int32 gradients are wrong (torch's
    # gather misreads an expanded int32 index, and PyG's scatter's backward gathers with one)
    _assert_same(ours, theirs, call, x, edge_index.int(), extra, reference_index=edge_index)


@pytest.mark.parametrize("name,kwargs,call", [c for c in CASES if c[2] != "edge_attr"],
                         ids=[c[0] + ("-" + "-".join(str(v) for v in c[1].values()) if c[1] else "")
                              for c in CASES if c[2] != "edge_attr"])
def test_layer_equals_pyg_on_cora(cora_small, name, kwargs, call):
    x, edge_index = cora_small
    ours, theirs = _pair(name, kwargs, x.size(1), seed=3)
    extra = _inputs(call, x, edge_index, edge_index.size(1))
    _assert_same(ours, theirs, call, x, edge_index, extra)


@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.parametrize("name,kwargs,call", [c for c in CASES if c[2] in ("x", "pair", "edge_weight")],
                         ids=[c[0] + ("-" + "-".join(str(v) for v in c[1].values()) if c[1] else "")
                              for c in CASES if c[2] in ("x", "pair", "edge_weight")])
def test_layer_equals_pyg_on_a_torch_sparse_adjacency(name, kwargs, call, layout):
    edge_index, num_nodes = _messy_graph()
    # a coalesced adjacency: the duplicate edges become one entry of summed weight on both bases
    weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(4), dtype=torch.float64) + 0.5
    build = to_torch_coo_tensor if layout == "coo" else to_torch_csr_tensor
    values = weight if call == "edge_weight" else torch.ones_like(weight)  # float64 entries, as the features
    adj_t = build(edge_index.flip(0), values, (num_nodes, num_nodes))
    x = torch.randn(num_nodes, 6, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    ours, theirs = _pair(name, kwargs, 6, seed=6)
    if ours.flow == "target_to_source":  # a sparse adj_t is already transposed: both refuse the reversed flow
        for layer in (ours, theirs):
            with pytest.raises(ValueError, match="target_to_source"):
                layer(x, adj_t)
        return
    if ours.decomposed_layers > 1 and layout == "coo":
        theirs.decomposed_layers = 1  # PyG 2.8.1's sliced path fails in backward on a COO adjacency
    _assert_same(ours, theirs, call, x, adj_t, ())


def test_message_and_aggregate_gets_what_the_caller_passed():
    """For a plain edge_index a user's fused method is not called (PyG's rule); for a sparse adjacency or an
    EdgeIndex it is called with that very object, never with gnnlab's private SparseMatrix."""
    seen = []

    class Recorder(OURS["WeightedConv"]):
        def message_and_aggregate(self, adj_t, x):
            seen.append(adj_t)
            return super().message_and_aggregate(adj_t, x)

    class Fused(Recorder):  # PyG's protocol: an EdgeIndex sorted by target, multiplied transposed
        SUPPORTS_FUSED_EDGE_INDEX = True

        def message_and_aggregate(self, edge_index, x):
            seen.append(edge_index)
            return edge_index.matmul(x[0], reduce=self.aggr, transpose=True)

    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6)
    layer = Recorder(6, 5)
    layer(x, edge_index)
    assert seen == []
    adj_t = to_torch_csr_tensor(edge_index.flip(0), size=(num_nodes, num_nodes))
    layer(x, adj_t)
    assert len(seen) == 1 and seen[0] is adj_t
    sorted_index = EdgeIndex(edge_index, sparse_size=(num_nodes, num_nodes)).sort_by("col")[0]
    layer(x, sorted_index)
    assert len(seen) == 1  # PyG fuses an EdgeIndex only for a class that says it supports it
    torch.manual_seed(0)
    fused = Fused(6, 5)
    out = fused(x, sorted_index)
    assert len(seen) == 2 and seen[1] is sorted_index
    torch.testing.assert_close(out, fused(x, edge_index))


def test_edge_index_sparse_size_decides_the_bipartite_output_rows():
    # 4 sources, 2 targets: (x, None) must give 2 rows, as PyG (the edges alone reach target 1 only)
    edge_index = EdgeIndex(torch.tensor([[0, 1, 2, 3], [1, 1, 0, 1]]), sparse_size=(4, 2))
    x = torch.randn(4, 6, dtype=torch.float64)
    for classes in (OURS, THEIRS):
        torch.manual_seed(0)
        layer = classes["SumConv"](6, 3).double()
        out = layer.propagate(edge_index, x=(x, None))
        assert out.shape == (2, 6)
        torch.testing.assert_close(out[1], x[0] + x[1] + x[3])
    with pytest.raises(ValueError, match="'SumConv' expected 'size' to agree with the EdgeIndex's sparse_size"):
        OURS["SumConv"](6, 3).propagate(edge_index, size=(4, 3), x=(x, None))


def test_repr_reset_parameters_pickle_and_deepcopy():
    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6)
    for name, kwargs, _ in CASES:
        ours, theirs = _pair(name, kwargs, 6)
        assert repr(ours) == repr(theirs) == f"{name}(6, 5)"
        assert isinstance(ours, PyGMessagePassing)
    layer = OURS["LearnedSoftmaxConv"](6, 5)
    with torch.no_grad():
        layer.aggr_module.t.fill_(3.0)
    layer.reset_parameters()  # resets the aggregation module's parameters, as PyG's base does
    assert torch.equal(layer.aggr_module.t, torch.ones_like(layer.aggr_module.t))
    for name in ("NormalisedConv", "AttentionConv", "MultiAggrConv"):  # local classes: deepcopy only
        layer = OURS[name](6, 5)
        torch.testing.assert_close(copy.deepcopy(layer)(x, edge_index), layer(x, edge_index))
    from gnnlab.nn.conv import GATConv, GCNConv, SAGEConv

    for layer in (GCNConv(6, 5), GATConv(6, 5, heads=2), SAGEConv(6, 5, aggr=["mean", "max"])):
        expected = layer(x, edge_index)  # the caches it fills are dropped from the copies
        for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
            torch.testing.assert_close(clone(x, edge_index), expected)


def _hooked(layer, log):
    def note(kind, result=None):
        def hook(module, inputs, *output):
            log.append(kind)
            return result(inputs, *output) if result else None
        return hook

    layer.register_propagate_forward_pre_hook(note("propagate_pre"))
    layer.register_propagate_forward_hook(note("propagate", lambda inputs, out: out * 2))
    layer.register_message_forward_pre_hook(note("message_pre"))
    layer.register_message_forward_hook(note("message", lambda inputs, out: out + 1))
    layer.register_aggregate_forward_pre_hook(note("aggregate_pre"))
    layer.register_aggregate_forward_hook(note("aggregate"))
    layer.register_message_and_aggregate_forward_pre_hook(note("fused_pre"))
    layer.register_message_and_aggregate_forward_hook(note("fused", lambda inputs, out: out - 1))
    layer.register_edge_update_forward_pre_hook(note("edge_update_pre"))
    layer.register_edge_update_forward_hook(note("edge_update"))
    return layer


@pytest.mark.parametrize("name", ["WeightedConv", "AttentionConv"])
def test_hooks_run_where_pyg_runs_them(name):
    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6, dtype=torch.float64)
    adj_t = to_torch_csr_tensor(edge_index.flip(0), torch.ones(edge_index.size(1), dtype=torch.float64),
                                size=(num_nodes, num_nodes))
    for graph in (edge_index, adj_t):
        logs, outs = [], []
        for classes in (OURS, THEIRS):
            torch.manual_seed(0)
            log = []
            layer = _hooked(classes[name](6, 5).double(), log)
            outs.append(layer(x, graph))
            logs.append(log)
        assert logs[0] == logs[1] and len(logs[0]) >= 4
        torch.testing.assert_close(outs[0], outs[1])


def test_decomposed_layers_slice_the_features_as_pygs():
    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6, dtype=torch.float64)
    ours, theirs = _pair("SlicedConv", {}, 6)
    seen = []
    ours.register_message_forward_pre_hook(lambda module, inputs: seen.append(inputs[0]["x_j"].shape))
    torch.testing.assert_close(ours(x, edge_index), theirs(x, edge_index))
    assert seen == [(edge_index.size(1), 3), (edge_index.size(1), 2)]  # 5 features in two slices, as torch.chunk
    whole = copy.deepcopy(ours)
    whole.decomposed_layers = 1
    torch.testing.assert_close(whole(x, edge_index), ours(x, edge_index))  # slices change memory, not results


@pytest.mark.parametrize("name", ["SumConv", "AttentionConv", "NormalisedConv"])
def test_explain_scales_every_message_by_its_edge_mask_as_pyg(name):
    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6, dtype=torch.float64)
    ours, theirs = _pair(name, {}, 6)
    plain = ours(x, edge_index)
    mask = torch.randn(edge_index.size(1), dtype=torch.float64)
    for layer in (ours, theirs):  # as torch_geometric.explain.algorithm.utils.set_masks does
        layer.explain, layer._edge_mask, layer._apply_sigmoid = True, mask, True
        layer._loop_mask = edge_index[0] != edge_index[1]
    torch.testing.assert_close(ours(x, edge_index), theirs(x, edge_index))
    assert not torch.allclose(ours(x, edge_index), plain)


def test_torch_compile_gives_the_eager_output():
    edge_index, num_nodes = _messy_graph()
    x = torch.randn(num_nodes, 6)
    torch.manual_seed(0)
    layer = OURS["GatedConv"](6, 5)
    compiled = torch.compile(layer, backend="eager")  # dynamo's graph capture, without a C++ compiler
    torch.testing.assert_close(compiled(x, edge_index), layer(x, edge_index))


def test_out_of_range_indices_and_torchscript_are_clear_errors():
    layer = OURS["SumConv"](6, 5)
    with pytest.raises(IndexError, match=r"'SumConv' expected 'edge_index' to hold valid indices in \[0, 3\)"):
        layer(torch.randn(3, 6), torch.tensor([[0, 1, 3], [1, 2, 0]]))
    with pytest.raises(IndexError, match="valid indices.*minimum -1"):
        layer(torch.randn(3, 6), torch.tensor([[0, -1], [1, 2]]))
    with pytest.raises(RuntimeError, match="'SumConv' is built on gnnlab's MessagePassing.*torch.jit.script"):
        torch.jit.script(layer)


class _Net(torch.nn.Module):
    """A model as PyG's examples build one from two layers (to_hetero traces it with torch.fx)."""

    def __init__(self, conv, **kwargs):
        super().__init__()
        self.conv1, self.conv2 = conv((-1, -1), 16, **kwargs), conv((-1, -1), 4, **kwargs)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def _hetero_data():
    from torch_geometric.data import HeteroData

    generator = torch.Generator().manual_seed(0)
    data = HeteroData()
    data["paper"].x = torch.randn(9, 5, generator=generator)
    data["author"].x = torch.randn(6, 3, generator=generator)
    writes = torch.stack([torch.randint(0, 6, (20,), generator=generator),
                          torch.randint(0, 9, (20,), generator=generator)])
    data["author", "writes", "paper"].edge_index = writes
    data["paper", "rev_writes", "author"].edge_index = writes.flip(0)
    data["paper", "cites", "paper"].edge_index = torch.randint(0, 9, (2, 15), generator=generator)
    return data


@pytest.mark.parametrize("layer,kwargs", [("SAGEConv", {}), ("GATConv", {"add_self_loops": False})])
def test_to_hetero_gives_the_pyg_models_outputs(layer, kwargs):
    import torch_geometric.nn as pyg_nn
    from torch_geometric.nn import to_hetero

    import gnnlab.nn.conv as ours_nn

    data = _hetero_data()
    theirs = to_hetero(_Net(getattr(pyg_nn, layer), **kwargs), data.metadata(), aggr="sum")
    ours = to_hetero(_Net(getattr(ours_nn, layer), **kwargs), data.metadata(), aggr="sum")
    expected = theirs(data.x_dict, data.edge_index_dict)  # materialises the lazy weights
    ours(data.x_dict, data.edge_index_dict)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    out = ours(data.x_dict, data.edge_index_dict)
    assert set(out) == set(expected) == {"paper", "author"}  # node types, not edge types
    for node_type in out:
        torch.testing.assert_close(out[node_type], expected[node_type], atol=1e-5, rtol=1e-5)


class _Classifier(torch.nn.Module):
    def __init__(self, conv, **kwargs):
        super().__init__()
        self.conv1, self.conv2 = conv(8, 16, **kwargs), conv(16 * kwargs.get("heads", 1), 3)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index).log_softmax(dim=-1)


@pytest.mark.parametrize("layer,kwargs", [("GCNConv", {}), ("SAGEConv", {}), ("GATConv", {"heads": 2})])
def test_explainer_gives_gnnlab_models_the_masks_of_the_same_pyg_model(layer, kwargs):
    import torch_geometric.nn as pyg_nn
    from torch_geometric.explain import Explainer, GNNExplainer

    import gnnlab.nn.conv as ours_nn

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(30, 8, generator=generator)
    edge_index = torch.randint(0, 30, (2, 120), generator=generator)
    torch.manual_seed(0)
    theirs = _Classifier(getattr(pyg_nn, layer), **kwargs)
    ours = _Classifier(getattr(ours_nn, layer), **kwargs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    explanations = []
    for model in (ours, theirs):
        torch.manual_seed(5)  # GNNExplainer's initial masks
        explainer = Explainer(model, GNNExplainer(epochs=30), explanation_type="model", node_mask_type="attributes",
                              edge_mask_type="object", model_config=dict(mode="multiclass_classification",
                                                                         task_level="node", return_type="log_probs"))
        explanations.append(explainer(x, edge_index, index=3))
    ours_mask, their_mask = explanations[0].edge_mask, explanations[1].edge_mask
    assert (their_mask > 0).any() and (their_mask == 0).any()  # edges outside node 3's receptive field get 0
    torch.testing.assert_close(ours_mask, their_mask, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(explanations[0].node_mask, explanations[1].node_mask, atol=1e-4, rtol=1e-4)


def test_to_hetero_on_gnnlabs_graphsage_model_equals_pygs_model():
    from torch_geometric.nn import to_hetero
    from torch_geometric.nn.models import GraphSAGE as PyGGraphSAGE

    from gnnlab.nn import GraphSAGE

    data = _hetero_data()
    data["author"].x = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))  # one width for both types
    torch.manual_seed(0)
    theirs = to_hetero(PyGGraphSAGE(5, 16, num_layers=2, out_channels=4), data.metadata(), aggr="mean").eval()
    ours = to_hetero(GraphSAGE(5, 4, hidden_channels=16), data.metadata(), aggr="mean").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    out, expected = ours(data.x_dict, data.edge_index_dict), theirs(data.x_dict, data.edge_index_dict)
    assert set(out) == {"paper", "author"}
    for node_type in out:
        torch.testing.assert_close(out[node_type], expected[node_type], atol=1e-5, rtol=1e-5)
