"""Details of PyG's contract that a mutation check of the new MessagePassing found untested: what the hooks
receive and return, explain with decomposition, EdgeIndex sizes and ptr, which path runs, caches in copies and
after in-place edits, and PyG's attributes and shapes on gnnlab's GCNConv, GATConv, SAGEConv and GAE."""
from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch_geometric import EdgeIndex
from torch_geometric.nn import MessagePassing as PyGMessagePassing
from torch_geometric.utils import to_torch_csr_tensor
from gnnlab.nn.conv import MessagePassing
from .pyg_style_layers import layer_classes
from .test_pyg_compat import _messy_graph, _pair

OURS, THEIRS = layer_classes(MessagePassing), layer_classes(PyGMessagePassing)


def _both(name, **kw):
    return _pair(name, kw, 6)


def test_prop_post_hook_sees_filled_size():
    ei, n = _messy_graph()
    x = torch.randn(n, 6, dtype=torch.float64)
    seen = []
    for layer in _both("WeightedConv"):
        layer.double().register_propagate_forward_hook(lambda m, inp, out: seen.append(inp[1]))
        layer(x, ei)
    assert list(seen[0]) == list(seen[1]) == [n, n]


def test_prop_post_hook_size_single_sided_as_pyg():
    ei, n = _messy_graph()
    x = torch.randn(n, 6, dtype=torch.float64)
    seen = []
    for layer in _both("SumConv"):
        layer.double().register_propagate_forward_hook(lambda m, inp, out: seen.append(list(inp[1])))
        layer(x, ei)
    assert seen[0] == seen[1]


def test_message_pre_hook_gets_message_kwargs_only():
    ei, n = _messy_graph()
    x = torch.randn(n, 6, dtype=torch.float64)
    w = torch.rand(ei.size(1), dtype=torch.float64)
    seen = []
    for layer in _both("WeightedConv"):
        layer.double().register_message_forward_pre_hook(lambda m, inp: seen.append(sorted(inp[0])))
        layer(x, ei, w)
    assert seen[0] == seen[1] == ["edge_weight", "x_j"]


def test_message_pre_hook_result_used():
    ei, n = _messy_graph()
    x = torch.randn(n, 6, dtype=torch.float64)
    outs = []
    for layer in _both("SumConv"):
        layer.double().register_message_forward_pre_hook(lambda m, inp: ({**inp[0], "x_j": 2 * inp[0]["x_j"]},))
        outs.append(layer(x, ei))
    torch.testing.assert_close(outs[0], outs[1])


def test_fused_pre_hook_result_used():
    ei, n = _messy_graph()
    x = torch.randn(n, 6, dtype=torch.float64)
    adj = to_torch_csr_tensor(ei.flip(0), torch.ones(ei.size(1), dtype=torch.float64), size=(n, n))
    outs = []
    for layer in _both("WeightedConv"):
        layer.double().register_message_and_aggregate_forward_pre_hook(
            lambda m, inp: (inp[0], {"x": (2 * inp[1]["x"][0], inp[1]["x"][1])}))
        outs.append(layer(x, adj))
    torch.testing.assert_close(outs[0], outs[1])


def test_explain_with_decomposed_layers():
    ei, n = _messy_graph()
    x = torch.randn(n, 6, dtype=torch.float64)
    mask = torch.randn(ei.size(1), dtype=torch.float64)
    outs = []
    for layer in _both("SlicedConv"):
        layer.double()
        layer.decomposed_layers = 1  # PyG's explain setter asserts decomposed_layers == 1
        layer.explain, layer._edge_mask, layer._apply_sigmoid = True, mask, True
        layer._loop_mask = ei[0] != ei[1]
        layer.decomposed_layers = 2  # PyG then ignores the slices while explaining
        outs.append(layer(x, ei))
    torch.testing.assert_close(outs[0], outs[1])


def test_edge_index_without_sparse_size_keeps_size_argument():
    ei = EdgeIndex(torch.tensor([[0, 1, 2, 3], [1, 1, 0, 1]]))
    x = torch.randn(4, 6, dtype=torch.float64)
    out = OURS["SumConv"](6, 3).double().propagate(ei, size=(4, 3), x=(x, None))
    assert out.shape == (3, 6)  # gnnlab's documented rule (PyG 2.8.1 ignores size for an EdgeIndex: 4 rows)


def test_ptr_of_a_sorted_edge_index_reaches_aggregate_as_pygs():
    ei, n = _messy_graph()
    sorted_ei = EdgeIndex(ei, sparse_size=(n, n)).sort_by("col")[0]
    x = torch.randn(n, 6, dtype=torch.float64)
    seen = []
    for classes in (OURS, THEIRS):
        class Rec(classes["SumConv"]):
            def aggregate(self, inputs, index, ptr=None, dim_size=None):
                seen.append(ptr)
                return super().aggregate(inputs, index, ptr=ptr, dim_size=dim_size)
        Rec(6, 3).double()(x, sorted_ei)
    assert seen[1] is not None and seen[0] is not None and torch.equal(seen[0], seen[1])


def test_sparse_adjacency_with_a_non_fusable_aggregation_runs_per_edge():
    ei, n = _messy_graph()
    adj = to_torch_csr_tensor(ei.flip(0), torch.rand(ei.size(1), dtype=torch.float64) + 0.5, size=(n, n))
    x = torch.randn(n, 6, dtype=torch.float64)
    ours, theirs = _pair("WeightedConv", {"aggr": "mul"}, 6)
    torch.testing.assert_close(ours(x, adj), theirs(x, adj))


def test_add_alias_takes_the_fused_product():
    from gnnlab.nn.conv import GatedGraphConv, GCNConv
    ei, n = _messy_graph()
    for layer in (GatedGraphConv(6, 2), GCNConv(6, 3, aggr="add")):
        layer(torch.randn(n, 6), ei)
        assert layer._fused_cache  # it holds the SparseMatrix


def test_copies_drop_the_caches():
    from gnnlab.nn.conv import SAGEConv
    ei, n = _messy_graph()
    layer = SAGEConv(6, 3)
    layer(torch.randn(n, 6), ei)
    assert layer._fused_cache and layer._check_cache
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert not clone._fused_cache and not clone._check_cache


def test_edge_index_edited_in_place_rebuilds_the_fused_matrix():
    from gnnlab.nn.conv import SAGEConv
    ei, n = _messy_graph()
    x = torch.randn(n, 6)
    layer = SAGEConv(6, 3)
    layer(x, ei)
    ei[0].copy_(ei[0].flip(0))  # same tensor, other edges
    layer.use_sparse = True
    out = layer(x, ei)
    fresh = copy.deepcopy(layer)
    fresh.use_sparse = False
    torch.testing.assert_close(out, fresh(x, ei))


def test_gcn_cached_edge_index_is_pygs():
    import torch_geometric.nn as pyg_nn
    from gnnlab.nn.conv import GCNConv
    ei, n = _messy_graph()
    x = torch.randn(n, 6)
    ours, theirs = GCNConv(6, 3, cached=True), pyg_nn.GCNConv(6, 3, cached=True)
    ours(x, ei), theirs(x, ei)
    assert ours._cached_edge_index is not None
    for a, b in zip(ours._cached_edge_index, theirs._cached_edge_index):
        torch.testing.assert_close(a, b)


def test_gcn_batched_static_graph():
    from gnnlab.nn.conv import GCNConv
    ei, n = _messy_graph()
    x = torch.randn(2, n, 6)
    conv = GCNConv(6, 3)
    out = conv(x, ei)
    assert out.shape == (2, n, 3)
    for b in range(2):
        torch.testing.assert_close(out[b], conv(x[b], ei))


def test_gat_sparse_bipartite_without_targets_matches_pyg():
    import torch_geometric.nn as pyg_nn
    from gnnlab.nn.conv import GATConv
    torch.manual_seed(0)
    theirs = pyg_nn.GATConv((6, 6), 3, heads=2, add_self_loops=False)
    ours = GATConv((6, 6), 3, heads=2, add_self_loops=False)
    ours.load_state_dict(theirs.state_dict())
    src, dst = torch.tensor([0, 1, 2, 3, 4, 4]), torch.tensor([0, 0, 1, 2, 2, 1])
    adj = torch.sparse_coo_tensor(torch.stack([dst, src]), torch.ones(6), (3, 5)).coalesce().to_sparse_csr()
    x = torch.randn(5, 6)
    expected = theirs((x, None), adj)
    out = ours((x, None), adj)
    assert out.shape == expected.shape == (3, 6)
    torch.testing.assert_close(out, expected)


def test_sage_reset_parameters_resets_the_lstm():
    from gnnlab.nn.conv import SAGEConv
    layer = SAGEConv(6, 3, aggr="lstm")
    with torch.no_grad():
        for p in layer.aggr_module.parameters():
            p.zero_()
    layer.reset_parameters()
    assert all(p.abs().sum() > 0 for p in layer.aggr_module.parameters())


def test_gae_declares_sparse_features_only_for_an_encoder_that_does():
    from gnnlab.nn.models import GAE

    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(6, 4)
        def forward(self, x, edge_index):
            return self.lin(x)
        def reset_parameters(self):
            self.lin.reset_parameters()

    assert GAE.with_gcn(6).supports_sparse_features
    assert not GAE(Plain()).supports_sparse_features
