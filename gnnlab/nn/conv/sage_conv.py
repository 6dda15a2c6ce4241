r"""GraphSAGE of Hamilton, Ying & Leskovec, "Inductive Representation Learning on Large Graphs",
NeurIPS 2017."""
from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn.aggr import MultiAggregation

from gnnlab.nn.conv.message_passing import MessagePassing, overridden_below
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, sparse_entries, spmm
from gnnlab.nn.linear import Linear, check_channels, linear
from gnnlab.utils.validation import check_feature_width, check_positive_int, is_integer


class SAGEConv(MessagePassing):
    r"""The GraphSAGE operator

    .. math::
        x_i' = W_1 x_i + W_2 \cdot \bigoplus_{j \in \mathcal{N}(i)} w_{ji}\, x_j + b,
        \qquad \text{then } x_i' \leftarrow x_i' / \lVert x_i' \rVert_2 \text{ if } \texttt{normalize},

    with :math:`\bigoplus` the mean, sum, max or min over the in-neighbours, or an LSTM over them (``aggr``:
    the paper's mean and LSTM aggregators; its pooling aggregator is ``project=True`` with ``"max"``, which
    first maps every source through :math:`\operatorname{ReLU}(W_p x_j + b_p)`). :math:`w_{ji} = 1` unless
    ``edge_weight`` is given (each message is scaled by its weight; the mean still divides by the number of
    in-neighbours). :math:`W_1, W_2` are shared by every node, and a node without in-neighbours aggregates
    to zeros. Sum and mean run as one sparse product (:meth:`message_and_aggregate`); for them the
    projection by :math:`W_2` is applied before aggregating when that is cheaper (it commutes with a
    weighted sum), unless a subclass overrides :meth:`message` or :meth:`aggregate`.

    ``aggr="lstm"`` (PyG's ``LSTMAggregation``): each target's messages, in edge order, are one sequence
    padded with zeros to the largest in-degree, and the LSTM's last output is the aggregate. It is not
    permutation invariant (as in the paper).

    Args:
        in_channels: input width, or ``(F_src, F_dst)`` for bipartite graphs; ``-1`` infers it.
        out_channels: output width.
        aggr: ``"mean"``, ``"sum"`` (``"add"``), ``"max"``, ``"min"`` or ``"lstm"``.
        normalize: :math:`\ell_2`-normalise the output rows.
        root_weight: add the target's own transformed features :math:`W_1 x_i`.
        project: map the sources through a ReLU layer ``lin`` first.
        bias: learn :math:`b` (held by ``lin_l``, as in PyG).
        **kwargs: ``aggr_kwargs``, ``flow``, ``node_dim``, ``decomposed_layers`` of :class:`MessagePassing`.

    Shapes:
        ``x: (N, F_in)`` or ``(x_src: (N_src, F_src), x_dst: (N_dst, F_dst) or None)``, ``edge_index: (2, E)``
        or a torch.sparse ``adj_t: (N_dst, N_src)``, ``edge_weight: (E,)`` → ``(N_dst, F_out)``.

    Parameter names follow PyG 2.x (``lin_l`` for neighbours with the bias, ``lin_r`` for the root,
    ``lin`` for ``project``, ``aggr_module.lstm`` for the LSTM).

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import SAGEConv
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features
        >>> conv = SAGEConv(34, 16)
        >>> conv
        SAGEConv(34, 16, aggr=mean)
        >>> conv(data.x, data.edge_index).shape
        torch.Size([34, 16])
        >>> bipartite = SAGEConv((34, 8), 16, aggr="max")  # 34 sources into 10 targets with 8 features
        >>> edges = data.edge_index[:, data.edge_index[1] < 10]
        >>> bipartite((data.x, torch.randn(10, 8)), edges).shape
        torch.Size([10, 16])
    """

    extra_aggregations = ("lstm",)
    fuse_edge_index = True

    def __init__(self, in_channels: int | tuple[int, int], out_channels: int, aggr: str = "mean",
                 normalize: bool = False, root_weight: bool = True, project: bool = False, bias: bool = True,
                 **kwargs: Any) -> None:
        """See :class:`SAGEConv` for the arguments."""
        super().__init__(aggr=aggr, **kwargs)
        pair = (in_channels, in_channels) if isinstance(in_channels, numbers.Integral) else tuple(in_channels)
        for width in pair:
            check_channels("SAGEConv", "in_channels", width)
        check_positive_int("SAGEConv", "out_channels", out_channels)
        if project and pair[0] <= 0:
            raise ValueError("'SAGEConv' expected a known source width with project=True: it does not support lazy "
                             "initialisation there (got in_channels=-1)")
        if aggr == "lstm" and pair[0] <= 0:
            raise ValueError("'SAGEConv' expected a known source width with aggr='lstm' (got in_channels=-1)")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.normalize, self.root_weight, self.project = normalize, root_weight, project
        self.lin = Linear(pair[0], pair[0], bias=True) if project else None
        if aggr == "lstm":
            self.aggr_module = _LSTMAggregation(pair[0])
        # a list of aggregations concatenates their outputs (PyG's MultiAggregation), widening lin_l's input
        widened = isinstance(self.aggr_module, MultiAggregation)
        self.lin_l = Linear(self.aggr_module.get_out_channels(pair[0]) if widened else pair[0], out_channels,
                            bias=bias)
        self.lin_r = Linear(pair[1], out_channels, bias=False) if root_weight else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()  # the aggregation module, the caches
        for module in (self.lin, self.lin_l, self.lin_r):
            if module is not None:
                module.reset_parameters()

    def forward(self, x: Tensor | SparseMatrix | tuple, edge_index: Tensor, edge_weight: Tensor | None = None,
                size: tuple[int, int] | None = None) -> Tensor:
        x_src, x_dst = (x, x) if not isinstance(x, (tuple, list)) else x
        widths = (self.in_channels,) * 2 if is_integer(self.in_channels) else self.in_channels
        num_src = check_feature_width("SAGEConv", x_src, widths[0] if widths[0] > 0 else None)
        num_dst = num_src if x_dst is None else check_feature_width("SAGEConv", x_dst,
                                                                      widths[1] if widths[1] > 0 else None)
        if size is not None:
            num_src, num_dst = size
        elif x_dst is None and is_torch_sparse(edge_index):
            num_dst = edge_index.size(0)
        self.check_graph(edge_index, num_src, num_dst, edge_weight)
        if self.lin is not None:
            x_src = F.relu(self.lin(x_src))
        if self._project_first(x_src):
            # W_2 (A x) = A (W_2 x) for a weighted sum or mean: aggregate the narrower matrix
            out = self.propagate(edge_index, x=(linear(x_src, self.lin_l.weight), x_dst), edge_weight=edge_weight,
                                 size=(num_src, num_dst))
            out = out if self.lin_l.bias is None else out + self.lin_l.bias
        else:
            dense = x_src.to_dense() if isinstance(x_src, SparseMatrix) else x_src
            out = self.lin_l(self.propagate(edge_index, x=(dense, x_dst), edge_weight=edge_weight,
                                            size=(num_src, num_dst)))
        if self.lin_r is not None and x_dst is not None:
            out = out + self.lin_r(x_dst)
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    def _project_first(self, x_src: Any) -> bool:
        """Whether the messages may be projected before aggregating: a linear aggregation of SAGEConv's own
        ``message`` (a subclass's ``message``/``aggregate`` sees the unprojected features: the rule by which
        ``propagate`` runs an override rather than a fused product, :func:`overridden_below`)."""
        linear_rule = (self._reduction in ("sum", "mean")
                       and not isinstance(self.lin_l.weight, nn.UninitializedParameter)
                       and not overridden_below(type(self), SAGEConv))
        if isinstance(x_src, SparseMatrix):
            return linear_rule
        return linear_rule and self.out_channels < x_src.size(-1)

    def message(self, x_j: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def aggregate(self, inputs: Tensor, index: Tensor, ptr: Tensor | None = None,
                  dim_size: int | None = None) -> Tensor:
        if self.aggr == "lstm":
            return self.aggr_module(inputs, index, dim_size)
        return super().aggregate(inputs, index, ptr=ptr, dim_size=dim_size)

    def message_and_aggregate(self, adj_t: SparseMatrix | Tensor, x: tuple) -> Tensor:
        if self.aggr == "lstm":
            row, col = _rows_cols(adj_t)
            return self.aggr_module(x[0].index_select(0, col), row, adj_t.shape[0])
        return spmm(adj_t, x[0], reduce=self.aggr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, aggr={self.aggr})"


def _rows_cols(adj: SparseMatrix | Tensor) -> tuple[Tensor, Tensor]:
    if isinstance(adj, SparseMatrix):
        return adj.coo()
    row, col, _ = sparse_entries(adj)
    return row, col


class _LSTMAggregation(nn.Module):
    """PyG's ``LSTMAggregation`` in plain torch: the messages of each target, sorted by target (stably), as a
    zero-padded batch of sequences through an LSTM; the last output is the aggregate."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(channels, channels, batch_first=True)

    def reset_parameters(self) -> None:
        self.lstm.reset_parameters()

    def forward(self, inputs: Tensor, index: Tensor, dim_size: int | None) -> Tensor:
        dim_size = int(index.max()) + 1 if dim_size is None else dim_size
        order = torch.argsort(index, stable=True)
        index, inputs = index.index_select(0, order), inputs.index_select(0, order)
        count = torch.bincount(index, minlength=dim_size)
        longest = int(count.max()) if count.numel() else 0
        start = torch.cumsum(count, 0) - count
        position = torch.arange(index.numel(), device=index.device) - start.index_select(0, index)
        batch = inputs.new_zeros(dim_size, max(longest, 1), inputs.size(-1))
        batch[index, position] = inputs
        return self.lstm(batch)[0][:, -1]
