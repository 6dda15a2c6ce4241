"""The in-edges of every node in compressed (CSR-over-targets) form, shared by layer-wise inference in
``gnnlab.nn`` and neighbour sampling in ``gnnlab.data``."""
from __future__ import annotations

import torch
from torch import Tensor


class InEdges:
    """The in-edges of every node in compressed form: the sources of the edges into node ``i`` are
    ``source[rowptr[i]:rowptr[i + 1]]`` and their positions in the original ``edge_index`` are ``edge_id[...]``.

    Shapes:
        ``edge_index: (2, E)`` → ``rowptr: (N + 1,)``, ``source: (E,)``, ``edge_id: (E,)``.
    """

    def __init__(self, edge_index: Tensor, num_nodes: int) -> None:
        target = edge_index[1]
        self.edge_id = torch.argsort(target, stable=True)
        self.source = edge_index[0].index_select(0, self.edge_id)
        self.rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
        self.rowptr[1:] = torch.cumsum(torch.bincount(target, minlength=num_nodes), 0)
        self.num_nodes = num_nodes

    def __repr__(self) -> str:
        return f"InEdges(num_nodes={self.num_nodes}, num_edges={self.source.numel()})"
