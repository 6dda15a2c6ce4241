r"""GraphSAGE of Hamilton, Ying & Leskovec, "Inductive Representation Learning on Large Graphs",
NeurIPS 2017."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gnnlab.nn.conv._linear import Linear, linear
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.validation import check_positive_int


class SAGEConv(MessagePassing):
    r"""The GraphSAGE operator

    .. math::
        x_i' = W_1 x_i + W_2 \cdot \bigoplus_{j \in \mathcal{N}(i)} w_{ji}\, x_j + b,
        \qquad \text{then } x_i' \leftarrow x_i' / \lVert x_i' \rVert_2 \text{ if } \texttt{normalize},

    with :math:`\bigoplus` the mean, max or sum over the in-neighbours (``aggr``) and :math:`w_{ji} = 1`
    unless ``edge_weight`` is given (each message is scaled by its weight before aggregating; the mean still
    divides by the number of in-neighbours). :math:`W_1, W_2` are shared by every node. A node without
    in-neighbours aggregates to zeros. Mean and sum aggregation run as one cached sparse product; the
    projection by :math:`W_2` is applied before aggregating when that is cheaper (it commutes with a
    weighted sum).

    Args:
        in_channels, out_channels: feature sizes.
        aggr: ``"mean"``, ``"max"`` or ``"sum"`` (``"add"``).
        root_weight: add the node's own transformed features :math:`W_1 x_i`.
        normalize: :math:`\ell_2`-normalise the output rows.
        bias: learn :math:`b` (held by ``lin_l``, as in PyG).

    Shapes:
        ``x: (N, F_in)``, ``edge_index: (2, E)``, ``edge_weight: (E,)`` → ``(N, F_out)``.

    Parameter names follow PyG 2.x (``lin_l`` for neighbours with the bias, ``lin_r`` for the root).
    """

    def __init__(self, in_channels: int, out_channels: int, aggr: str = "mean", root_weight: bool = True,
                 normalize: bool = False, bias: bool = True) -> None:
        super().__init__(aggr=aggr)
        check_positive_int("SAGEConv", "in_channels", in_channels)
        check_positive_int("SAGEConv", "out_channels", out_channels)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.root_weight, self.normalize = root_weight, normalize
        self.lin_l = Linear(in_channels, out_channels, bias=bias)
        self.lin_r = Linear(in_channels, out_channels, bias=False) if root_weight else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin_l.reset_parameters()
        if self.lin_r is not None:
            self.lin_r.reset_parameters()
        self._adjacency_cache.clear()

    def forward(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        num_nodes = self.check_inputs(x, edge_index, self.in_channels, edge_weight)
        # W_2 (A x) = A (W_2 x) for sum/mean: project first when that makes the aggregated matrix narrower
        project_first = self.aggr != "max" and (self.out_channels < self.in_channels or isinstance(x, SparseMatrix))
        projected = linear(x, self.lin_l.weight) if project_first else x
        out = self.linear_aggregation(projected, edge_index, edge_weight, num_nodes)
        if out is None:
            dense = x.to_dense() if isinstance(x, SparseMatrix) else x
            out = self.lin_l(self.propagate(edge_index, x=dense, edge_weight=edge_weight))
        elif project_first:
            out = out if self.lin_l.bias is None else out + self.lin_l.bias
        else:
            out = self.lin_l(out)
        if self.lin_r is not None:
            out = out + self.lin_r(x)
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    def message(self, x_j: Tensor, edge_weight: Tensor | None) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, aggr={self.aggr})"
