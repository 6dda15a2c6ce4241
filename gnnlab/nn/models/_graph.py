"""What the graph-level models share: their inputs (a batch of graphs as PyG gives it) checked at the entry."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.cache import InputCache
from gnnlab.utils.validation import (
    check_edge_index,
    check_feature_width,
    check_features,
    check_positive_int,
    check_same_device,
    describe,
    fail,
)


class GraphModel(nn.Module):
    """Base of the graph classifiers: ``forward(x, edge_index, batch=None, size=None) -> (B, out_channels)``, the
    batch as PyG's ``DataLoader`` gives it (``data.x, data.edge_index, data.batch``; ``batch=None``: one graph;
    ``size``: the number of graphs, default ``batch.max() + 1``). Subclasses implement
    ``_run(x, edge_index, batch, size)``; inputs are checked here once per tensor (as
    :class:`~gnnlab.nn.models.NodeModel` does)."""

    in_channels: int
    out_channels: int

    def __init__(self) -> None:
        super().__init__()
        self._check_cache = InputCache()

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None, size: int | None = None) -> Tensor:
        size = self.check_inputs(x, edge_index, batch, size)
        return self._run(x, edge_index, batch, size)

    def _run(self, x: Tensor, edge_index: Tensor, batch: Tensor | None, size: int) -> Tensor:
        raise NotImplementedError

    def check_inputs(self, x: Tensor, edge_index: Tensor, batch: Tensor | None, size: int | None) -> int:
        """Validate a batch of graphs; returns the number of graphs."""
        who = type(self).__name__
        if size is not None:
            size = check_positive_int(who, "size", size, minimum=0)
        cached = self._check_cache.get((x, edge_index, batch))
        if cached is None:
            check_same_device(who, {"x": x, "edge_index": edge_index, "batch": batch})
            num_nodes = check_feature_width(who, x, self.in_channels)
            check_features(who, x)
            check_edge_index(who, edge_index, num_nodes)
            if batch is None:
                cached = 1
            else:
                if not isinstance(batch, Tensor) or batch.dim() != 1 or batch.numel() != num_nodes \
                        or batch.is_floating_point() or batch.dtype == torch.bool:
                    fail(who, f"'batch' to be an integer tensor of shape ({num_nodes},), the graph of each node "
                         "(PyG's data.batch)", describe(batch))
                if num_nodes and int(batch.min()) < 0:
                    fail(who, "'batch' to hold graph indices >= 0", int(batch.min()))
                cached = int(batch.max()) + 1 if num_nodes else 0
            self._check_cache.put((x, edge_index, batch), cached)
        if size is not None and size < cached:
            fail(who, f"'size' at least the number of graphs 'batch' names ({cached})", size)
        return cached if size is None else size

    def reset_parameters(self) -> None:
        for cache in InputCache.caches_of(self).values():
            cache.clear()

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        return InputCache.without_contents(state)

