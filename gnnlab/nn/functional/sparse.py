r"""Sparse matrix products with a cached transpose, for message passing and sparse node features.

A layer whose messages are a weighted sum of neighbour features,
:math:`h_i = \sum_{j \to i} w_{ji} x_j`, is the product :math:`H = A X` with the sparse matrix
:math:`A_{ij} = w_{ji}`. :class:`SparseMatrix` holds :math:`A` in CSR form together with the permutation
that gives :math:`A^\top` in CSR form, so that the backward pass :math:`\partial L / \partial X = A^\top G`
is one more CSR product instead of a conversion. Values may change (dropout on sparse features) without
rebuilding the structure.
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor


def _csr(crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


class SparseMatrix:
    """A constant-structure sparse matrix ``(rows, cols)`` with values, stored as CSR plus its transpose.

    Build it with :meth:`from_coo` (duplicate entries are summed) or :meth:`from_dense`.
    """

    def __init__(self, crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int],
                 crow_t: Tensor, col_t: Tensor, perm_t: Tensor) -> None:
        self.crow, self.col, self.values, self.shape = crow, col, values, shape
        self.crow_t, self.col_t, self.perm_t = crow_t, col_t, perm_t

    @classmethod
    def from_coo(cls, row: Tensor, col: Tensor, values: Tensor | None, shape: tuple[int, int]) -> SparseMatrix:
        """Entries ``values[e]`` at ``(row[e], col[e])``; duplicate positions are summed."""
        rows, cols = shape
        if values is None:
            values = torch.ones(row.numel(), device=row.device)
        key = row * cols + col
        unique, inverse = torch.unique(key, sorted=True, return_inverse=True)
        summed = values.new_zeros(unique.numel()).index_add_(0, inverse, values)
        return cls._from_sorted(unique // cols, unique % cols, summed, shape)

    @classmethod
    def from_dense(cls, dense: Tensor) -> SparseMatrix:
        row, col = dense.nonzero(as_tuple=True)
        return cls._from_sorted(row, col, dense[row, col], tuple(dense.shape))

    @classmethod
    def _from_sorted(cls, row: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int]) -> SparseMatrix:
        rows, cols = shape
        crow = torch.zeros(rows + 1, dtype=torch.long, device=row.device)
        crow[1:] = torch.cumsum(torch.bincount(row, minlength=rows), 0)
        # the transpose: the same entries sorted by (col, row)
        perm_t = torch.argsort(col * rows + row)
        crow_t = torch.zeros(cols + 1, dtype=torch.long, device=row.device)
        crow_t[1:] = torch.cumsum(torch.bincount(col, minlength=cols), 0)
        return cls(crow, col.contiguous(), values, shape, crow_t, row[perm_t].contiguous(), perm_t)

    def with_values(self, values: Tensor) -> SparseMatrix:
        """The same structure with other values (e.g. after dropout)."""
        return SparseMatrix(self.crow, self.col, values, self.shape, self.crow_t, self.col_t, self.perm_t)

    @property
    def nnz(self) -> int:
        return self.col.numel()

    def csr(self) -> Tensor:
        return _csr(self.crow, self.col, self.values, self.shape)

    def csr_t(self) -> Tensor:
        return _csr(self.crow_t, self.col_t, self.values[self.perm_t], (self.shape[1], self.shape[0]))

    def to_dense(self) -> Tensor:
        return self.csr().to_dense()

    def matmul(self, dense: Tensor) -> Tensor:
        """``self @ dense``, differentiable with respect to ``dense`` (not the sparse values)."""
        return _SparseDenseMatmul.apply(self, dense)

    def __repr__(self) -> str:
        return f"SparseMatrix(shape={self.shape}, nnz={self.nnz})"


class _SparseDenseMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, matrix: SparseMatrix, dense: Tensor) -> Tensor:
        ctx.matrix = matrix
        values = matrix.values.to(dense.dtype)
        out = _csr(matrix.crow, matrix.col, values, matrix.shape) @ dense
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        matrix = ctx.matrix
        if not ctx.needs_input_grad[1]:
            return None, None
        values_t = matrix.values[matrix.perm_t].to(grad.dtype)
        transposed = _csr(matrix.crow_t, matrix.col_t, values_t, (matrix.shape[1], matrix.shape[0]))
        return None, transposed @ grad.contiguous()


def sparse_linear(x: SparseMatrix, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""``x @ weight.T + bias`` for sparse features ``x`` (``(N, F_in)``), weight ``(F_out, F_in)``.

    This is :meth:`SparseMatrix.matmul` with ``weight.T``: the gradient with respect to the weight,
    :math:`G^\top X`, comes out of the cached transpose as :math:`(X^\top G)^\top`.
    """
    out = x.matmul(weight.t())
    return out if bias is None else out + bias
