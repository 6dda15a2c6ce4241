from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gnnlab.nn.functional import avg_pool2d, conv2d, max_pool2d


@settings(max_examples=60, deadline=None)
@given(batch=st.integers(1, 3), c_in=st.integers(1, 4), k=st.integers(1, 5), height=st.integers(3, 12),
       width=st.integers(3, 12), kh=st.integers(1, 4), kw=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.integers(0, 2), seed=st.integers(0, 1000))
def test_convolution_and_correlation_match_torch(batch, c_in, k, height, width, kh, kw, stride, padding, seed):
    kh, kw = min(kh, height + 2 * padding), min(kw, width + 2 * padding)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, c_in, height, width, generator=generator, dtype=torch.float64)
    weight = torch.randn(k, c_in, kh, kw, generator=generator, dtype=torch.float64)
    bias = torch.randn(k, generator=generator, dtype=torch.float64)
    correlation = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    torch.testing.assert_close(conv2d(x, weight, bias, stride, padding, flip_kernel=False), correlation,
                               atol=1e-6, rtol=0)
    convolution = F.conv2d(x, weight.flip(2, 3), bias, stride=stride, padding=padding)
    torch.testing.assert_close(conv2d(x, weight, bias, stride, padding), convolution, atol=1e-6, rtol=0)


def test_convolution_by_the_formula():
    """(f * g)[i, j] = sum_m sum_n f[i - m, j - n] g[m, n], by loops on a tiny example."""
    f = torch.arange(16.0).view(1, 1, 4, 4)
    g = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 1, 2, 2)
    out = conv2d(f, g)  # "valid" positions: the kernel inside the image
    expected = torch.zeros(3, 3)
    for i in range(3):
        for j in range(3):
            # output (i, j) corresponds to the full-convolution index (i + 1, j + 1)
            expected[i, j] = sum(f[0, 0, i + 1 - m, j + 1 - n] * g[0, 0, m, n] for m in range(2) for n in range(2))
    torch.testing.assert_close(out[0, 0], expected)


def test_gradients_match_torch():
    x = torch.randn(2, 3, 7, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 3, 2, dtype=torch.float64, requires_grad=True)
    ours = torch.autograd.grad(conv2d(x, w, stride=2, padding=1).sum(), (x, w))
    theirs = torch.autograd.grad(F.conv2d(x, w.flip(2, 3), stride=2, padding=1).sum(), (x, w))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(2, 10), kernel=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2),
       seed=st.integers(0, 1000))
def test_pooling_matches_torch(size, kernel, stride, padding, seed):
    padding = min(padding, kernel // 2)
    kernel = min(kernel, size + 2 * padding)
    x = torch.randn(2, 3, size, size + 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    torch.testing.assert_close(max_pool2d(x, kernel, stride, padding), F.max_pool2d(x, kernel, stride, padding))
    torch.testing.assert_close(avg_pool2d(x, kernel, stride, padding), F.avg_pool2d(x, kernel, stride, padding))


def test_pooling_default_stride_is_kernel():
    x = torch.randn(1, 2, 8, 8)
    torch.testing.assert_close(max_pool2d(x, 2), F.max_pool2d(x, 2))


@pytest.mark.parametrize("call, name", [
    (lambda: conv2d(torch.randn(1, 1, 3, 3), torch.randn(1, 1, 5, 5)), "kernel no larger than the padded input"),
    (lambda: conv2d(torch.randn(1, 2, 3, 3), torch.randn(1, 1, 2, 2)), "'weight' of shape"),
    (lambda: conv2d(torch.randn(3, 3), torch.randn(1, 1, 2, 2)), r"'input' of shape \(N, C, H, W\)"),
    (lambda: conv2d(torch.randn(1, 1, 3, 3), torch.randn(1, 1, 2, 2), stride=0), "'stride'"),
    (lambda: max_pool2d(torch.randn(1, 1, 4, 4), 2, padding=2), "'padding'"),
])
def test_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()
