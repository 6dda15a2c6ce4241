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

from gnnlab.utils.graph import scatter


def _expand_pointers(pointers: Tensor) -> Tensor:
    """The compressed index each stored entry belongs to (its row, for CSR row pointers), in storage order."""
    counts = pointers[1:] - pointers[:-1]
    return torch.repeat_interleave(torch.arange(counts.numel(), device=pointers.device), counts,
                                   output_size=int(pointers[-1]))


def _csr(crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


class SparseMatrix:
    r"""A constant-structure sparse matrix ``(rows, cols)`` with values, stored as CSR plus its transpose.

    Build it with :meth:`from_coo` (duplicate entries are summed), :meth:`from_dense` or, from entries already
    grouped by row, :meth:`from_sorted_rows` (no sort); the constructor takes the already computed arrays. The
    transpose is computed the first time it is needed (the backward pass of a product), once for the matrix
    and every :meth:`with_values` copy of it.

    Args:
        crow: ``(rows + 1,)`` CSR row pointers (int64).
        col: ``(nnz,)`` column of each stored entry, rows in order.
        values: ``(nnz,)`` the stored values.
        shape: ``(rows, cols)``.
        crow_t: ``(cols + 1,)`` row pointers of the transpose :math:`A^\top` in CSR form (``None``, with
            ``col_t`` and ``perm_t``: computed when first needed).
        col_t: ``(nnz,)`` column indices of the transpose (the rows of :math:`A`).
        perm_t: ``(nnz,)`` the permutation of the entries into the transpose's order
            (``values[perm_t]`` are its values).
        row_count: ``(rows,)`` entries per row counting duplicates before they were summed, the divisor of
            :meth:`mean_normalized` (default: the stored entries per row).

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import SparseMatrix
        >>> A = SparseMatrix.from_coo(torch.tensor([0, 0, 1]), torch.tensor([1, 1, 2]), None, (2, 3))
        >>> A  # the duplicate entry (0, 1) is summed
        SparseMatrix(shape=(2, 3), nnz=2)
        >>> A.to_dense()
        tensor([[0., 2., 0.],
                [0., 0., 1.]])
        >>> x = torch.arange(6.0).view(3, 2).requires_grad_()
        >>> out = A @ x
        >>> out.detach()
        tensor([[4., 6.],
                [4., 5.]])
        >>> out.sum().backward()  # A^T G through the cached transpose
        >>> x.grad
        tensor([[0., 0.],
                [2., 2.],
                [1., 1.]])
    """

    def __init__(self, crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int],
                 crow_t: Tensor | None = None, col_t: Tensor | None = None, perm_t: Tensor | None = None,
                 row_count: Tensor | None = None) -> None:
        self.crow, self.col, self.values, self.shape = crow, col, values, shape
        given = {"crow_t": crow_t, "col_t": col_t, "perm_t": perm_t}
        passed = [name for name, part in given.items() if part is not None]
        if 0 < len(passed) < 3:
            raise ValueError(f"'SparseMatrix' expected 'crow_t', 'col_t' and 'perm_t' together, or none of them "
                             f"(got only {', '.join(passed)})")
        self._transpose = _Transpose(self, (crow_t, col_t, perm_t) if passed else None)
        # entries per row *before* duplicates were summed: the divisor of a mean over edges
        self.row_count = crow[1:] - crow[:-1] if row_count is None else row_count
        self._means: dict[torch.dtype, SparseMatrix] = {}

    @property
    def crow_t(self) -> Tensor:
        return self._transpose.parts()[0]

    @property
    def col_t(self) -> Tensor:
        return self._transpose.parts()[1]

    @property
    def perm_t(self) -> Tensor:
        return self._transpose.parts()[2]

    @classmethod
    def from_coo(cls, row: Tensor, col: Tensor, values: Tensor | None, shape: tuple[int, int]) -> SparseMatrix:
        """Entries ``values[e]`` at ``(row[e], col[e])``; duplicate positions are summed."""
        rows, cols = shape
        if values is None:
            values = torch.ones(row.numel(), device=row.device)
        key = row * cols + col
        unique, inverse = torch.unique(key, sorted=True, return_inverse=True)
        summed = values.new_zeros(unique.numel()).index_add_(0, inverse, values)
        matrix = cls.from_sorted_rows(unique // cols, unique % cols, summed, shape)
        matrix.row_count = torch.bincount(row, minlength=rows)
        return matrix

    @classmethod
    def from_dense(cls, dense: Tensor) -> SparseMatrix:
        row, col = dense.nonzero(as_tuple=True)
        return cls.from_sorted_rows(row, col, dense[row, col], tuple(dense.shape))

    @classmethod
    def from_sorted_rows(cls, row: Tensor, col: Tensor, values: Tensor | None,
                         shape: tuple[int, int]) -> SparseMatrix:
        """Entries ``values[e]`` at ``(row[e], col[e])`` with ``row`` non-decreasing (the caller's promise: not
        checked), kept in their order and without a sort. A position given twice stays two entries, which a
        product sums: the products (and a mean's divisor) are those of :meth:`from_coo`, whose matrix holds
        their sum; only ``nnz`` and the entries seen one by one (``coo()``, a max over a row) differ."""
        rows = shape[0]
        if values is None:
            values = torch.ones(row.numel(), device=row.device)
        crow = torch.zeros(rows + 1, dtype=torch.long, device=row.device)
        crow[1:] = torch.cumsum(torch.bincount(row, minlength=rows), 0)
        return cls(crow, col.contiguous(), values, shape)

    def with_values(self, values: Tensor) -> SparseMatrix:
        """The same structure with other values (e.g. after dropout); it shares the transpose's structure."""
        matrix = SparseMatrix(self.crow, self.col, values, self.shape, row_count=self.row_count)
        matrix._transpose = self._transpose
        return matrix

    def mean_normalized(self, dtype: torch.dtype | None = None) -> SparseMatrix:
        """Each row divided by its number of entries (counting summed duplicates): :math:`A` of a mean, its
        weights computed in ``dtype`` (default: the values' own; :func:`spmm` asks for its features' dtype, so
        that a float64 product does not use the float32 weights of a matrix of ones). Computed once per
        dtype and kept."""
        dtype = self.values.dtype if dtype is None else dtype
        if dtype not in self._means:
            count = self.row_count.clamp(min=1).to(dtype)
            row = _expand_pointers(self.crow)
            self._means[dtype] = self.with_values(self.values.to(dtype) / count.index_select(0, row))
        return self._means[dtype]

    def coo(self) -> tuple[Tensor, Tensor]:
        """``(row, col)`` of the stored entries."""
        return _expand_pointers(self.crow), self.col

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

    def __matmul__(self, dense: Tensor) -> Tensor:
        return self.matmul(dense)

    def __repr__(self) -> str:
        return f"SparseMatrix(shape={self.shape}, nnz={self.nnz})"


class _Transpose:
    """The CSR structure of a matrix's transpose, ``(crow_t, col_t, perm_t)``, computed on first use: the entries
    in a stable order by column (so by row within a column, for entries grouped by row), which for a
    :meth:`SparseMatrix.from_coo` matrix is the order of ``(col, row)``."""

    def __init__(self, matrix: SparseMatrix, parts: tuple[Tensor, Tensor, Tensor] | None) -> None:
        self.crow, self.col, self.shape = matrix.crow, matrix.col, matrix.shape
        self._parts = parts

    def parts(self) -> tuple[Tensor, Tensor, Tensor]:
        if self._parts is None:
            cols = self.shape[1]
            row = _expand_pointers(self.crow)
            perm_t = torch.argsort(self.col, stable=True)
            crow_t = torch.zeros(cols + 1, dtype=torch.long, device=self.crow.device)
            crow_t[1:] = torch.cumsum(torch.bincount(self.col, minlength=cols), 0)
            self._parts = (crow_t, row.index_select(0, perm_t), perm_t)
        return self._parts


class _SparseDenseMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, matrix: SparseMatrix, dense: Tensor) -> Tensor:
        ctx.matrix = matrix
        return _product(matrix.crow, matrix.col, matrix.values.to(dense.dtype), matrix.shape, dense)

    @staticmethod
    def backward(ctx, grad: Tensor):
        matrix = ctx.matrix
        if not ctx.needs_input_grad[1]:
            return None, None
        values_t = matrix.values[matrix.perm_t].to(grad.dtype)
        return None, _product(matrix.crow_t, matrix.col_t, values_t, (matrix.shape[1], matrix.shape[0]),
                              grad.contiguous())


def _deterministic_gather(dense: Tensor) -> bool:
    """Whether a product must avoid cuSPARSE: on CUDA with ``torch.use_deterministic_algorithms(True)``."""
    return dense.is_cuda and torch.are_deterministic_algorithms_enabled()


def _product(crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int], dense: Tensor) -> Tensor:
    """The CSR product ``A @ dense``. cuSPARSE sums a row's terms in no fixed order, so under deterministic
    algorithms on CUDA the rows are summed by ``index_add_`` instead (a deterministic kernel in that mode):
    the same sums, repeatable bit for bit, at the cost of an ``(nnz, F)`` temporary."""
    if not _deterministic_gather(dense):
        return _csr(crow, col, values, shape) @ dense
    columns = dense.view(-1, 1) if dense.dim() == 1 else dense
    row = _expand_pointers(crow)
    terms = columns.index_select(0, col).mul_(values.view(-1, 1))
    out = columns.new_zeros(shape[0], columns.size(1)).index_add_(0, row, terms)
    return out.view(-1) if dense.dim() == 1 else out


def sparse_linear(x: SparseMatrix, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""``x @ weight.T + bias`` for sparse features ``x`` (``(N, F_in)``), weight ``(F_out, F_in)``.

    This is :meth:`SparseMatrix.matmul` with ``weight.T``: the gradient with respect to the weight,
    :math:`G^\top X`, comes out of the cached transpose as :math:`(X^\top G)^\top`.

    Args:
        x: sparse features, a :class:`SparseMatrix` ``(N, F_in)``.
        weight: ``(F_out, F_in)``.
        bias: ``(F_out,)`` or ``None``.

    Shapes:
        ``x: (N, F_in)`` → ``(N, F_out)``.

    Example::

        >>> import torch
        >>> import torch.nn.functional as F
        >>> from gnnlab.nn.functional import SparseMatrix, sparse_linear
        >>> _ = torch.manual_seed(0)
        >>> dense = (torch.rand(5, 8) < 0.3).float()  # bag-of-words style 0/1 features
        >>> weight, bias = torch.randn(4, 8), torch.randn(4)
        >>> out = sparse_linear(SparseMatrix.from_dense(dense), weight, bias)
        >>> out.shape
        torch.Size([5, 4])
        >>> torch.allclose(out, F.linear(dense, weight, bias), atol=1e-6)
        True
    """
    out = x.matmul(weight.t())
    return out if bias is None else out + bias


def is_torch_sparse(value: object) -> bool:
    """Whether ``value`` is a torch.sparse tensor (COO, CSR or CSC layout).

    Args:
        value: any object (a :class:`SparseMatrix` is not a torch.sparse tensor).

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import SparseMatrix, is_torch_sparse
        >>> is_torch_sparse(torch.eye(3).to_sparse()), is_torch_sparse(torch.eye(3).to_sparse_csr())
        (True, True)
        >>> is_torch_sparse(torch.eye(3)), is_torch_sparse(SparseMatrix.from_dense(torch.eye(3)))
        (False, False)
    """
    return isinstance(value, Tensor) and value.layout in (torch.sparse_coo, torch.sparse_csr, torch.sparse_csc)


def sparse_entries(adj: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(row, col, values)`` of a torch.sparse matrix in any of its layouts."""
    if adj.layout == torch.sparse_coo:  # entries as stored: an uncoalesced tensor keeps one entry per edge
        row, col = adj._indices()
        return row, col, adj._values()
    elif adj.layout == torch.sparse_csr:
        crow = adj.crow_indices()
        row = _expand_pointers(crow)
        col = adj.col_indices()
    else:
        ccol = adj.ccol_indices()
        col = _expand_pointers(ccol)
        row = adj.row_indices()
    return row, col, adj.values()


def spmm(adj: SparseMatrix | Tensor, x: Tensor, reduce: str = "sum") -> Tensor:
    r"""The product of a sparse adjacency with node features, reduced like message passing:
    :math:`\text{out}_i = \bigoplus_{j} a_{ij} x_j` over the stored entries :math:`a_{ij}` of row :math:`i`.

    ``adj`` is a :class:`SparseMatrix` or a torch.sparse tensor (COO/CSR/CSC) of shape ``(N_dst, N_src)``;
    ``reduce`` is ``"sum"``/``"add"``, ``"mean"`` (divided by the entries of the row), ``"max"`` or ``"min"``
    (over :math:`a_{ij} x_j`; rows without entries give zeros), as PyG's ``spmm``.

    Args:
        adj: the adjacency ``(N_dst, N_src)``, a :class:`SparseMatrix` or a torch.sparse tensor.
        x: node features ``(N_src, F)``, or a batch ``(B, N_src, F)`` over the same graph.
        reduce: ``"sum"`` (``"add"``), ``"mean"``, ``"max"`` or ``"min"``.

    Shapes:
        ``adj: (N_dst, N_src)``, ``x: (N_src, F)`` or ``(B, N_src, F)`` → ``(N_dst, F)`` or ``(B, N_dst, F)``.

    Example::

        >>> import torch
        >>> from gnnlab.utils import spmm
        >>> adj = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]).to_sparse()  # node 0 <- 1, 2; node 1 <- 0
        >>> x = torch.arange(6.0).view(3, 2)
        >>> spmm(adj, x)
        tensor([[6., 8.],
                [0., 1.]])
        >>> spmm(adj, x, reduce="mean")
        tensor([[3., 4.],
                [0., 1.]])
        >>> spmm(adj, x.expand(4, 3, 2)).shape  # a batch of features over one graph
        torch.Size([4, 2, 2])
    """
    reduce = "sum" if reduce == "add" else reduce
    if reduce not in ("sum", "mean", "max", "min"):
        raise ValueError(f"'spmm' expected 'reduce' to be one of ['sum', 'mean', 'max', 'min'] (got {reduce!r})")
    if x.dim() > 2:  # batched features (B, N, F): nodes at dim -2
        batch_shape, (num_src, width) = x.shape[:-2], x.shape[-2:]
        flat = x.reshape(-1, num_src, width).permute(1, 0, 2).reshape(num_src, -1)
        out = spmm(adj, flat, reduce)
        return out.view(out.size(0), -1, width).permute(1, 0, 2).reshape(*batch_shape, out.size(0), width)
    if isinstance(adj, SparseMatrix):
        if reduce == "sum":
            return adj.matmul(x)
        if reduce == "mean":
            return adj.mean_normalized(x.dtype if x.is_floating_point() else None).matmul(x)
        row, col = adj.coo()
        messages = adj.values.to(x.dtype).view(-1, 1) * x.index_select(0, col)
        return scatter(messages, row, 0, adj.shape[0], reduce)
    if not is_torch_sparse(adj):
        raise TypeError(f"'spmm' expected 'adj' to be a SparseMatrix or a torch.sparse tensor "
                        f"(got {type(adj).__name__})")
    if adj.layout == torch.sparse_coo and not adj.is_coalesced() and reduce != "sum":
        # one entry per stored edge, as over the edges of an edge_index: a mean counts duplicates, a max
        # compares them instead of their sum
        row, col, values = adj._indices()[0], adj._indices()[1], adj._values()
        messages = values.to(x.dtype).view(-1, 1) * x.index_select(0, col)
        return scatter(messages, row, 0, adj.shape[0], reduce)
    if adj.layout != torch.sparse_csr and reduce != "sum":
        adj = adj.to_sparse_csr()
    if reduce == "sum" and _deterministic_gather(x):  # cuSPARSE's order of summation is not fixed
        # coalesced COO: indices and values that autograd tracks (learnable edge weights keep their gradient)
        entries = (adj if adj.layout == torch.sparse_coo else adj.to_sparse_coo()).coalesce()
        row, col = entries.indices()
        return scatter(entries.values().to(x.dtype).view(-1, 1) * x.index_select(0, col), row, 0, adj.shape[0],
                       "sum")
    adj = adj.to(x.dtype) if adj.dtype != x.dtype else adj
    return torch.sparse.mm(adj, x) if reduce == "sum" else torch.sparse.mm(adj, x, reduce)
