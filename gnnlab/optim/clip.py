r"""Gradient clipping (the notes, section 3.2: "cliffs" in the loss surface).

A step across a cliff can throw the parameters far away; clipping bounds the step while keeping (by norm)
or roughly keeping (by value) its direction.
"""
from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

from gnnlab.utils.validation import check_number


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@torch.no_grad()
def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0) -> Tensor:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``:

    .. math:: g \leftarrow g \cdot \min\Big(1, \frac{\text{max\_norm}}{\lVert g \rVert_p + 10^{-6}}\Big),
              \qquad \lVert g \rVert_p = \Big\lVert (\lVert g_1 \rVert_p, \dots, \lVert g_n \rVert_p) \Big\rVert_p.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped (those without one are
            skipped).
        max_norm: the largest joint norm allowed, :math:`> 0`.
        norm_type: :math:`p` of the norm, :math:`> 0` (``float("inf")``: the largest absolute entry).

    Returns the norm before clipping (as ``torch.nn.utils.clip_grad_norm_``).

    Example::

        >>> import torch
        >>> from gnnlab.optim import clip_grad_norm_
        >>> w = torch.zeros(2, requires_grad=True)
        >>> w.grad = torch.tensor([3.0, 4.0])
        >>> clip_grad_norm_(w, max_norm=1.0)  # the norm before clipping
        tensor(5.)
        >>> torch.allclose(w.grad, torch.tensor([0.6, 0.8]))  # the same direction, norm 1
        True
    """
    check_number("clip_grad_norm_", "max_norm", max_norm, low=0.0, low_open=True, finite=False)
    check_number("clip_grad_norm_", "norm_type", norm_type, low=0.0, low_open=True, finite=False)
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    device = grads[0].device  # parameters may sit on several devices: the joint norm is taken on the first's
    norms = torch.stack([torch.linalg.vector_norm(g, norm_type).to(device) for g in grads])
    total = torch.linalg.vector_norm(norms, norm_type)
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale.to(g.device))
    return total


@torch.no_grad()
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped (those without one are
            skipped).
        clip_value: the bound on every entry's absolute value, :math:`> 0`.

    Example::

        >>> import torch
        >>> from gnnlab.optim import clip_grad_value_
        >>> w = torch.zeros(3, requires_grad=True)
        >>> w.grad = torch.tensor([-3.0, 0.5, 2.0])
        >>> clip_grad_value_([w], clip_value=1.0)
        >>> w.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    check_number("clip_grad_value_", "clip_value", clip_value, low=0.0, low_open=True)
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)
