r"""gnnlab's message-passing base class.

A message-passing layer computes, for every node :math:`i` with incoming edges :math:`j \to i`,

.. math::
    m_{j \to i} = \phi(x_i, x_j, e_{ji}), \qquad
    a_i = \bigoplus_{j \to i} m_{j \to i}, \qquad
    x_i' = \gamma(x_i, a_i),

where :math:`\phi` is :meth:`MessagePassing.message`, :math:`\bigoplus` (sum, mean or max) is
:meth:`MessagePassing.aggregate` and :math:`\gamma` is :meth:`MessagePassing.update`. The functions
:math:`\phi` and :math:`\gamma` and their weights are the same for every node: this is the notes'
point (section 2.2) that in a GCN "every node in a layer uses the same network to aggregate and update",
the graph analogue of a convolution kernel shared by every pixel.

Where the messages are a fixed weighted sum of neighbour features,
:math:`a_i = \sum_{j \to i} w_{ji} x_j`, the whole step is the sparse product :math:`A X`; layers then call
:meth:`MessagePassing.adjacency` for a cached CSR matrix instead of materialising one message per edge.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
from torch import Tensor, nn

from gnnlab.nn.functional.scatter import scatter
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.validation import check_choice, check_edge_index, check_feature_width


class MessagePassing(nn.Module):
    """Base class: ``propagate`` calls ``message`` → ``aggregate`` → ``update``.

    Args:
        aggr: ``"sum"`` (alias ``"add"``), ``"mean"`` or ``"max"``.

    In :meth:`message`, an argument named ``<name>_j`` receives ``<name>`` gathered at the source of each
    edge and ``<name>_i`` at its target; other arguments are passed as given to :meth:`propagate`.

    Set ``use_sparse = False`` on a layer to force the per-edge message path (the textbook form) where the
    layer would otherwise use the sparse product; both give the same result.

    ``target_local`` says that one call's output at node :math:`i` depends only on the features of
    :math:`i` and of its in-neighbours and on the edges into :math:`i`, so that it can be computed on the
    subgraph of a batch of targets and their in-neighbours (layer-wise inference). A layer whose
    coefficients also need the *sources'* degrees (GCN's symmetric normalisation) sets it to ``False``.
    """

    use_sparse: bool = True
    target_local: bool = True

    def __init__(self, aggr: str = "sum") -> None:
        super().__init__()
        check_choice(type(self).__name__, "aggr", aggr, ("sum", "add", "mean", "max"))
        self.aggr = "sum" if aggr == "add" else aggr
        self._message_args = list(inspect.signature(self.message).parameters)
        self._update_args = list(inspect.signature(self.update).parameters)[1:]
        self._adjacency_cache: dict[str, tuple[tuple, SparseMatrix]] = {}
        self._checked: tuple | None = None

    # -- the contract --------------------------------------------------------------------------------
    def propagate(self, edge_index: Tensor, size: tuple[int, int] | None = None, **kwargs) -> Tensor:
        """Run one round of message passing along ``edge_index`` (``(2, E)``, source → target)."""
        source, target = edge_index
        if size is None:
            num_nodes = next(v.size(0) for v in kwargs.values() if isinstance(v, Tensor) and v.dim() > 0)
            size = (num_nodes, num_nodes)
        message_kwargs = {}
        for name in self._message_args:
            if name.endswith("_j") and name[:-2] in kwargs:
                message_kwargs[name] = kwargs[name[:-2]].index_select(0, source)
            elif name.endswith("_i") and name[:-2] in kwargs:
                message_kwargs[name] = kwargs[name[:-2]].index_select(0, target)
            elif name == "index":
                message_kwargs[name] = target
            elif name == "size_i":
                message_kwargs[name] = size[1]
            else:
                message_kwargs[name] = kwargs.get(name)
        messages = self.message(**message_kwargs)
        out = self.aggregate(messages, target, size[1])
        return self.update(out, **{name: kwargs.get(name) for name in self._update_args})

    def message(self, x_j: Tensor) -> Tensor:
        """:math:`\\phi`: the message along each edge (default: the source's features)."""
        return x_j

    def aggregate(self, messages: Tensor, index: Tensor, dim_size: int) -> Tensor:
        """:math:`\\bigoplus`: reduce the messages arriving at each target node."""
        return scatter(messages, index, dim_size, self.aggr)

    def update(self, aggregated: Tensor) -> Tensor:
        """:math:`\\gamma`: the new node state (default: the aggregate itself)."""
        return aggregated

    # -- helpers for layers --------------------------------------------------------------------------
    def adjacency(self, name: str, edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int,
                  build: Callable[[Tensor, Tensor | None, int], tuple[Tensor, Tensor | None]]) -> SparseMatrix:
        """The sparse matrix :math:`A_{ij} = w_{ji}` of the edges that ``build`` returns, cached.

        The cache holds the tensors it was built from and their version counters, so it is rebuilt when
        a different ``edge_index`` (or weight) is passed or one is modified in place, and is never stale.
        """
        key = (edge_index, edge_index._version, edge_weight,
               None if edge_weight is None else edge_weight._version, num_nodes, edge_index.device)
        hit = self._adjacency_cache.get(name)
        if hit is not None and _same_key(hit[0], key):
            return hit[1]
        with torch.no_grad():
            built_index, built_weight = build(edge_index, edge_weight, num_nodes)
            matrix = SparseMatrix.from_coo(built_index[1], built_index[0], built_weight, (num_nodes, num_nodes))
        self._adjacency_cache[name] = (key, matrix)
        return matrix

    def linear_aggregation(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None,
                           num_nodes: int) -> Tensor | None:
        """:math:`\bigoplus_{j \to i} w_{ji} x_j` for sum/mean as a cached sparse product, or ``None`` where
        that does not apply (max aggregation, weights that need a gradient, ``use_sparse = False``)."""
        if self.aggr == "max" or not self.use_sparse or (edge_weight is not None and edge_weight.requires_grad):
            return None
        return self.adjacency(self.aggr, edge_index, edge_weight, num_nodes, self._aggregation_weights).matmul(x)

    def _aggregation_weights(self, edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int):
        if edge_weight is None:
            edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
        if self.aggr == "mean":
            in_degree = torch.bincount(edge_index[1], minlength=num_nodes).clamp_(min=1)
            edge_weight = edge_weight / in_degree[edge_index[1]].to(edge_weight.dtype)
        return edge_index, edge_weight

    def check_inputs(self, x: Tensor | SparseMatrix, edge_index: Tensor, in_channels: int | None,
                     edge_weight: Tensor | None = None) -> int:
        """Validate the inputs of ``forward`` once per ``edge_index`` and return the number of nodes."""
        who = type(self).__name__
        num_nodes = check_feature_width(who, x, in_channels)
        key = (edge_index, getattr(edge_index, "_version", None), num_nodes)
        if self._checked is None or not _same_key(self._checked, key):
            check_edge_index(who, edge_index, num_nodes)
            self._checked = key
        if edge_weight is not None and (not isinstance(edge_weight, Tensor) or edge_weight.dim() != 1
                                        or edge_weight.numel() != edge_index.size(1)):
            shape = tuple(edge_weight.shape) if isinstance(edge_weight, Tensor) else type(edge_weight).__name__
            raise ValueError(f"'{who}' expected 'edge_weight' of shape ({edge_index.size(1)},), one per edge "
                             f"(got {shape})")
        return num_nodes

    def __getstate__(self):  # caches hold tensors by identity: do not pickle or deep-copy them
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        state = dict(state)
        state["_adjacency_cache"] = {}
        state["_checked"] = None
        return state


def _same_key(a: tuple, b: tuple) -> bool:
    return all((x is y) if isinstance(x, Tensor) or isinstance(y, Tensor) else x == y for x, y in zip(a, b))
