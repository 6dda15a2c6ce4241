from __future__ import annotations

import pytest
import torch

from gnnlab.nn.functional import SparseMatrix, sparse_linear


def test_from_coo_sums_duplicates_and_matmul_gradients():
    generator = torch.Generator().manual_seed(0)
    row = torch.randint(0, 7, (30,), generator=generator)
    col = torch.randint(0, 5, (30,), generator=generator)
    values = torch.rand(30, generator=generator, dtype=torch.float64)
    matrix = SparseMatrix.from_coo(row, col, values, (7, 5))
    dense = torch.zeros(7, 5, dtype=torch.float64).index_put_((row, col), values, accumulate=True)
    torch.testing.assert_close(matrix.to_dense(), dense)
    torch.testing.assert_close(matrix.csr_t().to_dense(), dense.t())
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(matrix.matmul, (x,))
    torch.testing.assert_close(matrix.matmul(x), dense @ x)


def test_sparse_linear_equals_dense_linear_with_gradients():
    generator = torch.Generator().manual_seed(1)
    dense = torch.rand(9, 6, generator=generator, dtype=torch.float64)
    dense[dense < 0.7] = 0
    x = SparseMatrix.from_dense(dense)
    weight = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(4, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda w, b: sparse_linear(x, w, b), (weight, bias))
    torch.testing.assert_close(sparse_linear(x, weight, bias), torch.nn.functional.linear(dense, weight, bias))


def test_with_values_keeps_structure():
    dense = torch.tensor([[0.0, 2.0], [3.0, 0.0]])
    matrix = SparseMatrix.from_dense(dense)
    doubled = matrix.with_values(matrix.values * 2)
    torch.testing.assert_close(doubled.to_dense(), dense * 2)
    torch.testing.assert_close(doubled.csr_t().to_dense(), (dense * 2).t())


def test_deterministic_gather_path_equals_the_csr_product(monkeypatch):
    """Under deterministic algorithms on CUDA the products sum rows with ``index_add_`` instead of cuSPARSE;
    forced here on the CPU, that path gives the CSR product's values and gradients (sparse features through
    ``sparse_linear``, an adjacency through ``spmm`` as a SparseMatrix and as a torch.sparse tensor in COO and
    CSR layout with learnable values, a vector through ``SparseMatrix.matmul``)."""
    from gnnlab.nn.functional import sparse, spmm

    generator = torch.Generator().manual_seed(2)
    row = torch.randint(0, 8, (40,), generator=generator)
    col = torch.randint(0, 6, (40,), generator=generator)
    values = torch.rand(40, generator=generator, dtype=torch.float64)
    matrix = SparseMatrix.from_coo(row, col, values, (8, 6))
    x = torch.randn(6, 5, dtype=torch.float64, generator=generator)
    weight = torch.randn(3, 6, dtype=torch.float64, generator=generator)
    vector = torch.randn(6, dtype=torch.float64, generator=generator)

    def run():
        leaf, w = x.clone().requires_grad_(), weight.clone().requires_grad_()
        edge_values = values.clone().requires_grad_()
        coo = torch.sparse_coo_tensor(torch.stack([row, col]), edge_values, (8, 6), check_invariants=True)
        outputs = (spmm(matrix, leaf), spmm(coo, leaf), spmm(coo.to_sparse_csr(), leaf), sparse_linear(matrix, w),
                   matrix.matmul(vector))
        sum(out.square().sum() for out in outputs).backward()
        return [out.detach() for out in outputs] + [leaf.grad, w.grad, edge_values.grad]

    expected = run()
    monkeypatch.setattr(sparse, "_deterministic_gather", lambda dense: True)
    monkeypatch.setattr(sparse, "_csr", lambda *args: pytest.fail("cuSPARSE path taken (SparseMatrix)"))
    monkeypatch.setattr(torch.sparse, "mm", lambda *args: pytest.fail("cuSPARSE path taken (torch.sparse)"))
    got = run()
    assert got[-1] is not None  # the COO/CSR values' gradient survives
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b)


def _grouped_entries(seed: int):
    """Entries grouped by row (rows non-decreasing), columns in no order and repeated within rows, float64."""
    generator = torch.Generator().manual_seed(seed)
    row = torch.sort(torch.randint(0, 9, (60,), generator=generator)).values
    col = torch.randint(0, 6, (60,), generator=generator)
    values = torch.rand(60, generator=generator, dtype=torch.float64)
    return row, col, values


def test_from_sorted_rows_has_the_products_of_from_coo():
    row, col, values = _grouped_entries(3)
    grouped = SparseMatrix.from_sorted_rows(row, col, values, (9, 6))
    coalesced = SparseMatrix.from_coo(row, col, values, (9, 6))
    assert grouped.nnz == 60 and coalesced.nnz < 60  # repeated positions stay entries of their own
    assert torch.equal(grouped.row_count, coalesced.row_count)
    x = torch.randn(6, 4, dtype=torch.float64)
    for ours, reference in ((grouped, coalesced), (grouped.mean_normalized(), coalesced.mean_normalized())):
        torch.testing.assert_close(ours.matmul(x), reference.matmul(x), atol=1e-12, rtol=0)
        torch.testing.assert_close(ours.csr_t().to_dense(), reference.csr_t().to_dense(), atol=1e-12, rtol=0)
        torch.autograd.gradcheck(ours.matmul, (x.clone().requires_grad_(),))
    unit = SparseMatrix.from_sorted_rows(row, col, None, (9, 6))
    torch.testing.assert_close(unit.to_dense(), SparseMatrix.from_coo(row, col, None, (9, 6)).to_dense())


def test_transpose_is_built_only_when_a_backward_pass_needs_it():
    row, col, values = _grouped_entries(4)
    matrix = SparseMatrix.from_sorted_rows(row, col, values, (9, 6))
    mean = matrix.mean_normalized()
    mean.matmul(torch.randn(6, 3, dtype=torch.float64))  # no gradient wanted: no transpose
    assert matrix._transpose._parts is None
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    mean.matmul(x).sum().backward()
    assert matrix._transpose._parts is not None  # built once, shared by the copies with other values
    dense = torch.zeros(9, 6, dtype=torch.float64).index_put_((row, col), values, accumulate=True)
    count = torch.bincount(row, minlength=9).clamp(min=1).double()
    torch.testing.assert_close(x.grad, (dense / count.view(-1, 1)).t().sum(dim=1, keepdim=True).expand(6, 3))


def test_a_transpose_is_given_whole_or_not_at_all():
    matrix = SparseMatrix.from_dense(torch.eye(3))
    with pytest.raises(ValueError, match="'SparseMatrix' expected 'crow_t', 'col_t' and 'perm_t' together"):
        SparseMatrix(matrix.crow, matrix.col, matrix.values, matrix.shape, crow_t=matrix.crow_t)
    given = SparseMatrix(matrix.crow, matrix.col, matrix.values, matrix.shape, matrix.crow_t, matrix.col_t,
                         matrix.perm_t)
    assert given.perm_t is matrix.perm_t
