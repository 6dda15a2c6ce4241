from __future__ import annotations

import pytest
import torch
from torch_geometric.utils import scatter as pyg_scatter
from torch_geometric.utils import softmax as pyg_softmax

from gnnlab.nn.functional import scatter, segment_softmax


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_scatter_matches_pyg_and_zeroes_empty_rows(reduce):
    generator = torch.Generator().manual_seed(0)
    src = torch.randn(50, 3, 2, generator=generator, dtype=torch.float64)
    index = torch.randint(0, 12, (50,), generator=generator)
    index[index == 5] = 6  # row 5 gets nothing
    out = scatter(src, index, 0, 14, reduce)
    torch.testing.assert_close(out, pyg_scatter(src, index, 0, 14, reduce))
    assert (out[5] == 0).all() and (out[13] == 0).all()


@pytest.mark.parametrize("reduce", ["sum", "add", "mean", "max", "min", "mul"])
def test_scatter_has_pygs_signature_and_defaults(reduce):
    # one scatter, PyG's (src, index, dim=0, dim_size=None, reduce="sum"), under both of gnnlab's names
    from gnnlab import utils
    from gnnlab.nn import functional

    assert scatter is utils.scatter and utils.spmm is functional.spmm  # where PyG's utils has them
    generator = torch.Generator().manual_seed(3)
    src = torch.randn(4, 30, 2, generator=generator, dtype=torch.float64)
    index = torch.randint(0, 7, (30,), generator=generator)
    for dim in (1, -2):
        torch.testing.assert_close(scatter(src, index, dim=dim, reduce=reduce),
                                   pyg_scatter(src, index, dim=dim, reduce=reduce))
        torch.testing.assert_close(scatter(src, index, dim, 9, reduce), pyg_scatter(src, index, dim, 9, reduce))
    flat = src[0]
    torch.testing.assert_close(scatter(flat, index), pyg_scatter(flat, index))  # sum over dim 0, max(index)+1 rows


def test_scatter_max_gradient_matches_autograd_reference():
    src = torch.randn(20, 4, dtype=torch.float64, requires_grad=True)
    index = torch.randint(0, 6, (20,), generator=torch.Generator().manual_seed(1))
    grad = torch.autograd.grad(scatter(src, index, 0, 6, "max").sum(), src)[0]
    expected = torch.autograd.grad(pyg_scatter(src, index, 0, 6, "max").sum(), src)[0]
    torch.testing.assert_close(grad, expected)


def test_unknown_reduction():
    with pytest.raises(ValueError, match="'reduce'"):
        scatter(torch.ones(2), torch.zeros(2, dtype=torch.long), 0, 1, "median")


def test_segment_softmax_matches_pyg():
    generator = torch.Generator().manual_seed(2)
    src = torch.randn(40, 3, generator=generator, dtype=torch.float64) * 30  # large values: needs the max shift
    index = torch.randint(0, 9, (40,), generator=generator)
    out = segment_softmax(src, index, 9)
    torch.testing.assert_close(out, pyg_softmax(src, index, num_nodes=9))
    sums = torch.zeros(9, 3, dtype=torch.float64).index_add_(0, index, out)
    present = torch.bincount(index, minlength=9) > 0
    torch.testing.assert_close(sums[present], torch.ones(int(present.sum()), 3, dtype=torch.float64))


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "mul"])
def test_int32_index_gives_the_int64_result_and_gradient(reduce):
    # torch 2.13's gather misreads an expanded int32 index (PyG's scatter with int32 gets wrong gradients)
    generator = torch.Generator().manual_seed(4)
    src = torch.randn(30, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    index = torch.randint(0, 8, (30,), generator=generator)
    upstream = torch.randn(8, 3, generator=generator, dtype=torch.float64)
    results = []
    for idx in (index, index.int()):
        out = scatter(src, idx, 0, 8, reduce)
        results.append((out, torch.autograd.grad((out * upstream).sum(), src)[0]))
    torch.testing.assert_close(results[1][0], results[0][0])
    torch.testing.assert_close(results[1][1], results[0][1])
