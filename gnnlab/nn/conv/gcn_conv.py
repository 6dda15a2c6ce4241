r"""Graph convolution of Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional
Networks", ICLR 2017."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.cache import InputCache
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.gcn_norm import gcn_norm
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, spmm
from gnnlab.nn.linear import Linear, check_channels
from gnnlab.utils.validation import check_feature_width, check_positive_int


class GCNConv(MessagePassing):
    r"""The graph convolutional operator

    .. math::
        X' = \hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2} X \Theta + b,
        \qquad x_i' = \Theta^\top \sum_{j \in \mathcal{N}(i) \cup \{i\}}
        \frac{w_{ji}}{\sqrt{\hat{d}_j \hat{d}_i}} x_j + b,

    with :math:`\hat{A} = A + I` and :math:`\hat{d}_i = \sum_{j} \hat{A}_{ij}` (self-loops are added only to
    nodes without one; ``improved=True``: loops of weight 2 where ``edge_weight`` is given, as PyG 2.8, which
    adds loops of weight 1 when it is not). One weight matrix :math:`\Theta` is shared by every node.
    :meth:`message` is :math:`w_{ji} x_j`; :meth:`message_and_aggregate` is the same sum as one sparse
    product, which :meth:`propagate` uses (the per-edge path runs when ``edge_weight`` needs a gradient).

    Args:
        in_channels: input features per node (``-1``: inferred on the first call).
        out_channels: output features per node.
        improved: self-loops of weight 2.
        cached: keep the normalised adjacency of the next call and reuse it for every later call
            (transductive learning on one graph, as in PyG). Without it the normalisation is still kept,
            but recomputed whenever another (or a modified) ``edge_index`` or ``edge_weight`` is passed.
        add_self_loops: add :math:`I` (default: ``normalize``; ``True`` with ``normalize=False`` is an error).
        normalize: apply the symmetric normalisation (else use ``edge_weight`` as given).
        bias: learn the additive bias :math:`b`.
        **kwargs: ``aggr``, ``flow``, ``node_dim`` of :class:`MessagePassing`.

    Shapes:
        ``x: (N, F_in)`` (dense, or sparse as a :class:`~gnnlab.nn.functional.SparseMatrix`),
        ``edge_index: (2, E)`` or a torch.sparse ``adj_t: (N, N)``, ``edge_weight: (E,)`` → ``(N, F_out)``.

    Parameter names follow PyG 2.x (``lin.weight``, ``bias``), so a PyG ``GCNConv`` state_dict loads.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GCNConv
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features
        >>> conv = GCNConv(34, 16)
        >>> conv
        GCNConv(34, 16)
        >>> out = conv(data.x, data.edge_index)
        >>> out.shape
        torch.Size([34, 16])
        >>> edge_weight = torch.ones(156)
        >>> torch.allclose(conv(data.x, data.edge_index, edge_weight), out, atol=1e-6)  # weights of 1: the same
        True
    """

    fuse_edge_index = True

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False, cached: bool = False,
                 add_self_loops: bool | None = None, normalize: bool = True, bias: bool = True,
                 **kwargs: Any) -> None:
        """See :class:`GCNConv` for the arguments."""
        kwargs.setdefault("aggr", "sum")
        super().__init__(**kwargs)
        if add_self_loops is None:
            add_self_loops = normalize
        if add_self_loops and not normalize:
            raise ValueError("'GCNConv' expected add_self_loops=False when normalize=False: it does not support "
                             "adding self-loops without normalising (got add_self_loops=True, normalize=False)")
        check_channels("GCNConv", "in_channels", in_channels)
        check_positive_int("GCNConv", "out_channels", out_channels)
        # 1 / sqrt(d_j d_i) needs every source's degree, which a batch of targets does not see
        self.target_local = not normalize
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached = improved, cached
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self.lin = Linear(in_channels, out_channels, bias=False, weight_initializer="glorot")
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        # gcn_norm's result: under the inputs' key, or (cached=True) under the empty key _PINNED, which only a
        # lookup of _PINNED matches, so that it answers every later call whatever the graph (PyG's semantics)
        self._norm_cache = InputCache()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()  # the aggregation module and every cache, the normalisation's included
        self.lin.reset_parameters()
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    @property
    def _cached_edge_index(self) -> tuple[Tensor, Tensor] | None:
        """PyG's name for the normalised ``(edge_index, edge_weight)`` kept by ``cached=True`` (else ``None``)."""
        pinned = self._norm_cache.get(_PINNED)
        return pinned if pinned is not None and not is_torch_sparse(pinned[0]) else None

    @property
    def _cached_adj_t(self) -> Tensor | None:
        """PyG's name for the normalised sparse ``adj_t`` kept by ``cached=True`` (else ``None``)."""
        pinned = self._norm_cache.get(_PINNED)
        return pinned[0] if pinned is not None and is_torch_sparse(pinned[0]) else None

    @_cached_edge_index.setter
    def _cached_edge_index(self, value: None) -> None:  # PyG code clears it with ``= None``
        if value is not None:
            raise ValueError("'GCNConv' keeps its own normalised graph: '_cached_edge_index' can only be cleared "
                             f"(set to None; got {type(value).__name__})")
        self._norm_cache.clear()

    _cached_adj_t = _cached_adj_t.setter(_cached_edge_index.fset)

    def _normalized(self, edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int, dtype) -> Any:
        """``gcn_norm``'s result, kept while the same tensors come back (or for good with ``cached=True``)."""
        pinned = self._norm_cache.get(_PINNED)
        if pinned is not None:
            return pinned
        key = (edge_index, edge_weight, num_nodes, dtype)
        result = self._norm_cache.get(key)
        if result is None:
            grad = edge_weight is not None and edge_weight.requires_grad
            with torch.set_grad_enabled(grad and torch.is_grad_enabled()):
                result = gcn_norm(edge_index, edge_weight, num_nodes, self.improved, self.add_self_loops,
                                  self.flow, dtype)
            if not (grad or self.cached):
                self._norm_cache.put(key, result)
        if self.cached:
            self._norm_cache.put(_PINNED, result)
        return result

    def forward(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        if isinstance(x, (tuple, list)):
            raise ValueError("'GCNConv' expected one node-feature tensor 'x': it has no bipartite form "
                             "(got a pair; use SAGEConv or GATConv for bipartite graphs)")
        width = None if self.in_channels == -1 else self.in_channels
        if isinstance(x, Tensor) and x.dim() == 3 and self.node_dim in (-2, 1):  # (B, N, F): one graph, B inputs
            num_nodes = check_feature_width("GCNConv", x[0], width)
        else:
            num_nodes = check_feature_width("GCNConv", x, width)
        self.check_graph(edge_index, num_nodes, None, edge_weight)
        if self.normalize:
            dtype = x.dtype if isinstance(x, Tensor) else x.values.dtype
            edge_index, edge_weight = self._normalized(edge_index, edge_weight, num_nodes, dtype)
        x = self.lin(x)
        out = self.propagate(edge_index, x=x, edge_weight=edge_weight)
        return out if self.bias is None else out + self.bias

    def message(self, x_j: Tensor, edge_weight: Tensor | None) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: SparseMatrix | Tensor, x: Tensor) -> Tensor:
        return spmm(adj_t, x, reduce=self.aggr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"


#: the key of the normalisation ``cached=True`` keeps for good: empty, so only a lookup of it matches
_PINNED: tuple = ()
