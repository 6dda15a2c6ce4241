r"""Inverted dropout (the notes, section 3.3).

During training each element is kept with probability :math:`1 - p` and scaled by :math:`1 / (1 - p)`,
so its expectation is unchanged and evaluation needs no rescaling:

.. math:: \tilde{x} = \frac{m \odot x}{1 - p}, \qquad m_k \sim \text{Bernoulli}(1 - p).

**Erratum to the notes:** the notes' :math:`p` is the probability that a neuron is *kept*; gnnlab follows
PyTorch, where ``p`` is the probability that it is *dropped*. ``dropout(x, p)`` here equals
``torch.nn.functional.dropout(x, p)`` in distribution. The mask comes from ``torch.rand`` (PyTorch's
global generator, or ``generator``), which on CPU is about twice as fast as ``torch.nn.functional.dropout``.

**Byte masks** (``byte_mask=True``): the mask is drawn from random bytes, eight to one 64-bit draw of the
generator, instead of one float32 uniform per element: element :math:`k` is kept when its byte
:math:`b_k \in \{0, \dots, 255\}` is at least :math:`256 p`, so :math:`P(\text{drop}) = p` *exactly* when
:math:`256 p` is an integer (:math:`p = k / 256`: 0.5, 0.25, 0.75, 0.125, 0.375...). For any other ``p``
(0.1, 0.3, 0.6...) the float32 draws are used, as without it. Drawing the uniforms is most of what dropout
costs on large inputs (a mini-batch's sampled features: measured 38% of a GraphSAGE step), and the bytes
take about a seventh of the time. It is another stream of draws than ``byte_mask=False``, seeded the same way.

On a :class:`~gnnlab.nn.functional.sparse.SparseMatrix` only the stored (non-zero) entries are drawn:
dropping a zero changes nothing, so this is the same distribution as dense dropout, at a fraction of the cost.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.validation import check_number


def dropout(x: Tensor | SparseMatrix, p: float = 0.5, training: bool = True,
            generator: torch.Generator | None = None, *, byte_mask: bool = False) -> Tensor | SparseMatrix:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (identity if not training).

    Args:
        x: input tensor, any shape, or a :class:`~gnnlab.nn.functional.SparseMatrix` (only its stored entries
            are drawn).
        p: probability of dropping an element, in ``[0, 1)``.
        training: apply dropout; ``False`` returns ``x`` itself.
        generator: the ``torch.Generator`` the mask is drawn from (default: PyTorch's global one).
        byte_mask: draw the mask from one random byte per element where ``256 * p`` is an integer (exactly the
            same distribution, far fewer random numbers; see the module's docstring).

    Shapes:
        ``(*)`` → ``(*)`` (a :class:`~gnnlab.nn.functional.SparseMatrix` keeps its structure).

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import dropout
        >>> x = torch.ones(4, 5)
        >>> out = dropout(x, p=0.5, generator=torch.Generator().manual_seed(0))
        >>> out.shape
        torch.Size([4, 5])
        >>> bool(((out == 0) | (out == 2)).all())  # dropped, or kept and scaled by 1 / (1 - p)
        True
        >>> dropout(x, p=0.5, training=False) is x
        True
        >>> out = dropout(x, p=0.25, generator=torch.Generator().manual_seed(0), byte_mask=True)
        >>> bool(((out == 0) | (out == 1 / 0.75)).all())
        True
    """
    check_number("dropout", "p", p, low=0.0, high=1.0, high_open=True)
    if not training or p == 0.0:
        return x
    if isinstance(x, SparseMatrix):
        return x.with_values(dropout(x.values, p, training, generator, byte_mask=byte_mask))
    scale = 1.0 / (1.0 - p)
    threshold = 256 * p
    if byte_mask and threshold == int(threshold) and x.is_floating_point():
        mask = _keep(_random_bytes(x.shape, x.device, generator), int(threshold), x.dtype)
        return x * mask.mul_(scale)
    # 1 where kept, 0 where dropped, in place in the draws' own buffer: the same values as
    # (rand >= p).to(x.dtype), two passes over memory fewer (on mini-batches dropout is a large part of a step)
    mask = torch.rand(x.shape, device=x.device, generator=generator).ge_(p)
    return x * (mask.mul_(scale) if mask.dtype == x.dtype else mask.to(x.dtype) * scale)


def _random_bytes(shape: torch.Size | tuple[int, ...], device: torch.device | str | None = None,
                 generator: torch.Generator | None = None) -> Tensor:
    """Independent uniform bytes (``uint8`` in ``[0, 255]``) of the given shape: the bytes of full-range
    64-bit draws, eight per draw of ``generator``.

    Args:
        shape: the output's shape.
        device: where to draw them.
        generator: the ``torch.Generator`` to draw from (default: PyTorch's global one).
    """
    count = math.prod(shape)
    words = torch.empty((count + 7) // 8, dtype=torch.int64, device=device)
    # from the smallest int64 to no bound is PyTorch's full 64-bit range: every bit uniform (a default
    # random_() on int64 stops below 2**63, leaving the top byte biased)
    words.random_(torch.iinfo(torch.int64).min, None, generator=generator)
    return words.view(torch.uint8)[:count].view(shape)


def _keep(draws: Tensor, threshold: int, dtype: torch.dtype) -> Tensor:
    """1 where the byte ``draws`` is at least ``threshold``, else 0, in ``dtype``: of the 256 byte values exactly
    ``256 - threshold`` are kept, so uniform bytes drop each element with probability ``threshold / 256``.
    (Compared straight into a tensor of ``dtype``: the cheapest of the ways measured.)"""
    mask = torch.empty(draws.shape, dtype=dtype, device=draws.device)
    return torch.ge(draws, threshold, out=mask)
