r"""Scatter/segment reductions in plain PyTorch (``index_add_`` and ``scatter_reduce``).

These are what message passing aggregates with: for messages :math:`m_e` on edges :math:`e = (j \to i)`,

.. math::
    \text{sum}_i = \sum_{e \to i} m_e, \qquad
    \text{mean}_i = \frac{1}{|\{e \to i\}|} \sum_{e \to i} m_e, \qquad
    \text{max}_i = \max_{e \to i} m_e,

and a node that receives no message gets zeros (the convention of PyG and torch-scatter).
"""
from __future__ import annotations

import torch
from torch import Tensor

REDUCTIONS = ("sum", "add", "mean", "max")


def scatter(src: Tensor, index: Tensor, dim_size: int, reduce: str = "sum") -> Tensor:
    """Reduce the rows of ``src`` (shape ``(E, *)``) into ``dim_size`` rows by ``index`` (shape ``(E,)``)."""
    shape = (dim_size,) + tuple(src.shape[1:])
    if reduce in ("sum", "add"):
        return src.new_zeros(shape).index_add_(0, index, src)
    if reduce == "mean":
        total = src.new_zeros(shape).index_add_(0, index, src)
        count = torch.bincount(index, minlength=dim_size).clamp_(min=1).to(src.dtype)
        return total / count.view((-1,) + (1,) * (src.dim() - 1))
    if reduce == "max":
        expanded = index.view((-1,) + (1,) * (src.dim() - 1)).expand_as(src)
        return src.new_zeros(shape).scatter_reduce(0, expanded, src, "amax", include_self=False)
    raise ValueError(f"'scatter' expected 'reduce' to be one of {list(REDUCTIONS)} (got {reduce!r})")


def segment_softmax(src: Tensor, index: Tensor, num_nodes: int) -> Tensor:
    r"""Softmax of ``src`` (shape ``(E, *)``) over the edges that share a target ``index``:

    .. math:: \alpha_e = \frac{\exp(s_e - m_i)}{\sum_{e' \to i} \exp(s_{e'} - m_i)}, \qquad
              m_i = \max_{e' \to i} s_{e'}

    The maximum is subtracted for numerical stability (and detached, as in PyG: it cancels exactly).
    """
    src_max = scatter(src.detach(), index, num_nodes, "max")
    out = (src - src_max.index_select(0, index)).exp()
    out_sum = scatter(out, index, num_nodes, "sum") + 1e-16
    return out / out_sum.index_select(0, index)
