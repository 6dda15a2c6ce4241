r"""Graph attention of Veličković et al., "Graph Attention Networks", ICLR 2018."""
from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.nn.conv.cache import InputCache
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, sparse_entries
from gnnlab.nn.linear import Linear, check_channels, glorot_
from gnnlab.utils.graph import add_self_loops as add_loops
from gnnlab.utils.graph import remove_self_loops, softmax
from gnnlab.utils.validation import check_feature_width, check_number, check_positive_int, check_same_device, is_integer


class GATConv(MessagePassing):
    r"""The graph attentional operator with :math:`K` heads

    .. math::
        \alpha_{ij}^{k} = \operatorname{softmax}_{j \in \mathcal{N}(i) \cup \{i\}}\Big(
            \operatorname{LeakyReLU}\big(a_{\text{src}}^{k\top} W^k x_j + a_{\text{dst}}^{k\top} W^k x_i
            + a_{\text{edge}}^{k\top} W_e^k e_{ji}\big)\Big),
        \qquad
        x_i' = \mathop{\Big\Vert}_{k=1}^{K} \sum_{j \in \mathcal{N}(i) \cup \{i\}} \alpha_{ij}^{k} W^k x_j
            \;(+\, W_r x_i) + b

    (heads concatenated; with ``concat=False`` averaged). The attention vector
    :math:`a = [a_{\text{src}} \Vert a_{\text{dst}}]` of the paper is stored in its two halves; the edge term
    exists with ``edge_dim``, the residual :math:`W_r x_i` with ``residual=True``. The coefficients are
    computed by :meth:`edge_update` (through :meth:`edge_updater`), then dropped out with probability
    ``dropout`` in training, as in the paper. :math:`W` and :math:`a` are shared by every node.

    Args:
        in_channels: input width, or ``(F_src, F_dst)`` for bipartite graphs (then ``lin_src``/``lin_dst``);
            ``-1`` infers it.
        out_channels: width per head.
        heads: number of attention heads :math:`K`.
        concat: concatenate the heads (output ``heads * out_channels``) or average them (``out_channels``).
        negative_slope: slope of the LeakyReLU.
        dropout: dropout probability of the attention coefficients.
        add_self_loops: replace existing self-loops by exactly one per node (``min(N_src, N_dst)`` nodes).
        edge_dim: width of ``edge_attr`` (``None``: no edge features).
        fill_value: ``edge_attr`` of the added loops: a number, a tensor, or a reduction (``"mean"``, ``"sum"``,
            ``"max"``, ``"min"``, ``"mul"``) of the node's incoming edges' attributes.
        bias: learn :math:`b`.
        residual: add :math:`W_r x_i`.
        **kwargs: ``aggr``, ``aggr_kwargs``, ``flow``, ``decomposed_layers`` of :class:`MessagePassing`
            (``node_dim`` is fixed at 0).

    Shapes:
        ``x: (N, F_in)`` or ``(x_src, x_dst)``, ``edge_index: (2, E)`` or a torch.sparse ``adj_t``,
        ``edge_attr: (E, edge_dim)`` → ``(N_dst, K * F_out)`` or ``(N_dst, F_out)``; with
        ``return_attention_weights=True`` also ``(edge_index, alpha)``, ``alpha: (E', K)`` over the edges
        attended over (the added self-loops included).

    Parameter names follow PyG 2.x (``lin``, ``lin_src``, ``lin_dst``, ``att_src``, ``att_dst``, ``lin_edge``,
    ``att_edge``, ``res``, ``bias``).

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GATConv
        >>> from gnnlab.utils import scatter
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features
        >>> conv = GATConv(34, 8, heads=4)
        >>> conv
        GATConv(34, 8, heads=4)
        >>> out, (edge_index, alpha) = conv(data.x, data.edge_index, return_attention_weights=True)
        >>> out.shape  # the 4 heads concatenated
        torch.Size([34, 32])
        >>> edge_index.shape, alpha.shape  # 156 edges and 34 added self-loops, one coefficient per head
        (torch.Size([2, 190]), torch.Size([190, 4]))
        >>> torch.allclose(scatter(alpha, edge_index[1], 0, 34, "sum"), torch.ones(34, 4))  # softmax per target
        True
        >>> GATConv(34, 8, heads=4, concat=False)(data.x, data.edge_index).shape  # the heads averaged
        torch.Size([34, 8])
    """

    def __init__(self, in_channels: int | tuple[int, int], out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 edge_dim: int | None = None, fill_value: Any = "mean", bias: bool = True, residual: bool = False,
                 **kwargs: Any) -> None:
        """See :class:`GATConv` for the arguments."""
        kwargs.setdefault("aggr", "sum")
        super().__init__(node_dim=0, **kwargs)
        who = "GATConv"
        for width in (in_channels, in_channels) if isinstance(in_channels, numbers.Integral) else tuple(in_channels):
            check_channels(who, "in_channels", width)
        check_positive_int(who, "out_channels", out_channels)
        check_positive_int(who, "heads", heads)
        check_number(who, "negative_slope", negative_slope, low=0.0)
        check_number(who, "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops, self.edge_dim, self.fill_value = add_self_loops, edge_dim, fill_value
        self.residual = residual
        width = heads * out_channels
        self.lin = self.lin_src = self.lin_dst = None
        if isinstance(in_channels, numbers.Integral):
            self.lin = Linear(in_channels, width, bias=False, weight_initializer="glorot")
        else:
            self.lin_src = Linear(in_channels[0], width, bias=False, weight_initializer="glorot")
            self.lin_dst = Linear(in_channels[1], width, bias=False, weight_initializer="glorot")
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        self.lin_edge = None if edge_dim is None else Linear(edge_dim, width, bias=False, weight_initializer="glorot")
        self.att_edge = None if edge_dim is None else nn.Parameter(torch.empty(1, heads, out_channels))
        total = width if concat else out_channels
        root = in_channels if isinstance(in_channels, numbers.Integral) else in_channels[1]
        self.res = Linear(root, total, bias=False, weight_initializer="glorot") if residual else None
        self.bias = nn.Parameter(torch.empty(total)) if bias else None
        self._loops_cache = InputCache()  # the edges with their self-loops replaced (without edge_attr)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()  # the aggregation module and every cache, the self-loops' included
        for module in (self.lin, self.lin_src, self.lin_dst, self.lin_edge, self.res):
            if module is not None:
                module.reset_parameters()
        glorot_(self.att_src)
        glorot_(self.att_dst)
        glorot_(self.att_edge)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def _project(self, x: Any) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """``(W x_src, W x_dst, residual)`` with the heads split: ``(N, K, F_out)``."""
        heads, channels = self.heads, self.out_channels
        x_src, x_dst = x if isinstance(x, (tuple, list)) else (x, None)
        single = not isinstance(x, (tuple, list))
        res = None
        if self.res is not None:
            res = self.res(x_src if single else x_dst) if (single or x_dst is not None) else None
        lin_src = self.lin if self.lin is not None else self.lin_src
        lin_dst = self.lin if self.lin is not None else self.lin_dst
        h_src = lin_src(x_src).view(-1, heads, channels)
        if single:
            return h_src, (h_src if self.lin is not None else lin_dst(x_src).view(-1, heads, channels)), res
        h_dst = None if x_dst is None else lin_dst(x_dst).view(-1, heads, channels)
        return h_src, h_dst, res

    def _with_loops(self, edge_index: Tensor, edge_attr: Tensor | None, num_nodes: int):
        """The edges attended over: without their self-loops, then one loop per node (kept while the same
        ``edge_index`` comes back without ``edge_attr``)."""
        if edge_attr is not None:
            edge_index, edge_attr = remove_self_loops(edge_index, edge_attr)
            return add_loops(edge_index, edge_attr, self.fill_value, num_nodes)
        key = (edge_index, num_nodes)
        looped = self._loops_cache.get(key)
        if looped is None:
            looped = add_loops(remove_self_loops(edge_index)[0], None, None, num_nodes)[0]
            self._loops_cache.put(key, looped)
        return looped, None

    def forward(self, x: Tensor | SparseMatrix | tuple, edge_index: Tensor, edge_attr: Tensor | None = None,
                size: tuple[int, int] | None = None,
                return_attention_weights: bool | None = None) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        """With ``return_attention_weights=True`` also return ``(edge_index, alpha)``, ``alpha: (E', K)``."""
        check_same_device("GATConv", {"x": x, "edge_index": edge_index, "edge_attr": edge_attr})
        if is_integer(self.in_channels) and self.in_channels > 0 and not isinstance(x, (tuple, list)):
            check_feature_width("GATConv", x, self.in_channels)
        h_src, h_dst, res = self._project(x)
        num_src, num_dst = h_src.size(0), (h_src.size(0) if h_dst is None else h_dst.size(0))
        sparse_shape = None
        if is_torch_sparse(edge_index):
            if h_dst is None:  # (x_src, None): the targets are the adjacency's rows
                num_dst = edge_index.size(0)
                size = (num_src, num_dst) if size is None else size
            self.check_graph(edge_index, num_src, num_dst)
            sparse_shape = tuple(edge_index.shape)
            row, col, _ = sparse_entries(edge_index)
            edge_index = torch.stack([col, row])
        else:
            self.check_graph(edge_index, *(size or (num_src, num_dst)))
        if self.add_self_loops:
            loops = min(num_src, num_dst) if size is None else min(size)
            edge_index, edge_attr = self._with_loops(edge_index, edge_attr, loops)
        score_src = (h_src * self.att_src).sum(-1)
        score_dst = None if h_dst is None else (h_dst * self.att_dst).sum(-1)
        alpha = self.edge_updater(edge_index, alpha=(score_src, score_dst), edge_attr=edge_attr, size=size)
        out = self.propagate(edge_index, x=(h_src, h_dst), alpha=alpha, size=size)
        out = out.reshape(-1, self.heads * self.out_channels) if self.concat else out.mean(dim=1)
        if res is not None:
            out = out + res
        if self.bias is not None:
            out = out + self.bias
        if not return_attention_weights:
            return out
        if sparse_shape is not None:
            return out, (torch.sparse_coo_tensor(edge_index.flip(0), alpha, sparse_shape + alpha.shape[1:]), alpha)
        return out, (edge_index, alpha)

    def edge_update(self, alpha_j: Tensor, alpha_i: Tensor | None, edge_attr: Tensor | None, index: Tensor,
                    ptr: Tensor | None, dim_size: int | None) -> Tensor:
        r""":math:`\alpha_{ij}`: LeakyReLU of the summed scores, softmax over each target's edges, dropout."""
        alpha = alpha_j if alpha_i is None else alpha_j + alpha_i
        if index.numel() == 0:
            return alpha
        if edge_attr is not None and self.lin_edge is not None:
            edge_attr = edge_attr.view(-1, 1) if edge_attr.dim() == 1 else edge_attr
            edge = self.lin_edge(edge_attr).view(-1, self.heads, self.out_channels)
            alpha = alpha + (edge * self.att_edge).sum(dim=-1)
        alpha = F.leaky_relu(alpha, self.negative_slope)
        alpha = softmax(alpha, index, ptr, dim_size)
        return dropout(alpha, self.dropout, self.training)

    def message(self, x_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * x_j

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, heads={self.heads})"
