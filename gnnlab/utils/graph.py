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
    """``num_nodes`` if given, else one more than the largest index in ``edge_index`` (0 without edges).

    Args:
        edge_index: ``(2, E)`` integer edges (any integer tensor: only its largest entry is read).
        num_nodes: the number of nodes, returned as it is when given.

    Example::

        >>> import torch
        >>> from gnnlab.utils.graph import maybe_num_nodes
        >>> edge_index = torch.tensor([[0, 1, 1], [1, 0, 3]])
        >>> maybe_num_nodes(edge_index)
        4
        >>> maybe_num_nodes(edge_index, num_nodes=10)
        10
        >>> maybe_num_nodes(torch.zeros(2, 0, dtype=torch.long))
        0
    """
    if num_nodes is not None:
        return num_nodes
    return int(edge_index.max()) + 1 if edge_index.numel() > 0 else 0


def scatter(src: Tensor, index: Tensor, dim: int = 0, dim_size: int | None = None, reduce: str = "sum") -> Tensor:
    r"""Reduce the slices of ``src`` along ``dim`` into ``dim_size`` slices by ``index`` (PyG's signature):

    .. math:: \text{out}_i = \bigoplus_{e : \text{index}_e = i} \text{src}_e

    with ``reduce`` one of ``"sum"``/``"add"``, ``"mean"``, ``"max"``, ``"min"``, ``"mul"``. An index that
    receives nothing gets zeros (``"mul"``: ones, the empty product), as PyG.

    Args:
        src: the values to reduce, with one slice per entry of ``index`` along ``dim``.
        index: ``(E,)`` integer tensor: the output slice each slice of ``src`` goes to, in ``[0, dim_size)``.
        dim: the dimension of ``src`` that ``index`` runs along (negative counts from the end).
        dim_size: the number of output slices (default ``index.max() + 1``).
        reduce: ``"sum"`` (or ``"add"``), ``"mean"``, ``"max"``, ``"min"`` or ``"mul"``.

    Shapes:
        ``src: (..., E, ...)`` (``E`` at ``dim``), ``index: (E,)`` → ``(..., dim_size, ...)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import scatter
        >>> src = torch.tensor([1., 2., 3., 4.])
        >>> index = torch.tensor([0, 1, 0, 2])
        >>> scatter(src, index, reduce="sum")
        tensor([4., 2., 4.])
        >>> scatter(src, index, dim_size=4, reduce="max")  # node 3 receives nothing: 0
        tensor([3., 2., 4., 0.])
        >>> scatter(torch.ones(4, 2), index, dim=0, reduce="mean").shape
        torch.Size([3, 2])
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

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes or weights, or ``None``.
        fill_value: the loops' attributes: ``None`` (ones), a number, a tensor (one row, repeated) or the name
            of a reduction of each node's incoming attributes (see above); ignored without ``edge_attr``.
        num_nodes: the number of nodes :math:`N` (default ``edge_index.max() + 1``), or a pair
            ``(N_src, N_dst)`` for a bipartite graph.

    Returns:
        ``(edge_index, edge_attr)``: the edges with the loops appended, and their attributes (``None`` when
        ``edge_attr`` is ``None``).

    Shapes:
        ``edge_index: (2, E)``, ``edge_attr: (E, *)`` → ``(2, E + N)``, ``(E + N, *)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import add_self_loops
        >>> edge_index = torch.tensor([[0, 1, 1], [1, 0, 2]])
        >>> add_self_loops(edge_index)
        (tensor([[0, 1, 1, 0, 1, 2],
                 [1, 0, 2, 0, 1, 2]]), None)
        >>> weight = torch.tensor([1., 2., 3.])
        >>> add_self_loops(edge_index, weight, fill_value="mean")[1]  # each loop: the mean of the in-edges
        tensor([1., 2., 3., 2., 1., 3.])
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

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes or weights, or ``None``.
        fill_value: the attributes of the added loops, as in :func:`add_self_loops`.
        num_nodes: the number of nodes :math:`N` (default ``edge_index.max() + 1``).

    Returns:
        ``(edge_index, edge_attr)``: the edges that are not loops, then one loop per node ``0..N-1``.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E - L + N)`` with ``L`` existing loops.

    Example::

        >>> import torch
        >>> from gnnlab.utils import add_remaining_self_loops
        >>> edge_index = torch.tensor([[0, 1, 1], [1, 1, 2]])  # node 1 has a loop already
        >>> weight = torch.tensor([1., 5., 3.])
        >>> add_remaining_self_loops(edge_index, weight, fill_value=1.0)
        (tensor([[0, 1, 0, 1, 2],
                 [1, 2, 0, 1, 2]]), tensor([1., 3., 1., 5., 1.]))
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

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes or weights, or ``None``.

    Returns:
        ``(edge_index, edge_attr)`` without the loops (``edge_attr`` ``None`` when it was).

    Shapes:
        ``edge_index: (2, E)``, ``edge_attr: (E, *)`` → ``(2, E')``, ``(E', *)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import remove_self_loops
        >>> edge_index = torch.tensor([[0, 1, 1], [1, 1, 2]])
        >>> remove_self_loops(edge_index, torch.tensor([1., 5., 3.]))
        (tensor([[0, 1],
                 [1, 2]]), tensor([1., 3.]))
    """
    keep = edge_index[0] != edge_index[1]
    return edge_index[:, keep], None if edge_attr is None else edge_attr[keep]


def degree(index: Tensor, num_nodes: int | None = None, dtype: torch.dtype | None = None) -> Tensor:
    r"""How often each node appears in ``index``: :math:`d_i = |\{e : \text{index}_e = i\}|` (pass
    ``edge_index[1]`` for in-degrees).

    Args:
        index: ``(E,)`` integer node ids, e.g. ``edge_index[1]`` (in-degrees) or ``edge_index[0]`` (out-degrees).
        num_nodes: the number of nodes :math:`N` (default ``index.max() + 1``).
        dtype: the result's dtype (default ``torch.float``).

    Shapes:
        ``index: (E,)`` → ``(N,)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import degree
        >>> edge_index = torch.tensor([[0, 1, 1], [1, 0, 2]])
        >>> degree(edge_index[1], num_nodes=4)
        tensor([1., 1., 1., 0.])
        >>> degree(edge_index[0], dtype=torch.long)
        tensor([1, 2])
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

    Args:
        src: the scores, one entry (or row) per edge along ``dim``.
        index: ``(E,)`` the group (target node) of each entry; or ``None`` with ``ptr``.
        ptr: ``(N + 1,)`` CSR offsets: entries ``ptr[i]:ptr[i + 1]`` form group :math:`i` (used when ``index``
            is ``None``).
        num_nodes: the number of groups :math:`N` (default ``index.max() + 1``).
        dim: the dimension of ``src`` that runs over the entries.

    Shapes:
        ``src: (E, *)``, ``index: (E,)`` or ``ptr: (N + 1,)`` → ``(E, *)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import softmax
        >>> scores = torch.zeros(4)
        >>> softmax(scores, torch.tensor([0, 0, 1, 1]))  # two groups of two equal scores
        tensor([0.5000, 0.5000, 0.5000, 0.5000])
        >>> softmax(scores, ptr=torch.tensor([0, 1, 4])).shape
        torch.Size([4])
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

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes or weights, or ``None``.
        num_nodes: the number of nodes :math:`N` (default ``edge_index.max() + 1``).
        reduce: how the attributes of merged edges combine: ``"sum"``, ``"mean"``, ``"max"``, ``"min"``,
            ``"mul"`` (as :func:`scatter`).

    Returns:
        ``(edge_index, edge_attr)``, sorted and without duplicates (``edge_attr`` ``None`` when it was).

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')`` without duplicates.

    Example::

        >>> import torch
        >>> from gnnlab.utils import coalesce
        >>> edge_index = torch.tensor([[1, 0, 1], [2, 1, 2]])  # (1, 2) twice
        >>> coalesce(edge_index, torch.tensor([1., 2., 3.]))
        (tensor([[0, 1],
                 [1, 2]]), tensor([2., 4.]))
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

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes or weights (a reverse edge gets its edge's), or ``None``; when
            omitted, only ``edge_index`` is returned.
        num_nodes: the number of nodes :math:`N` (default ``edge_index.max() + 1``).
        reduce: how the attributes of merged edges combine (as :func:`coalesce`; ``"add"`` is ``"sum"``).

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import to_undirected
        >>> edge_index = torch.tensor([[0, 1], [1, 2]])
        >>> to_undirected(edge_index)
        tensor([[0, 1, 1, 2],
                [1, 0, 2, 1]])
        >>> to_undirected(edge_index, torch.tensor([1., 2.]))
        (tensor([[0, 1, 1, 2],
                 [1, 0, 2, 1]]), tensor([1., 1., 2., 2.]))
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
    :math:`(i, j)` (with the same attributes when given), as PyG's ``is_undirected``.

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes that must also match between an edge and its reverse, or ``None``.
        num_nodes: the number of nodes :math:`N` (default ``edge_index.max() + 1``).

    Example::

        >>> import torch
        >>> from gnnlab.utils import is_undirected
        >>> is_undirected(torch.tensor([[0, 1], [1, 2]]))
        False
        >>> is_undirected(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]))
        True
        >>> is_undirected(torch.tensor([[0, 1], [1, 0]]), torch.tensor([1., 2.]))  # different weights
        False
    """
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

    Args:
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        p: the probability of dropping each edge, in :math:`[0, 1]`.
        force_undirected: drop an edge and its reverse together (for undirected graphs stored with both
            directions).
        training: when ``False`` (evaluation), nothing is dropped.
        generator: the :class:`torch.Generator` to draw from (``None``: torch's global generator).

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')``, ``(E,)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import dropout_edge, is_undirected, make_generator, to_undirected
        >>> edge_index = to_undirected(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]))  # a 4-cycle, 8 edges
        >>> kept, mask = dropout_edge(edge_index, p=0.5, generator=make_generator(0))
        >>> mask.shape, mask.dtype, kept.size(1) == int(mask.sum())
        (torch.Size([8]), torch.bool, True)
        >>> kept, _ = dropout_edge(edge_index, p=0.5, force_undirected=True, generator=make_generator(0))
        >>> is_undirected(kept)
        True
        >>> dropout_edge(edge_index, p=0.5, training=False)[0].shape  # evaluation: every edge kept
        torch.Size([2, 8])
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

    Args:
        subset: the nodes to keep: a list or tensor of node ids, or a ``(N,)`` boolean mask.
        edge_index: ``(2, E)`` integer edges ``source -> target``.
        edge_attr: ``(E, *)`` edge attributes or weights, or ``None``.
        relabel_nodes: renumber the kept nodes ``0..len(subset)-1`` (in the order of ``subset``).
        num_nodes: the number of nodes :math:`N` (default ``edge_index.max() + 1``; ignored for a mask).
        return_edge_mask: also return the ``(E,)`` boolean mask of the kept edges.

    Returns:
        ``(edge_index, edge_attr)``, or ``(edge_index, edge_attr, edge_mask)`` with ``return_edge_mask``.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')``; ``edge_mask: (E,)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import subgraph
        >>> edge_index = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])  # the path 0 - 1 - 2 - 3
        >>> subgraph([1, 2, 3], edge_index)
        (tensor([[1, 2, 2, 3],
                 [2, 1, 3, 2]]), None)
        >>> sub, _, mask = subgraph([1, 2, 3], edge_index, relabel_nodes=True, return_edge_mask=True)
        >>> sub
        tensor([[0, 1, 1, 2],
                [1, 0, 2, 1]])
        >>> mask
        tensor([False, False,  True,  True,  True,  True])
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
