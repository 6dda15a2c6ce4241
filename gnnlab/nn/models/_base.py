"""What every node-classification model shares: validation at its entry, ``forward`` and ``embed``."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.cache import InputCache
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.csr import CSR
from gnnlab.utils.validation import (
    check_edge_index,
    check_feature_width,
    check_features,
    check_positive_int,
    check_same_device,
    is_integer,
)


class NodeModel(nn.Module):
    """Base of the GNN models.

    Subclasses implement ``_run(x, edge_index, edge_weight) -> (logits, hidden)``. Inputs are validated
    here once per tensor (a tensor seen before, unmodified, is not checked again), not in the layers' loops.
    "Unmodified" is PyTorch's in-place counter (``tensor._version``): edits through ``.numpy()`` or ``.data``
    bypass it and are not seen (the rule of :class:`~gnnlab.nn.conv.cache.InputCache`, which every cache of
    the layers follows too). ``reset_parameters`` empties the model's caches and its layers'; a pickled or
    deep-copied model carries none.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GCN
        >>> from gnnlab.nn.functional import SparseMatrix
        >>> from gnnlab.nn.models import NodeModel
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features, 2 classes
        >>> model = GCN(34, 2)
        >>> isinstance(model, NodeModel), model.supports_sparse_features
        (True, True)
        >>> model.embed(data.x, data.edge_index).shape  # the output layer's input
        torch.Size([34, 16])
        >>> logits = model.inference(data.x, data.edge_index)  # evaluation mode, no autograd
        >>> logits.shape, logits.requires_grad, model.training
        (torch.Size([34, 2]), False, True)
        >>> torch.allclose(model.inference(SparseMatrix.from_dense(data.x), data.edge_index), logits, atol=1e-6)
        True
        >>> model(data.x, torch.tensor([[0], [34]]))  # inputs are checked at the model's entry
        Traceback (most recent call last):
            ...
        ValueError: ...
    """

    in_channels: int
    out_channels: int
    #: gnnlab's models take a :class:`~gnnlab.nn.functional.SparseMatrix` ``x`` (bag-of-words features):
    #: the trainers pass sparse features only to a model that declares this
    supports_sparse_features: bool = True

    def __init__(self) -> None:
        """Set up the input checks; a subclass builds its layers (see :class:`NodeModel`)."""
        super().__init__()
        self._check_cache = InputCache()  # the inputs check_inputs last validated

    def forward(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                num_sampled_nodes_per_hop: list[int] | None = None,
                num_sampled_edges_per_hop: list[int] | None = None) -> Tensor:
        """Logits ``(N, out_channels)``.

        On a mini-batch from :class:`~gnnlab.data.NeighborLoader`, passing its ``num_sampled_nodes`` and
        ``num_sampled_edges`` as ``num_sampled_nodes_per_hop`` and ``num_sampled_edges_per_hop`` (PyG's names)
        lets layer :math:`l` skip the outermost :math:`l` hops, whose outputs cannot
        reach the seeds any more (PyG's ``trim_to_layer``): the seeds' logits are unchanged, the work
        shrinks, and only the first rows (the seeds and the inner hops) are returned. Models whose layers take
        ``(x_src, x_dst)`` pairs (``narrows_targets``: GraphSAGE) also compute, in every layer but the last,
        only the rows the next layer reads. In training mode the dropout masks of such a call are drawn from
        random bytes (``byte_mask`` of :func:`~gnnlab.nn.functional.dropout`: the same distribution where
        :math:`256 p` is an integer, e.g. the default 0.5).
        """
        if isinstance(x, torch.fx.Proxy):  # symbolically traced (PyG's to_hetero): proxies hold no values to check
            return self._run(x, edge_index, edge_weight)[0]
        self.check_inputs(x, edge_index, edge_weight)
        hops = None
        if num_sampled_nodes_per_hop is not None or num_sampled_edges_per_hop is not None:
            hops = _check_hops(type(self).__name__, num_sampled_nodes_per_hop, num_sampled_edges_per_hop,
                               x.shape[0], edge_index.size(1))
        return self._run(x, edge_index, edge_weight, hops)[0]

    def embed(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """The last hidden representation (the output layer's input), e.g. for a t-SNE plot."""
        self.check_inputs(x, edge_index, edge_weight)
        return self._run(x, edge_index, edge_weight)[1]

    def _run(self, x, edge_index, edge_weight, hops=None) -> tuple[Tensor, Tensor]:
        """``(logits, last hidden)``; ``hops`` is ``(num_sampled_nodes, num_sampled_edges)`` or ``None``, and a
        model may ignore it (it only saves work)."""
        raise NotImplementedError

    @torch.no_grad()
    def inference(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None,
                  batch_size: int | None = None) -> Tensor:
        """Logits of every node in evaluation mode (no dropout) and without autograd.

        Models made of one layer per hop (``GCN``, ``GraphSAGE``, ``GAT``) compute them layer by layer
        over the full neighbourhoods, ``batch_size`` target nodes at a time, so memory stays bounded on
        graphs whose messages do not fit at once. Other models run one full forward pass.
        """
        was_training = self.training
        self.eval()
        try:
            self.check_inputs(x, edge_index, edge_weight)
            if batch_size is not None:
                check_positive_int(f"{type(self).__name__}.inference", "batch_size", batch_size)
            return self._inference(x, edge_index, edge_weight, batch_size)
        finally:
            self.train(was_training)

    def _inference(self, x, edge_index, edge_weight, batch_size) -> Tensor:
        return self._run(x, edge_index, edge_weight)[0]

    def check_inputs(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> None:
        # the inputs seen last time, by identity, with the counter PyTorch bumps at every in-place edit: a NaN
        # written into x since then is caught (a SparseMatrix by its values tensor, which has the counter)
        key = (x, x.values if isinstance(x, SparseMatrix) else None, edge_index, edge_weight)
        if self._check_cache.get(key):
            return
        who = type(self).__name__
        check_same_device(who, {"x": x, "edge_index": edge_index, "edge_weight": edge_weight})
        num_nodes = check_feature_width(who, x, self.in_channels)
        check_features(who, x.values.view(-1, 1) if isinstance(x, SparseMatrix) else x)
        check_edge_index(who, edge_index, num_nodes)
        if edge_weight is not None:
            if not isinstance(edge_weight, Tensor) or edge_weight.shape != (edge_index.size(1),):
                shape = tuple(edge_weight.shape) if isinstance(edge_weight, Tensor) else type(edge_weight).__name__
                raise ValueError(f"'{who}' expected 'edge_weight' of shape ({edge_index.size(1)},) (got {shape})")
            check_features(who, edge_weight.view(-1, 1), name="edge_weight")
        self._check_cache.put(key, True)

    def reset_parameters(self) -> None:
        """Empty the model's caches (a subclass resets its layers, and calls this)."""
        for cache in InputCache.caches_of(self).values():
            cache.clear()

    def __getstate__(self):  # as MessagePassing's: pickles and copies get every cache empty
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        return InputCache.without_contents(state)

    def extra_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        # a subclass need not have every one (a model without hidden layers has no hidden_channels)
        options = {"hidden_channels": getattr(self, "hidden_channels", None),
                   "num_layers": getattr(self, "num_layers", None), **self.extra_config(),
                   "dropout": getattr(self, "dropout", None)}
        parts = [str(self.in_channels), str(self.out_channels)]
        parts += [f"{k}={v}" for k, v in options.items() if v is not None]
        return f"{type(self).__name__}({', '.join(parts)})"


class ConvStack(NodeModel):
    """A model that is a list ``convs`` of layers with an activation and dropout before each layer after the
    first (dropout before the first too, on the input features)."""

    convs: nn.ModuleList
    #: the layers take a pair ``(x_src, x_dst)`` with ``size=(N_src, N_dst)`` (as ``SAGEConv``): on a trimmed
    #: mini-batch each layer but the last then computes only the rows the next layer reads
    narrows_targets: bool = False

    @staticmethod
    def activation(x: Tensor) -> Tensor:
        return torch.relu(x)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        for conv in self.convs:
            conv.reset_parameters()

    def _run(self, x, edge_index, edge_weight, hops=None):
        if hops is not None and len(hops[1]) < len(self.convs):
            hops = None  # fewer sampled hops than layers: every hop's outputs still reach the seeds
        hidden = x
        for i, conv in enumerate(self.convs):
            # drop the outermost hops, whose outputs reach no seed any more (not under GCN's normalisation,
            # which would then see other degrees)
            if i > 0 and hops is not None and conv.target_local:
                nodes, edges = sum(hops[0][:len(hops[0]) - i]), sum(hops[1][:len(hops[1]) - i])
                x, edge_index = x[:nodes], edge_index[:, :edges]
                edge_weight = None if edge_weight is None else edge_weight[:edges]
            hidden = self.activation(x) if i > 0 else x
            # a trimmed mini-batch draws its masks from bytes (gnnlab.nn.functional.dropout: the same distribution
            # where 256 p is an integer, a seventh of the drawing time, which was over a third of a step)
            hidden = self._traced_dropout()(hidden) if isinstance(hidden, torch.fx.Proxy) else \
                dropout(hidden, self.dropout, self.training, byte_mask=hops is not None)
            extra = () if edge_weight is None else (edge_weight,)
            if hops is not None and self.narrows_targets and i < len(self.convs) - 1 and isinstance(hidden, Tensor):
                # the targets of this layer's edges are the nodes the next layer keeps: compute only those rows
                # (their values are those of the full call; the outer rows would be dropped unread)
                targets = sum(hops[0][:len(hops[0]) - i - 1])
                x = conv((hidden, hidden[:targets]), edge_index, *extra, size=(hidden.size(0), targets))
            else:
                x = conv(hidden, edge_index, *extra)
        return x, hidden

    def __init__(self) -> None:
        super().__init__()
        # dropout as a module for symbolic tracing (PyG's to_hetero), where ``self.training`` would be frozen
        # into the graph as it was when traced: a module call keeps the traced model's train()/eval() live
        self.traced_dropout = nn.Dropout(0.0)

    def _traced_dropout(self) -> nn.Module:
        self.traced_dropout.p = self.dropout
        return self.traced_dropout

    def _inference(self, x, edge_index, edge_weight, batch_size):
        num_nodes = x.shape[0]
        in_edges = bounds = None
        for i, conv in enumerate(self.convs):
            h = self.activation(x) if i > 0 else x
            extra = () if edge_weight is None else (edge_weight,)
            if batch_size is None or batch_size >= num_nodes or not conv.target_local or isinstance(h, SparseMatrix):
                x = conv(h, edge_index, *extra)
                continue
            if in_edges is None:
                in_edges = CSR(edge_index, num_nodes, by="target")
                bounds = in_edges.rowptr.cpu()  # read on the host: no device sync per batch
            parts = []
            for start in range(0, num_nodes, batch_size):
                stop = min(start + batch_size, num_nodes)
                nodes, local_edges, edge_id = _in_neighbourhood(in_edges, bounds, start, stop)
                extra = () if edge_weight is None else (edge_weight.index_select(0, edge_id),)
                parts.append(conv(h.index_select(0, nodes), local_edges, *extra)[: stop - start])
            x = torch.cat(parts)
        return x


def _check_hops(who: str, num_sampled_nodes, num_sampled_edges, num_nodes: int, num_edges: int):
    for name, counts, total in (("num_sampled_nodes_per_hop", num_sampled_nodes, num_nodes),
                                ("num_sampled_edges_per_hop", num_sampled_edges, num_edges)):
        if not isinstance(counts, (list, tuple)) or not all(is_integer(c) and c >= 0 for c in counts) \
                or sum(counts) != total:
            raise ValueError(f"'{who}' expected '{name}' to be a list of counts per hop summing to {total}, as "
                             f"NeighborLoader gives with the batch (got {counts!r})")
    if len(num_sampled_nodes) != len(num_sampled_edges) + 1:
        raise ValueError(f"'{who}' expected one more entry in 'num_sampled_nodes_per_hop' than in "
                         "'num_sampled_edges_per_hop' "
                         f"(got {len(num_sampled_nodes)} and {len(num_sampled_edges)})")
    return list(num_sampled_nodes), list(num_sampled_edges)


def _in_neighbourhood(in_edges: CSR, bounds: Tensor, start: int, stop: int) -> tuple[Tensor, Tensor, Tensor]:
    """The nodes ``start..stop-1`` (first, in order) with all their in-neighbours, the edges into them in
    local ids, and those edges' ids: everything a target-local layer needs to compute those nodes.
    ``bounds`` is ``in_edges.rowptr`` on the CPU."""
    low, high = int(bounds[start]), int(bounds[stop])
    source = in_edges.col[low:high]
    device = source.device
    target = torch.repeat_interleave(torch.arange(stop - start, device=device),
                                     in_edges.degree[start:stop],
                                     output_size=high - low)
    outside = (source < start) | (source >= stop)
    others, position = torch.unique(source[outside], return_inverse=True)
    local_source = source - start
    local_source[outside] = (stop - start) + position
    nodes = torch.cat([torch.arange(start, stop, device=device), others])
    return nodes, torch.stack([local_source, target]), in_edges.edge_id[low:high]


def check_model_args(who: str, dropout: float, **sizes: int) -> None:
    from gnnlab.utils.validation import check_number, check_positive_int

    for name, value in sizes.items():
        check_positive_int(who, name, value)
    check_number(who, "dropout", dropout, low=0.0, high=1.0, high_open=True)
