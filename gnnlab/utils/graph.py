r"""Graph helpers that layers call on ``edge_index``, in plain PyTorch, with the signatures and results of
``torch_geometric.utils``.

Edges are columns :math:`(j, i)` of a ``(2, E)`` integer tensor (``edge_index[0]`` the source :math:`j`,
``edge_index[1]`` the target :math:`i`); ``edge_attr`` holds one row per edge. These functions have no
dependency on the rest of gnnlab, so that ``gnnlab.nn`` and ``gnnlab.data`` can both use them.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

__all__ = ["maybe_num_nodes", "scatter", "add_self_loops", "add_remaining_self_loops", "remove_self_loops", "degree",
           "softmax", "to_undirected", "is_undirected", "dropout_edge", "subgraph", "coalesce"]

_REDUCE = {"sum": "sum", "add": "sum", "mean": "mean", "max": "amax", "min": "amin", "mul": "prod"}
_MISSING = object()


def maybe_num_nodes(edge_index: Tensor, num_nodes: int | None = None) -> int:
    """``num_nodes`` if given, else one more than the largest index in ``edge_index`` (0 without edges)."""
    if num_nodes is not None:
        return num_nodes
    return int(edge_index.max()) + 1 if edge_index.numel() > 0 else 0


def scatter(src: Tensor, index: Tensor, dim: int = 0, dim_size: int | None = None, reduce: str = "sum") -> Tensor:
    r"""Reduce the slices of ``src`` along ``dim`` into ``dim_size`` slices by ``index`` (PyG's signature):

    .. math:: \text{out}_i = \bigoplus_{e : \text{index}_e = i} \text{src}_e

    with ``reduce`` one of ``"sum"``/``"add"``, ``"mean"``, ``"max"``, ``"min"``, ``"mul"``. An index that
    receives nothing gets zeros (``"mul"``: ones, the empty product), as PyG.

    Shapes:
        ``src: (..., E, ...)`` (``E`` at ``dim``), ``index: (E,)`` → ``(..., dim_size, ...)``.
    """
    if reduce not in _REDUCE:
        raise ValueError(f"'scatter' expected 'reduce' to be one of {list(_REDUCE)} (got {reduce!r})")
    dim = dim % src.dim() if src.dim() else 0
    if index.dtype != torch.long:  # torch 2.13's gather (scatter_reduce's backward) misreads an expanded int32 index
        index = index.long()
    dim_size = maybe_num_nodes(index.view(1, -1), dim_size)
    shape = list(src.shape)
    shape[dim] = dim_size
    op = _REDUCE[reduce]
    if op in ("sum", "mean"):
        out = src.new_zeros(shape).index_add_(dim, index, src)
        if op == "sum":
            return out
        view = [1] * src.dim()
        view[dim] = -1
        return out / torch.bincount(index, minlength=dim_size).clamp_(min=1).to(src.dtype).view(view)
    view = [1] * src.dim()
    view[dim] = -1
    init = src.new_ones(shape) if op == "prod" else src.new_zeros(shape)
    return init.scatter_reduce(dim, index.view(view).expand_as(src), src, op, include_self=op == "prod")


def _reduce_rows(src: Tensor, index: Tensor, dim_size: int, reduce: str) -> Tensor:
    return scatter(src, index, 0, dim_size, reduce)


def _loop_attr(edge_index: Tensor, edge_attr: Tensor, fill_value: Any, num_loops: int) -> Tensor:
    """The attributes of the added self-loops: a constant, a given row, or a reduction of each node's in-edges."""
    if fill_value is None:
        return edge_attr.new_ones((num_loops,) + tuple(edge_attr.shape[1:]))
    if isinstance(fill_value, (int, float)):
        return edge_attr.new_full((num_loops,) + tuple(edge_attr.shape[1:]), fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.to(edge_attr.device, edge_attr.dtype)
        if edge_attr.dim() != fill_value.dim():
            fill_value = fill_value.unsqueeze(0)
        return fill_value.expand((num_loops,) + tuple(edge_attr.shape[1:])).clone()
    if isinstance(fill_value, str):
        return _reduce_rows(edge_attr, edge_index[1], num_loops, fill_value)
    raise TypeError(f"'fill_value' must be None, a number, a tensor or a reduction name (got {fill_value!r})")


def add_self_loops(edge_index: Tensor, edge_attr: Tensor | None = None, fill_value: Any = None,
                   num_nodes: int | tuple[int, int] | None = None) -> tuple[Tensor, Tensor | None]:
    r"""Append a loop :math:`(i, i)` for every node (after the existing edges, loops included):
    :math:`A \mapsto A + I`.

    ``fill_value`` gives the loops' attributes: ``None`` (ones), a number, a tensor, or ``"sum"``/``"add"``,
    ``"mean"``, ``"min"``, ``"max"``, ``"mul"`` of the node's incoming edges' attributes. A pair
    ``num_nodes=(N_src, N_dst)`` adds :math:`\min(N_{src}, N_{dst})` loops.

    Shapes:
        ``edge_index: (2, E)``, ``edge_attr: (E, *)`` → ``(2, E + N)``, ``(E + N, *)``.
    """
    if isinstance(num_nodes, (tuple, list)):
        count = min(num_nodes)
    else:
        count = maybe_num_nodes(edge_index, num_nodes)
    loops = torch.arange(count, device=edge_index.device, dtype=edge_index.dtype).expand(2, -1)
    if edge_attr is not None:
        edge_attr = torch.cat([edge_attr, _loop_attr(edge_index, edge_attr, fill_value, count)], dim=0)
    return torch.cat([edge_index, loops], dim=1), edge_attr


def add_remaining_self_loops(edge_index: Tensor, edge_attr: Tensor | None = None, fill_value: Any = None,
                             num_nodes: int | None = None) -> tuple[Tensor, Tensor | None]:
    r"""Give every node exactly one self-loop: existing loops are moved to the end and keep their attribute
    (the last one where a node has several), the others get ``fill_value`` (as in :func:`add_self_loops`).

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E - L + N)`` with ``L`` existing loops.
    """
    count = maybe_num_nodes(edge_index, num_nodes)
    row, col = edge_index[0], edge_index[1]
    keep = row != col
    loops = torch.arange(count, device=edge_index.device, dtype=edge_index.dtype).expand(2, -1)
    if edge_attr is not None:
        loop_attr = _loop_attr(edge_index[:, keep], edge_attr[keep], fill_value, count)
        is_loop = ~keep
        loop_attr[row[is_loop]] = edge_attr[is_loop]
        edge_attr = torch.cat([edge_attr[keep], loop_attr], dim=0)
    return torch.cat([edge_index[:, keep], loops], dim=1), edge_attr


def remove_self_loops(edge_index: Tensor, edge_attr: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """Drop the edges :math:`(i, i)`.

    Shapes:
        ``edge_index: (2, E)``, ``edge_attr: (E, *)`` → ``(2, E')``, ``(E', *)``.
    """
    keep = edge_index[0] != edge_index[1]
    return edge_index[:, keep], None if edge_attr is None else edge_attr[keep]


def degree(index: Tensor, num_nodes: int | None = None, dtype: torch.dtype | None = None) -> Tensor:
    r"""How often each node appears in ``index``: :math:`d_i = |\{e : \text{index}_e = i\}|` (pass
    ``edge_index[1]`` for in-degrees).

    Shapes:
        ``index: (E,)`` → ``(N,)``.
    """
    count = maybe_num_nodes(index.view(1, -1), num_nodes)
    out = torch.zeros(count, dtype=dtype or torch.float, device=index.device)
    return out.index_add_(0, index, torch.ones(index.numel(), dtype=out.dtype, device=index.device))


def softmax(src: Tensor, index: Tensor | None = None, ptr: Tensor | None = None, num_nodes: int | None = None,
            dim: int = 0) -> Tensor:
    r"""Softmax over the entries of ``src`` (along ``dim``) that share a target:

    .. math:: \alpha_e = \frac{\exp(s_e - m_i)}{\sum_{e' \to i} \exp(s_{e'} - m_i)}, \qquad
              m_i = \max_{e' \to i} s_{e'},

    the groups given by ``index`` or by CSR offsets ``ptr``. The maximum is subtracted for stability
    (detached: it cancels exactly).

    Shapes:
        ``src: (E, *)``, ``index: (E,)`` or ``ptr: (N + 1,)`` → ``(E, *)``.
    """
    if index is None:
        if ptr is None:
            raise ValueError("'softmax' expected 'index' or 'ptr' (got neither)")
        index = torch.repeat_interleave(torch.arange(ptr.numel() - 1, device=ptr.device), ptr[1:] - ptr[:-1])
    dim = dim % src.dim()
    count = maybe_num_nodes(index.view(1, -1), num_nodes)
    moved = src.movedim(dim, 0)
    src_max = _reduce_rows(moved.detach(), index, count, "max")
    out = (moved - src_max.index_select(0, index)).exp()
    out_sum = _reduce_rows(out, index, count, "sum") + 1e-16
    return (out / out_sum.index_select(0, index)).movedim(0, dim)


def coalesce(edge_index: Tensor, edge_attr: Tensor | None = None, num_nodes: int | None = None,
             reduce: str = "sum") -> tuple[Tensor, Tensor | None]:
    """Sort the edges by (source, target) and merge duplicates, reducing their attributes with ``reduce``.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')`` without duplicates.
    """
    count = maybe_num_nodes(edge_index, num_nodes)
    key = edge_index[0] * count + edge_index[1]
    unique, inverse = torch.unique(key, sorted=True, return_inverse=True)
    out = torch.stack([unique // max(count, 1), unique % max(count, 1)]).to(edge_index.dtype)
    if edge_attr is not None:
        edge_attr = _reduce_rows(edge_attr, inverse, unique.numel(), reduce)
    return out, edge_attr


def to_undirected(edge_index: Tensor, edge_attr: Any = _MISSING, num_nodes: int | None = None,
                  reduce: str = "add") -> Tensor | tuple[Tensor, Tensor | None]:
    """Add the reverse of every edge and merge duplicates (attributes reduced with ``reduce``); the result is
    sorted by (source, target). Returns ``edge_index``, or ``(edge_index, edge_attr)`` when ``edge_attr``
    is passed (even as ``None``), as PyG.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')``.
    """
    reverse = edge_index.flip(0)
    both = torch.cat([edge_index, reverse], dim=1)
    attr = None
    if isinstance(edge_attr, Tensor):
        attr = torch.cat([edge_attr, edge_attr], dim=0)
    both, attr = coalesce(both, attr, num_nodes, reduce)
    return both if edge_attr is _MISSING else (both, attr)


def is_undirected(edge_index: Tensor, edge_attr: Tensor | None = None, num_nodes: int | None = None) -> bool:
    """Whether the edges, as a multiset, equal their reverses: every :math:`(j, i)` appears as often as
    :math:`(i, j)` (with the same attributes when given), as PyG's ``is_undirected``."""
    count = max(maybe_num_nodes(edge_index, num_nodes), 1)
    row, col = edge_index[0], edge_index[1]
    by_row = torch.argsort(row * count + col, stable=True)
    by_col = torch.argsort(col * count + row, stable=True)
    if not (torch.equal(row[by_row], col[by_col]) and torch.equal(col[by_row], row[by_col])):
        return False
    return edge_attr is None or bool(torch.equal(edge_attr[by_row], edge_attr[by_col]))


def dropout_edge(edge_index: Tensor, p: float = 0.5, force_undirected: bool = False, training: bool = True,
                 *, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Drop each edge with probability ``p`` (PyG's ``dropout_edge``; with ``generator=None`` it draws from
    torch's global generator exactly as PyG does). ``force_undirected`` keeps or drops both directions
    together (the kept edges with ``source < target``, then their reverses).

    Returns ``(edge_index, edge_mask)``: the kept edges and the mask (indices with ``force_undirected``).

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')``, ``(E,)``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"'dropout_edge' expected 'p' in [0, 1] (got {p!r})")
    if not training or p == 0.0:
        return edge_index, edge_index.new_ones(edge_index.size(1), dtype=torch.bool)
    row, col = edge_index[0], edge_index[1]
    edge_mask = torch.rand(row.size(0), device=edge_index.device, generator=generator) >= p
    if force_undirected:
        edge_mask[row > col] = False
    edge_index = edge_index[:, edge_mask]
    if force_undirected:
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
        edge_mask = edge_mask.nonzero().repeat((2, 1)).squeeze()
    return edge_index, edge_mask


def subgraph(subset: Tensor | list[int], edge_index: Tensor, edge_attr: Tensor | None = None,
             relabel_nodes: bool = False, num_nodes: int | None = None, *,
             return_edge_mask: bool = False) -> tuple[Tensor, Tensor | None] | tuple[Tensor, Tensor | None, Tensor]:
    """The edges whose two ends are in ``subset`` (node indices or a boolean mask); with ``relabel_nodes``
    renumbered ``0..len(subset)-1`` in the order of ``subset``.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')``; ``edge_mask: (E,)``.
    """
    device = edge_index.device
    if isinstance(subset, (list, tuple)):
        subset = torch.tensor(subset, dtype=torch.long, device=device)
    if subset.dtype == torch.bool:
        count = subset.numel()
        node_mask = subset
    else:
        count = maybe_num_nodes(edge_index, num_nodes)
        node_mask = torch.zeros(count, dtype=torch.bool, device=device)
        node_mask[subset] = True
    edge_mask = node_mask[edge_index[0]] & node_mask[edge_index[1]]
    edge_index = edge_index[:, edge_mask]
    edge_attr = edge_attr[edge_mask] if edge_attr is not None else None
    if relabel_nodes:
        new_id = torch.full((count,), -1, dtype=edge_index.dtype, device=device)
        if subset.dtype == torch.bool:
            new_id[subset] = torch.arange(int(subset.sum()), dtype=edge_index.dtype, device=device)
        else:
            new_id[subset] = torch.arange(subset.numel(), dtype=edge_index.dtype, device=device)
        edge_index = new_id[edge_index]
    return (edge_index, edge_attr, edge_mask) if return_edge_mask else (edge_index, edge_attr)
