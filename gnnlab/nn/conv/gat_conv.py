r"""Graph attention of Veličković et al., "Graph Attention Networks", ICLR 2018."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.nn.conv._linear import Linear, glorot_
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.functional.scatter import segment_softmax
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.validation import check_number, check_positive_int


class GATConv(MessagePassing):
    r"""The graph attentional operator with :math:`K` heads

    .. math::
        \alpha_{ij}^{k} = \operatorname{softmax}_{j \in \mathcal{N}(i) \cup \{i\}}\Big(
            \operatorname{LeakyReLU}\big(a_{\text{src}}^{k\top} W^k x_j + a_{\text{dst}}^{k\top} W^k x_i\big)\Big),
        \qquad
        x_i' = \mathop{\Big\Vert}_{k=1}^{K} \sum_{j \in \mathcal{N}(i) \cup \{i\}} \alpha_{ij}^{k} W^k x_j + b

    (heads concatenated; with ``concat=False`` they are averaged). The attention vector
    :math:`a = [a_{\text{src}} \Vert a_{\text{dst}}]` of the paper is stored in its two halves. Dropout
    with probability ``dropout`` is applied to the attention coefficients in training, as in the paper.
    :math:`W` and :math:`a` are shared by every node.

    Attention *is* the edge weighting here, so there is no ``edge_weight`` argument: pass weights as
    features instead.

    Args:
        in_channels, out_channels: feature sizes (``out_channels`` per head).
        heads: number of attention heads :math:`K`.
        concat: concatenate the heads (output ``heads * out_channels``) or average them (``out_channels``).
        negative_slope: slope of the LeakyReLU.
        dropout: dropout probability of the attention coefficients.
        add_self_loops: replace existing self-loops by exactly one per node.
        bias: learn :math:`b`.

    Shapes:
        ``x: (N, F_in)``, ``edge_index: (2, E)`` → ``(N, K * F_out)`` or ``(N, F_out)``.

    Parameter names follow PyG 2.x (``lin.weight``, ``att_src``, ``att_dst``, ``bias``).
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 bias: bool = True) -> None:
        super().__init__(aggr="sum")
        who = "GATConv"
        check_positive_int(who, "in_channels", in_channels)
        check_positive_int(who, "out_channels", out_channels)
        check_positive_int(who, "heads", heads)
        check_number(who, "negative_slope", negative_slope, low=0.0)
        check_number(who, "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops = add_self_loops
        self.lin = Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        size = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.empty(size)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        glorot_(self.lin.weight)
        glorot_(self.att_src)
        glorot_(self.att_dst)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._adjacency_cache.clear()

    def _edges(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """The edges attended over: without their self-loops, then one loop per node (cached)."""
        key = (edge_index, edge_index._version, num_nodes)
        hit = self._adjacency_cache.get("edges")
        if hit is not None and hit[0][0] is edge_index and hit[0][1:] == key[1:]:
            return hit[1]
        if self.add_self_loops:
            keep = edge_index[0] != edge_index[1]
            loops = torch.arange(num_nodes, device=edge_index.device).expand(2, -1)
            edges = torch.cat([edge_index[:, keep], loops], dim=1)
        else:
            edges = edge_index
        self._adjacency_cache["edges"] = (key, edges)
        return edges

    def forward(self, x: Tensor | SparseMatrix, edge_index: Tensor,
                return_attention_weights: bool = False) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        """With ``return_attention_weights=True`` also return ``(edge_index, alpha)``, ``alpha: (E', K)``."""
        num_nodes = self.check_inputs(x, edge_index, self.in_channels)
        heads, channels = self.heads, self.out_channels
        h = self.lin(x).view(-1, heads, channels)
        score_src = (h * self.att_src).sum(-1)  # (N, K)
        score_dst = (h * self.att_dst).sum(-1)
        edges = self._edges(edge_index, num_nodes)
        source, target = edges
        score = score_src.index_select(0, source) + score_dst.index_select(0, target)
        alpha = segment_softmax(F.leaky_relu(score, self.negative_slope), target, num_nodes)
        alpha = dropout(alpha, self.dropout, self.training)
        out = self.propagate(edges, x=h, alpha=alpha, size=(num_nodes, num_nodes))
        out = out.reshape(-1, heads * channels) if self.concat else out.mean(dim=1)
        if self.bias is not None:
            out = out + self.bias
        return (out, (edges, alpha)) if return_attention_weights else out

    def message(self, x_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * x_j

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, heads={self.heads})"
