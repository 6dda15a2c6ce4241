"""A ``torch.nn.Linear`` that also takes sparse features (a :class:`SparseMatrix`)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.nn.functional.sparse import SparseMatrix, sparse_linear


class Linear(nn.Linear):
    """``torch.nn.Linear`` whose input may be a dense tensor or sparse features; same parameter names."""

    def forward(self, x: Tensor | SparseMatrix) -> Tensor:
        return linear(x, self.weight, self.bias)


def linear(x: Tensor | SparseMatrix, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` for dense or sparse ``x``."""
    if isinstance(x, SparseMatrix):
        return sparse_linear(x, weight, bias)
    return F.linear(x, weight, bias)


def glorot_(weight: Tensor) -> Tensor:
    r"""Glorot (Xavier) uniform initialisation, :math:`U(-a, a)` with :math:`a = \sqrt{6 / (F_{in} + F_{out})}`,
    computed over the last two dimensions (as PyG's ``glorot``)."""
    bound = math.sqrt(6.0 / (weight.size(-2) + weight.size(-1)))
    with torch.no_grad():
        return weight.uniform_(-bound, bound)
