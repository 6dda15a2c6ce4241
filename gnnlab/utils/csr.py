r"""A graph's edges grouped by one endpoint in compressed sparse row (CSR) form: the one structure behind
random walks (out-edges), neighbour sampling and layer-wise inference (in-edges).

For ``by="source"`` the rows are the edges' sources and the columns their targets (out-edges); for
``by="target"`` the rows are the targets and the columns the sources (in-edges). The edges of row
:math:`i` are the positions ``rowptr[i]:rowptr[i + 1]``; at position :math:`k`, ``col[k]`` is the other
endpoint and ``edge_id[k]`` the edge's column in the original ``edge_index``. Within a row the edges are
sorted by ``col`` (repeated edges keep their original order), so a row can be binary-searched.
"""
from __future__ import annotations

import torch
from torch import Tensor

_ROWS = {"source": 0, "target": 1}


class CSR:
    """The edges of ``edge_index`` grouped by source (``by="source"``, out-edges) or by target
    (``by="target"``, in-edges).

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``, on any device (the CSR is built there).
        num_nodes: the number of nodes :math:`N` (rows), larger than every index in ``edge_index``.
        by: ``"source"`` (rows are sources: out-edges) or ``"target"`` (rows are targets: in-edges).

    Attributes:
        rowptr: ``(N + 1,)`` start of each row; ``degree = rowptr[1:] - rowptr[:-1]``.
        col: ``(E,)`` the other endpoint of each edge, sorted within each row.
        edge_id: ``(E,)`` each edge's column in ``edge_index``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import CSR
        >>> edge_index = torch.tensor([[0, 0, 1, 2], [2, 1, 2, 0]])
        >>> out_edges = CSR(edge_index, num_nodes=3)
        >>> out_edges
        CSR(num_nodes=3, num_edges=4, by='source')
        >>> out_edges.rowptr, out_edges.col, out_edges.edge_id
        (tensor([0, 2, 3, 4]), tensor([1, 2, 2, 0]), tensor([1, 0, 2, 3]))
        >>> CSR(edge_index, num_nodes=3, by="target").degree  # in-degrees
        tensor([1, 1, 2])
    """

    def __init__(self, edge_index: Tensor, num_nodes: int, by: str = "source") -> None:
        if by not in _ROWS:
            raise ValueError(f"'CSR' expected 'by' to be 'source' or 'target' (got {by!r})")
        row, col = edge_index[_ROWS[by]], edge_index[1 - _ROWS[by]]
        self.by = by
        self.num_nodes = num_nodes
        self.edge_id = torch.argsort(row * num_nodes + col, stable=True)
        self.col = col.index_select(0, self.edge_id)
        self.rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
        self.rowptr[1:] = torch.cumsum(torch.bincount(row, minlength=num_nodes), 0)
        self.degree = self.rowptr[1:] - self.rowptr[:-1]

    def rows(self) -> Tensor:
        """``(E,)`` each position's row: ``edge_index[0]`` (or ``[1]``) in CSR order."""
        return torch.repeat_interleave(torch.arange(self.num_nodes, device=self.rowptr.device), self.degree,
                                       output_size=self.num_edges)

    @property
    def num_edges(self) -> int:
        return self.col.numel()

    def __repr__(self) -> str:
        return f"CSR(num_nodes={self.num_nodes}, num_edges={self.num_edges}, by={self.by!r})"
