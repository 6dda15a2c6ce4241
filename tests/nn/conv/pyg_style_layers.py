"""Message-passing layers written the way PyG users write them (PyG's tutorial and its layers' habits:
``super().reset_parameters()``, ``torch_geometric.utils`` helpers, ``message_and_aggregate`` with PyG's
``spmm``, aggregation modules and lists, ``aggr_kwargs``, ``edge_updater``, bipartite pairs, both flows,
``decomposed_layers``), written for these tests. :func:`layer_classes` defines each of them on a given base
class, so that the same source runs on PyG's ``MessagePassing`` and on gnnlab's.

Each entry of :data:`CASES` is ``(name, constructor arguments, how the layer is called)``; ``call`` is
``"x"`` (``layer(x, edge_index)``), ``"pair"`` (``layer((x_src, x_dst), edge_index)``), ``"edge_attr"``
(``layer(x, edge_index, edge_attr)``) or ``"edge_weight"``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Linear, Parameter, Sequential
from torch_geometric.nn.aggr import SoftmaxAggregation
from torch_geometric.utils import add_remaining_self_loops, degree, softmax, spmm


def layer_classes(Base: type) -> dict[str, type]:  # noqa: C901 (one definition per layer, on purpose)
    """The test layers, each a subclass of ``Base``."""

    class SumConv(Base):
        """x_i' = W sum_j x_j + b (PyG's tutorial layer)."""

        def __init__(self, in_channels, out_channels, **kwargs):
            kwargs.setdefault("aggr", "add")
            super().__init__(**kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

    class WeightedConv(Base):
        """GraphConv-like: W_1 x_i + W_2 sum_j w_ji x_j, fused with PyG's spmm for a sparse adjacency."""

        def __init__(self, in_channels, out_channels, aggr="add", **kwargs):
            super().__init__(aggr=aggr, **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin_rel = Linear(in_channels, out_channels)
            self.lin_root = Linear(in_channels, out_channels, bias=False)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin_rel.reset_parameters()
            self.lin_root.reset_parameters()

        def forward(self, x, edge_index, edge_weight=None):
            out = self.propagate(edge_index, x=(x, x), edge_weight=edge_weight)
            return self.lin_rel(out) + self.lin_root(x)

        def message(self, x_j, edge_weight):
            return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

        def message_and_aggregate(self, adj_t, x):
            return spmm(adj_t, x[0], reduce=self.aggr)

    class MultiAggrConv(Base):
        """A list of aggregations (mean, max, std), concatenated, then a linear layer."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr=["mean", "max", "std"], **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(3 * in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.lin(self.propagate(edge_index, x=x))

    class LearnedSoftmaxConv(Base):
        """An aggregation module with a learnable temperature (PyG's SoftmaxAggregation)."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr=SoftmaxAggregation(learn=True, channels=out_channels), **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

    class TemperedSoftmaxConv(Base):
        """An aggregation resolved from a name with ``aggr_kwargs``."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr="softmax", aggr_kwargs={"t": 0.5}, **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

    class EdgeMLPConv(Base):
        """EdgeConv-like: max_j MLP([x_i, x_j - x_i]), on bipartite pairs."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr="max", **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.nn = Sequential(Linear(2 * in_channels, out_channels), torch.nn.ReLU(),
                                 Linear(out_channels, out_channels))
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            for module in self.nn:
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()

        def forward(self, x, edge_index):
            if isinstance(x, Tensor):
                x = (x, x)
            return self.propagate(edge_index, x=x, size=None)

        def message(self, x_i, x_j):
            return self.nn(torch.cat([x_i, x_j - x_i], dim=-1))

    class EdgeAttrConv(Base):
        """GINE-like: MLP((1 + eps) x_i + sum_j ReLU(x_j + W e_ji)), eps learnt, the root read in update."""

        def __init__(self, in_channels, out_channels, edge_dim, **kwargs):
            kwargs.setdefault("aggr", "add")
            super().__init__(**kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin_edge = Linear(edge_dim, in_channels)
            self.eps = Parameter(torch.empty(1))
            self.nn = Sequential(Linear(in_channels, out_channels), torch.nn.Tanh())
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin_edge.reset_parameters()
            self.eps.data.fill_(0.1)
            self.nn[0].reset_parameters()

        def forward(self, x, edge_index, edge_attr):
            return self.propagate(edge_index, x=(x, x), edge_attr=edge_attr)

        def message(self, x_j, edge_attr):
            return F.relu(x_j + self.lin_edge(edge_attr))

        def update(self, aggr_out, x):
            return self.nn((1 + self.eps) * x[1] + aggr_out)

    class AttentionConv(Base):
        """GAT-like: coefficients from ``edge_updater`` (softmax over each target's edges), then propagate."""

        def __init__(self, in_channels, out_channels, **kwargs):
            kwargs.setdefault("aggr", "add")
            super().__init__(node_dim=0, **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels, bias=False)
            self.att_src = Parameter(torch.empty(1, out_channels))
            self.att_dst = Parameter(torch.empty(1, out_channels))
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()
            torch.nn.init.uniform_(self.att_src, -0.5, 0.5)
            torch.nn.init.uniform_(self.att_dst, -0.5, 0.5)

        def forward(self, x, edge_index):
            h = self.lin(x)
            a_src, a_dst = (h * self.att_src).sum(-1), (h * self.att_dst).sum(-1)
            alpha = self.edge_updater(edge_index, alpha=(a_src, a_dst))
            return self.propagate(edge_index, x=h, alpha=alpha)

        def edge_update(self, alpha_j, alpha_i, index, ptr, dim_size):
            return softmax(F.leaky_relu(alpha_j + alpha_i, 0.2), index, ptr, dim_size)

        def message(self, x_j, alpha):
            return alpha.unsqueeze(-1) * x_j

    class GatedConv(Base):
        """ResGatedGraphConv-like: sum_j sigmoid(k_i + q_j) * v_j, three node tensors lifted."""

        def __init__(self, in_channels, out_channels, **kwargs):
            kwargs.setdefault("aggr", "add")
            super().__init__(**kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin_k, self.lin_q, self.lin_v = (Linear(in_channels, out_channels) for _ in range(3))
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            for lin in (self.lin_k, self.lin_q, self.lin_v):
                lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, k=self.lin_k(x), q=self.lin_q(x), v=self.lin_v(x))

        def message(self, k_i, q_j, v_j):
            return torch.sigmoid(k_i + q_j) * v_j

    class NormalisedConv(Base):
        """GCN-like: self-loops and the symmetric normalisation computed in forward, fused for sparse input."""

        def __init__(self, in_channels, out_channels, **kwargs):
            kwargs.setdefault("aggr", "add")
            super().__init__(**kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            if isinstance(edge_index, Tensor) and edge_index.layout != torch.strided:
                return self.propagate(edge_index, x=self.lin(x), norm=None)
            edge_index, _ = add_remaining_self_loops(edge_index, num_nodes=x.size(0))
            row, col = edge_index[0], edge_index[1]
            deg_inv_sqrt = degree(col, x.size(0), dtype=x.dtype).pow(-0.5)
            norm = deg_inv_sqrt[row] * deg_inv_sqrt[col]
            return self.propagate(edge_index, x=self.lin(x), norm=norm)

        def message(self, x_j, norm):
            return x_j if norm is None else norm.view(-1, 1) * x_j

        def message_and_aggregate(self, adj_t, x):
            return spmm(adj_t, x, reduce=self.aggr)

    class ReverseMeanConv(Base):
        """Messages against the edges' direction (``flow="target_to_source"``), averaged."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr="mean", flow="target_to_source", **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

        def message(self, x_i, x_j):
            return x_j - 0.5 * x_i

    class ProductConv(Base):
        """``aggr="mul"``: the product of sigmoid messages (ones where nothing arrives)."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr="mul", **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

        def message(self, x_j):
            return torch.sigmoid(x_j)

    class SlicedConv(Base):
        """A sum of messages computed in two feature slices (``decomposed_layers=2``)."""

        def __init__(self, in_channels, out_channels, **kwargs):
            kwargs.setdefault("aggr", "add")
            super().__init__(decomposed_layers=2, **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

        def message(self, x_j):
            return torch.tanh(x_j)

    class StdConv(Base):
        """An aggregation PyG resolves from a name gnnlab does not reduce itself (``"std"``)."""

        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(aggr="std", **kwargs)
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = Linear(in_channels, out_channels)
            self.reset_parameters()

        def reset_parameters(self):
            super().reset_parameters()
            self.lin.reset_parameters()

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

    return {cls.__name__: cls for cls in (SumConv, WeightedConv, MultiAggrConv, LearnedSoftmaxConv, TemperedSoftmaxConv,
                                          EdgeMLPConv, EdgeAttrConv, AttentionConv, GatedConv, NormalisedConv,
                                          ReverseMeanConv, ProductConv, SlicedConv, StdConv)}


#: (layer, extra constructor arguments, how it is called)
CASES = [
    ("SumConv", {}, "x"),
    ("WeightedConv", {}, "edge_weight"),
    ("WeightedConv", {"aggr": "mean"}, "x"),
    ("WeightedConv", {"aggr": "max"}, "x"),
    ("MultiAggrConv", {}, "x"),
    ("LearnedSoftmaxConv", {}, "x"),
    ("TemperedSoftmaxConv", {}, "x"),
    ("EdgeMLPConv", {}, "pair"),
    ("EdgeAttrConv", {"edge_dim": 3}, "edge_attr"),
    ("AttentionConv", {}, "x"),
    ("GatedConv", {}, "x"),
    ("NormalisedConv", {}, "x"),
    ("ReverseMeanConv", {}, "x"),
    ("ProductConv", {}, "x"),
    ("SlicedConv", {}, "x"),
    ("StdConv", {}, "x"),
]
