"""MessagePassing's contract against PyG's: the guide's layers written once on both bases, one regression test
per defect of issue 13, aggregations, flow, node_dim, bipartite pairs, sparse adjacencies and the fast path."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import MessagePassing as PyGMessagePassing

from gnnlab.nn.conv import GCNConv, GatedGraphConv, MessagePassing, SAGEConv
from gnnlab.utils import add_self_loops, degree

from .cases import EDGE_CASES, random_graph


def guide_gcn(base):
    """The from-scratch GCN of PyG's "Creating Message Passing Networks" guide, on ``base``."""

    class GuideGCN(base):
        def __init__(self, in_channels, out_channels):
            super().__init__(aggr="add")
            self.lin = torch.nn.Linear(in_channels, out_channels, bias=False)
            self.bias = torch.nn.Parameter(torch.randn(out_channels))

        def forward(self, x, edge_index):
            edge_index, _ = add_self_loops(edge_index, num_nodes=x.size(0))
            x = self.lin(x)
            row, col = edge_index
            deg = degree(col, x.size(0), dtype=x.dtype)
            deg_inv_sqrt = deg.pow(-0.5)
            deg_inv_sqrt[deg_inv_sqrt == float("inf")] = 0
            norm = deg_inv_sqrt[row] * deg_inv_sqrt[col]
            return self.propagate(edge_index, x=x, norm=norm) + self.bias

        def message(self, x_j, norm):
            return norm.view(-1, 1) * x_j

    return GuideGCN


def guide_edge_conv(base):
    """The guide's EdgeConv (Wang et al.) with max aggregation."""

    class GuideEdgeConv(base):
        def __init__(self, in_channels, out_channels):
            super().__init__(aggr="max")
            self.mlp = torch.nn.Sequential(torch.nn.Linear(2 * in_channels, out_channels), torch.nn.ReLU(),
                                           torch.nn.Linear(out_channels, out_channels))

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=x)

        def message(self, x_i, x_j):
            return self.mlp(torch.cat([x_i, x_j - x_i], dim=1))

    return GuideEdgeConv


@pytest.mark.parametrize("factory", [guide_gcn, guide_edge_conv])
@pytest.mark.parametrize("case", ["isolated_nodes", "self_loops", "duplicate_edges", "directed", "no_edges"])
def test_guide_layers_equal_pyg(factory, case):
    edge_index, num_nodes, _ = EDGE_CASES[case]
    torch.manual_seed(0)
    reference = factory(PyGMessagePassing)(4, 3).double()
    ours = factory(MessagePassing)(4, 3).double()
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(num_nodes, 4, dtype=torch.float64)
    x_ref, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()
    expected, out = reference(x_ref, edge_index), ours(x_ours, edge_index)
    torch.testing.assert_close(out, expected)
    upstream = torch.randn_like(out)
    (g_ref,) = torch.autograd.grad((expected * upstream).sum(), x_ref)
    (g_ours,) = torch.autograd.grad((out * upstream).sum(), x_ours)
    torch.testing.assert_close(g_ours, g_ref)


# -- one regression test per defect listed in the issue -------------------------------------------------
def test_keyword_order_does_not_decide_the_node_count():
    edge_index = random_graph(7, 30, seed=1)

    class Reordered(MessagePassing):
        def forward(self, x, edge_index, norm):
            return self.propagate(edge_index, norm=norm, x=x)  # a per-edge tensor comes first

        def message(self, x_j, norm):
            return norm.view(-1, 1) * x_j

    x, norm = torch.randn(7, 3), torch.rand(30)
    out = Reordered()(x, edge_index, norm)
    assert out.shape == (7, 3)
    torch.testing.assert_close(out, torch.zeros(7, 3).index_add_(0, edge_index[1], norm.view(-1, 1) * x[edge_index[0]]))


def test_message_defaults_are_kept():
    class Scaled(MessagePassing):
        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=x)

        def message(self, x_j, scale=2.0):
            return scale * x_j

    edge_index = torch.tensor([[0, 1], [1, 0]])
    x = torch.tensor([[1.0], [3.0]])
    torch.testing.assert_close(Scaled()(x, edge_index), torch.tensor([[6.0], [2.0]]))


def test_pyg_style_aggregate_override_gets_keywords():
    class Counting(MessagePassing):
        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=x)

        def aggregate(self, inputs, index, ptr=None, dim_size=None):
            assert ptr is None
            return torch.zeros(dim_size, inputs.size(1)).index_add_(0, index, inputs)

    edge_index = torch.tensor([[0, 1, 2], [1, 2, 1]])
    out = Counting()(torch.ones(5, 2), edge_index)  # nodes 3 and 4 are isolated: 5 rows
    torch.testing.assert_close(out, torch.tensor([[0.0, 0], [2, 2], [1, 1], [0, 0], [0, 0]]))


def test_bipartite_pairs_match_pyg():
    def build(base):
        class BipartiteLayer(base):
            def __init__(self):
                super().__init__(aggr="mean")

            def forward(self, x, edge_index, size):
                return self.propagate(edge_index, x=x, size=size)

            def message(self, x_j, x_i):
                return x_j * x_i.sum(-1, keepdim=True)

        return BipartiteLayer()

    generator = torch.Generator().manual_seed(3)
    x_src, x_dst = torch.randn(6, 4, generator=generator), torch.randn(3, 4, generator=generator)
    edge_index = torch.stack([torch.randint(0, 6, (12,), generator=generator),
                              torch.randint(0, 3, (12,), generator=generator)])
    out = build(MessagePassing)((x_src, x_dst), edge_index, (6, 3))
    torch.testing.assert_close(out, build(PyGMessagePassing)((x_src, x_dst), edge_index, (6, 3)))
    assert out.shape == (3, 4)


@pytest.mark.parametrize("conv_class, args", [(GCNConv, (4, 3)), (SAGEConv, (4, 3)), (GatedGraphConv, (4, 2))])
@pytest.mark.parametrize("sparse_input", [False, True])
def test_overridden_message_runs_on_every_path(conv_class, args, sparse_input):
    class Doubled(conv_class):
        def message(self, x_j, edge_weight=None):
            return 2 * super().message(x_j, edge_weight)

    torch.manual_seed(4)
    plain, doubled = conv_class(*args), Doubled(*args)
    doubled.load_state_dict(plain.state_dict())
    edge_index = random_graph(9, 40, seed=4)
    x = torch.randn(9, 4)
    plain.use_sparse = False
    graph = _adj_t(edge_index, 9) if sparse_input else edge_index
    with torch.no_grad():
        assert not torch.allclose(doubled(x, graph), plain(x, graph))

    for use_sparse in (True, False):
        doubled.use_sparse = use_sparse
        expected = _per_edge(doubled, x, edge_index)
        torch.testing.assert_close(doubled(x, graph), expected, atol=1e-5, rtol=1e-5)


def _per_edge(layer, x, edge_index):
    was = layer.use_sparse
    layer.use_sparse = False
    try:
        return layer(x, edge_index)
    finally:
        layer.use_sparse = was


def _adj_t(edge_index, num_nodes, values=None):
    """The transposed adjacency with one (uncoalesced) entry per edge, duplicates included."""
    values = torch.ones(edge_index.size(1)) if values is None else values
    return torch.sparse_coo_tensor(edge_index.flip(0), values, (num_nodes, num_nodes))


def test_misspelt_message_argument_is_a_clear_error():
    class Misspelt(MessagePassing):
        def forward(self, x, edge_index, norm):
            return self.propagate(edge_index, x=x, norm=norm)

        def message(self, x_j, nrom):
            return nrom.view(-1, 1) * x_j

    with pytest.raises(TypeError, match=r"'Misspelt.message' requires the argument 'nrom'.*"
                                        r"\(got keywords \['norm', 'x'\]\)"):
        Misspelt()(torch.ones(3, 2), torch.tensor([[0, 1], [1, 2]]), torch.ones(2))


# -- the rest of the contract ------------------------------------------------------------------------
def _sum_layer(base, **kwargs):
    class SumLayer(base):
        def forward(self, x, edge_index, edge_weight=None):
            return self.propagate(edge_index, x=x, edge_weight=edge_weight)

        def message(self, x_j, x_i, edge_weight):
            out = x_j - 0.5 * x_i
            return out if edge_weight is None else edge_weight.view(-1, 1) * out

    return SumLayer(**kwargs)


@pytest.mark.parametrize("aggr", ["sum", "add", "mean", "max", "min", "mul"])
@pytest.mark.parametrize("flow", ["source_to_target", "target_to_source"])
def test_aggregations_and_flow_match_pyg(aggr, flow):
    edge_index = torch.cat([random_graph(8, 25, seed=5), torch.tensor([[2, 2], [2, 2]])], dim=1)
    x = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))  # 8, 9: no edges
    out = _sum_layer(MessagePassing, aggr=aggr, flow=flow)(x, edge_index)
    torch.testing.assert_close(out, _sum_layer(PyGMessagePassing, aggr=aggr, flow=flow)(x, edge_index))
    receivers = edge_index[1 if flow == "source_to_target" else 0]
    lonely = torch.ones(10, dtype=torch.bool)
    lonely[receivers] = False
    assert lonely.any() and (out[lonely] == (1.0 if aggr == "mul" else 0.0)).all()


def test_batched_static_graph_node_dim():
    edge_index = random_graph(6, 20, seed=6)
    x = torch.randn(4, 6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    out = _sum_layer(MessagePassing, aggr="mean")(x, edge_index)
    torch.testing.assert_close(out, _sum_layer(PyGMessagePassing, aggr="mean")(x, edge_index))
    for b in range(4):
        torch.testing.assert_close(out[b], _sum_layer(MessagePassing, aggr="mean")(x[b], edge_index))


@pytest.mark.parametrize("layout", ["coo", "csr", "csc"])
def test_sparse_adjacency_equals_edge_index_with_values_as_edge_weight(layout):
    edge_index = random_graph(7, 20, seed=7)
    edge_index = edge_index[:, (edge_index[0] * 7 + edge_index[1]).unique(return_inverse=True)[1].argsort()]
    key = edge_index[0] * 7 + edge_index[1]
    keep = torch.ones_like(key, dtype=torch.bool)
    keep[1:] = key.sort().values[1:] != key.sort().values[:-1]
    edge_index = edge_index[:, key.argsort()][:, keep]  # no duplicates: one entry per edge
    weight = torch.rand(edge_index.size(1), dtype=torch.float64)
    adj_t = torch.sparse_coo_tensor(edge_index.flip(0), weight, (7, 7)).coalesce()
    adj_t = {"coo": adj_t, "csr": adj_t.to_sparse_csr(), "csc": adj_t.to_sparse_csc()}[layout]
    x = torch.randn(7, 3, dtype=torch.float64)
    layer = _sum_layer(MessagePassing)
    torch.testing.assert_close(layer(x, adj_t), layer(x, edge_index, weight))


def test_special_arguments():
    seen = {}

    class Spy(MessagePassing):
        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=x, size=(5, 3))

        def message(self, x_j, index, size_i, size_j, edge_index_i, edge_index_j, edge_index, dim_size, size, ptr):
            seen.update(size_i=size_i, size_j=size_j, dim_size=dim_size, size=size, ptr=ptr)
            assert torch.equal(index, edge_index_i) and torch.equal(edge_index_j, edge_index[0])
            return x_j

    Spy()(torch.randn(5, 2), torch.tensor([[0, 4, 2], [1, 2, 0]]))
    assert seen == {"size_i": 3, "size_j": 5, "dim_size": 3, "size": [5, 3], "ptr": None}


def test_size_mismatch_and_unknown_size_are_errors():
    layer = _sum_layer(MessagePassing)
    with pytest.raises(ValueError, match="'x' to have 4 nodes"):
        layer.propagate(torch.tensor([[0], [1]]), x=torch.randn(3, 2), size=(4, 4))

    class NoNodes(MessagePassing):
        def message(self, edge_weight):
            return edge_weight.view(-1, 1)

    with pytest.raises(ValueError, match="cannot tell the number of nodes"):
        NoNodes().propagate(torch.tensor([[0], [1]]), edge_weight=torch.ones(1))
    out = NoNodes().propagate(torch.tensor([[0], [1]]), edge_weight=torch.ones(1), size=(3, 3))
    assert out.shape == (3, 1)


def test_edge_updater_calls_edge_update_by_keyword():
    class Scores(MessagePassing):
        def edge_update(self, a_j, a_i, offset=1.0):
            return a_j - a_i + offset

    edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
    a = torch.tensor([[1.0], [10.0], [100.0]])
    torch.testing.assert_close(Scores().edge_updater(edge_index, a=a), torch.tensor([[-8.0], [-89.0], [100.0]]))


def test_fast_path_only_for_the_class_that_defines_it():
    class Update(GCNConv):  # overriding update keeps the fused product, and update runs on it
        def update(self, inputs):
            return inputs + 1.0

    class OwnRule(GCNConv):  # a subclass that fuses its own message and aggregate may use it
        def message(self, x_j, edge_weight):
            return 3 * x_j * edge_weight.view(-1, 1)

        def message_and_aggregate(self, adj_t, x):
            return 3 * super().message_and_aggregate(adj_t, x)

    class OptedIn(OwnRule):  # ... and gets gnnlab's product over a plain edge_index only if it opts in
        fuse_edge_index = True

    from gnnlab.nn.conv.message_passing import _spec

    assert _spec(GCNConv)["fusable"] and _spec(Update)["fusable"] and _spec(OwnRule)["fusable"]
    assert _spec(GCNConv)["fuses_edge_index"] and _spec(Update)["fuses_edge_index"]
    assert not _spec(OwnRule)["fuses_edge_index"] and _spec(OptedIn)["fuses_edge_index"]
    assert not _spec(MessagePassing)["fusable"]
    torch.manual_seed(8)
    edge_index = random_graph(10, 40, seed=8)
    x = torch.randn(10, 4)
    for layer, fused in ((Update(4, 2), True), (OwnRule(4, 2), False), (OptedIn(4, 2), True)):
        out = layer(x, edge_index)
        assert bool(layer._fused_cache) == fused  # whether the SparseMatrix product ran
        torch.testing.assert_close(out, _per_edge(layer, x, edge_index), atol=1e-6, rtol=1e-5)

    class Override(GCNConv):
        def message(self, x_j, edge_weight):
            return x_j

    assert not _spec(Override)["fusable"]


def test_sparse_adjacency_rejects_reversed_flow():
    layer = _sum_layer(MessagePassing, flow="target_to_source")
    adj_t = torch.eye(3).to_sparse_csr()
    with pytest.raises(ValueError, match="flow='source_to_target'"):
        layer(torch.randn(3, 2), adj_t)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="'MessagePassing' expected 'aggr'.*got 'average'"):
        MessagePassing(aggr="average")
    with pytest.raises(ValueError, match="'flow'"):
        MessagePassing(flow="both")


@pytest.mark.parametrize("aggr", ["sum", "mean", "max"])
def test_aggregate_called_without_dim_size_counts_nodes_up_to_the_largest_index(aggr):
    # as a PyG-style override calling super().aggregate(inputs, index) sees it: rows 0..max(index), as torch
    inputs = torch.arange(12.0).view(6, 2)
    index = torch.tensor([0, 3, 3, 1, 0, 3])
    out = MessagePassing(aggr=aggr).aggregate(inputs, index)
    if aggr == "sum":
        expected = torch.zeros(4, 2).index_add_(0, index, inputs)
    else:
        expected = torch.zeros(4, 2).index_reduce_(0, index, inputs, "mean" if aggr == "mean" else "amax",
                                                   include_self=False)
    torch.testing.assert_close(out, expected)
    assert MessagePassing(aggr=aggr).aggregate(inputs[:0], index[:0]).shape == (0, 2)


def test_update_receives_its_keywords_after_the_fused_product():
    # a layer with a fast path whose update needs a keyword of its own: both paths pass it
    from gnnlab.nn.functional.sparse import spmm

    class Shifted(MessagePassing):
        def forward(self, x, edge_index, shift):
            return self.propagate(edge_index, x=x, shift=shift)

        def message_and_aggregate(self, adj_t, x):
            return spmm(adj_t, x, reduce="sum")

        def update(self, inputs, shift):
            return inputs + shift

    edge_index = random_graph(6, 15, seed=2)
    x, shift = torch.randn(6, 3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    expected = torch.zeros(6, 3, dtype=torch.float64).index_add_(0, edge_index[1], x[edge_index[0]]) + shift
    layer = Shifted()
    for use_sparse in (True, False):
        layer.use_sparse = use_sparse
        torch.testing.assert_close(layer(x, edge_index, shift), expected)


def test_an_error_inspecting_the_methods_is_not_reported_as_a_bad_aggregation():
    # PyG's inspector reads the module of a layer's message(); a module missing from sys.modules is its KeyError,
    # which is not about 'aggr' (it was reported as "expected 'aggr' ... (got 'mean')")
    namespace = {"__name__": "gnnlab_test_module_not_imported", "MessagePassing": MessagePassing}
    exec("class Layer(MessagePassing):\n    def message(self, x_j):\n        return x_j\n", namespace)
    with pytest.raises(KeyError, match="gnnlab_test_module_not_imported"):
        namespace["Layer"](aggr="mean")


@pytest.mark.parametrize("aggr", ["mean", "sum"])
def test_edges_grouped_by_target_take_the_product_without_a_sort(aggr, monkeypatch):
    """Edges grouped by target (a NeighborLoader batch's order), with sources in no order, a repeated edge
    and targets without edges, build the fused product's matrix without from_coo's sort; outputs and input
    gradients equal the per-edge path's and PyG's SAGEConv's (float64). Ungrouped edges still go through
    from_coo."""
    from torch_geometric.nn import SAGEConv as PyGSAGEConv

    from gnnlab.nn.functional import SparseMatrix

    from .cases import compare_calls

    edges = random_graph(12, 70, seed=31)
    edges = torch.cat([edges, edges[:, :3]], dim=1)  # three repeated edges
    grouped = edges[:, torch.argsort(edges[1], stable=True)]
    grouped = grouped[:, grouped[1] != 4]  # target 4 without in-edges
    x = torch.randn(12, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(32))

    built = []
    from_coo = SparseMatrix.from_coo
    monkeypatch.setattr(SparseMatrix, "from_coo", lambda *args: built.append(args) or from_coo(*args))
    for out_channels in (3, 8):  # projecting before aggregating, and after
        torch.manual_seed(33)
        ours = SAGEConv(5, out_channels, aggr=aggr).double()
        reference = PyGSAGEConv(5, out_channels, aggr=aggr).double()
        compare_calls(ours, reference, lambda conv, x: conv(x, grouped), x, atol=1e-10)
        assert bool(ours._fused_cache)  # the fused product ran
    assert not built  # and its matrix came without a sort
    compare_calls(SAGEConv(5, 3, aggr=aggr).double(), PyGSAGEConv(5, 3, aggr=aggr).double(),
                  lambda conv, x: conv(x, edges), x, atol=1e-10)
    assert len(built) == 1  # ungrouped edges: from_coo
