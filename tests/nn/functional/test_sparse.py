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
        leaf, w, edge_values = x.clone().requires_grad_(), weight.clone().requires_grad_(), values.clone().requires_grad_()
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
