r"""Global readouts :math:`h_G = \bigoplus_{v \in G} h_v` (sum, mean or max over each graph's nodes), with PyG's
signatures: ``batch`` maps each node to its graph (PyG's ``Batch.batch``), ``None`` for one graph; ``size`` is the
number of graphs (default ``batch.max() + 1``; a graph without nodes gets zeros)."""
from __future__ import annotations

from torch import Tensor

from gnnlab.utils.graph import scatter
from gnnlab.utils.validation import check_positive_int, describe, fail


def _pool(who: str, x: Tensor, batch: Tensor | None, size: int | None, reduce: str) -> Tensor:
    if not isinstance(x, Tensor) or x.dim() == 0:
        fail(who, "'x' to be a tensor of node features (N, F) or (N,)", describe(x))
    dim = -1 if x.dim() == 1 else -2
    if batch is None:
        reduced = {"sum": x.sum, "mean": x.mean}.get(reduce)
        if reduced is not None:
            return reduced(dim=dim, keepdim=x.dim() <= 2)
        return x.max(dim=dim, keepdim=x.dim() <= 2)[0]
    if not isinstance(batch, Tensor) or batch.dim() != 1 or batch.numel() != x.size(dim) \
            or batch.is_floating_point():
        fail(who, f"'batch' to be an integer tensor of shape ({x.size(dim)},), one graph index per node",
             describe(batch))
    if size is None:
        size = int(batch.max()) + 1 if batch.numel() else 0
    else:
        size = check_positive_int(who, "size", size, minimum=0)
    return scatter(x, batch, dim=dim, dim_size=size, reduce=reduce)


def global_add_pool(x: Tensor, batch: Tensor | None = None, size: int | None = None) -> Tensor:
    r""":math:`h_G = \sum_{v \in G} h_v` for every graph of the batch (GIN's readout: Xu et al. 2019).

    Args:
        x: node features ``(N, F)``.
        batch: ``(N,)`` graph index of each node, or ``None`` (one graph).
        size: the number of graphs (default ``batch.max() + 1``).

    Returns:
        ``(B, F)`` (``(1, F)`` without ``batch``).

    Example::

        >>> import torch
        >>> from gnnlab.nn import global_add_pool
        >>> x = torch.tensor([[1.0], [2.0], [4.0]])
        >>> global_add_pool(x, torch.tensor([0, 0, 1]))
        tensor([[3.],
                [4.]])
    """
    return _pool("global_add_pool", x, batch, size, "sum")


def global_mean_pool(x: Tensor, batch: Tensor | None = None, size: int | None = None) -> Tensor:
    r""":math:`h_G = \frac{1}{|G|} \sum_{v \in G} h_v` for every graph of the batch.

    Args:
        x: node features ``(N, F)``.
        batch: ``(N,)`` graph index of each node, or ``None`` (one graph).
        size: the number of graphs (default ``batch.max() + 1``).

    Returns:
        ``(B, F)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import global_mean_pool
        >>> global_mean_pool(torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([0, 0, 1]))
        tensor([[1.5000],
                [4.0000]])
    """
    return _pool("global_mean_pool", x, batch, size, "mean")


def global_max_pool(x: Tensor, batch: Tensor | None = None, size: int | None = None) -> Tensor:
    r""":math:`h_G = \max_{v \in G} h_v` (per feature) for every graph of the batch.

    Args:
        x: node features ``(N, F)``.
        batch: ``(N,)`` graph index of each node, or ``None`` (one graph).
        size: the number of graphs (default ``batch.max() + 1``).

    Returns:
        ``(B, F)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import global_max_pool
        >>> global_max_pool(torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([0, 0, 1]))
        tensor([[2.],
                [4.]])
    """
    return _pool("global_max_pool", x, batch, size, "max")


__all__ = ["global_add_pool", "global_mean_pool", "global_max_pool"]
