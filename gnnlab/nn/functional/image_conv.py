r"""2-D convolution and pooling written from the notes' formulas (section 2.2-2.3), vectorised with ``unfold``.

**Convolution** (the notes' definition, a true convolution: the kernel is flipped):

.. math:: (f * g)[i, j] = \sum_m \sum_n f[i - m, j - n]\, g[m, n]
          = \sum_m \sum_n f[i + m', j + n']\, g[k_h - 1 - m', k_w - 1 - n'].

**Cross-correlation** (``flip_kernel=False``) slides the kernel without flipping it,
:math:`(f \star g)[i, j] = \sum_m \sum_n f[i + m, j + n]\, g[m, n]`; this is what deep-learning libraries
(``torch.nn.functional.conv2d`` included) call "convolution". For a learned kernel the two are the same
model up to flipping the learned weights.

With an ``(N, C_in, H, W)`` input (NCHW), zero padding :math:`P` and stride :math:`S`, each of the ``k`` kernels
spans all :math:`C_{in}` input channels (their products are summed) and gives one output channel, so ``k``
kernels give ``k`` output channels of size
:math:`H_{out} = \lfloor (H + 2P - k_h) / S \rfloor + 1` (likewise :math:`W_{out}`).

The implementation unfolds every receptive field into a column (``torch.nn.functional.unfold``, the
"im2col" of the notes' sparse-interaction picture) and multiplies by the flattened kernels: one matrix
product, no loop over pixels.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from gnnlab.utils.validation import fail, is_integer


def as_pair(who: str, name: str, value, minimum: int) -> tuple[int, int]:
    """``value`` as a pair of ints >= ``minimum`` (an int is repeated), or a ``ValueError`` naming ``name``."""
    pair = (value, value) if is_integer(value) else tuple(value)
    if len(pair) != 2 or not all(is_integer(v) and v >= minimum for v in pair):
        fail(who, f"'{name}' to be an int >= {minimum} or a pair of them", repr(value))
    return pair  # type: ignore[return-value]


def _check_input(who: str, input: Tensor) -> None:
    if not isinstance(input, Tensor) or input.dim() != 4:
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        fail(who, "'input' of shape (N, C, H, W)", shape)


def _output_size(who: str, size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int]) -> tuple[int, int]:
    padded = (size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        fail(who, f"a kernel no larger than the padded input {padded}", f"kernel_size {kernel}")
    return ((padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           flip_kernel: bool = True) -> Tensor:
    """The notes' 2-D convolution.

    Args:
        input: ``(N, C_in, H, W)``.
        weight: ``(k, C_in, k_h, k_w)``: ``k`` kernels, each spanning every input channel.
        bias: ``(k,)`` or ``None``.
        stride, padding: an int or a pair ``(vertical, horizontal)``; padding is with zeros.
        flip_kernel: ``True`` for true convolution, ``False`` for cross-correlation.

    Shapes:
        ``(N, C_in, H, W)`` → ``(N, k, H_out, W_out)``.

    Example::

        >>> import torch
        >>> import torch.nn.functional as F
        >>> from gnnlab.nn.functional import conv2d
        >>> x = torch.arange(16.0).view(1, 1, 4, 4)
        >>> w = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> conv2d(x, w)  # the kernel flipped: 4 x[i, j] + 3 x[i, j+1] + 2 x[i+1, j] + x[i+1, j+1]
        tensor([[[[ 16.,  26.,  36.],
                  [ 56.,  66.,  76.],
                  [ 96., 106., 116.]]]])
        >>> torch.allclose(conv2d(x, w, flip_kernel=False), F.conv2d(x, w))  # cross-correlation: torch's
        True
        >>> conv2d(torch.randn(2, 3, 32, 32), torch.randn(6, 3, 5, 5), stride=2, padding=1).shape
        torch.Size([2, 6, 15, 15])
    """
    who = "conv2d"
    _check_input(who, input)
    if not isinstance(weight, Tensor) or weight.dim() != 4 or weight.size(1) != input.size(1):
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        fail(who, f"'weight' of shape (k, C_in={input.size(1)}, k_h, k_w)", shape)
    if bias is not None and (bias.dim() != 1 or bias.numel() != weight.size(0)):
        fail(who, f"'bias' of shape ({weight.size(0)},)", tuple(bias.shape))
    stride = as_pair(who, "stride", stride, 1)
    padding = as_pair(who, "padding", padding, 0)
    kernel = (weight.size(2), weight.size(3))
    out_h, out_w = _output_size(who, (input.size(2), input.size(3)), kernel, stride, padding)
    if flip_kernel:
        weight = torch.flip(weight, dims=(2, 3))  # g[m, n] -> g[k_h - 1 - m, k_w - 1 - n]
    # columns: (N, C_in * k_h * k_w, L) with L = H_out * W_out receptive fields
    columns = F.unfold(input, kernel_size=kernel, padding=padding, stride=stride)
    out = weight.reshape(weight.size(0), -1) @ columns  # (N, k, L): one product for every position
    if bias is not None:
        out = out + bias.view(1, -1, 1)
    return out.view(input.size(0), weight.size(0), out_h, out_w)


def _pool(who: str, input: Tensor, kernel_size, stride, padding, reduce: str) -> Tensor:
    _check_input(who, input)
    kernel = as_pair(who, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else as_pair(who, "stride", stride, 1)
    padding = as_pair(who, "padding", padding, 0)
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        fail(who, "'padding' at most half of 'kernel_size'", f"padding {padding} for kernel {kernel}")
    out_h, out_w = _output_size(who, (input.size(2), input.size(3)), kernel, stride, padding)
    n, c = input.size(0), input.size(1)
    if stride == kernel and padding == (0, 0):
        # non-overlapping windows (LeNet's 2x2/2): a reshape instead of unfolding
        windows = input[:, :, :out_h * kernel[0], :out_w * kernel[1]].reshape(n, c, out_h, kernel[0], out_w,
                                                                               kernel[1])
        return windows.amax(dim=(3, 5)) if reduce == "max" else windows.mean(dim=(3, 5))
    if reduce == "max":
        # pad with -inf so that padding never wins the max (as torch's max_pool2d)
        input = F.pad(input, (padding[1], padding[1], padding[0], padding[0]), value=float("-inf"))
        padding = (0, 0)
    columns = F.unfold(input.reshape(n * c, 1, input.size(2), input.size(3)), kernel_size=kernel,
                       padding=padding, stride=stride)  # (N*C, k_h*k_w, L)
    out = columns.amax(dim=1) if reduce == "max" else columns.mean(dim=1)
    return out.view(n, c, out_h, out_w)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    r"""Max pooling: each output is the largest value of its ``kernel_size`` window (per channel);
    ``stride`` defaults to ``kernel_size``; padding never wins (it is :math:`-\infty`).

    Args:
        input: ``(N, C, H, W)``.
        kernel_size: the window, an int or a pair ``(k_h, k_w)``.
        stride: an int or a pair (default: ``kernel_size``, non-overlapping windows).
        padding: an int or a pair, at most half of ``kernel_size``.

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H_out, W_out)``, :math:`H_{out} = \lfloor (H + 2P - k_h) / S \rfloor + 1`.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import max_pool2d
        >>> x = torch.arange(16.0).view(1, 1, 4, 4)
        >>> max_pool2d(x, 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
        >>> max_pool2d(x, 3, stride=1, padding=1).shape
        torch.Size([1, 1, 4, 4])
    """
    return _pool("max_pool2d", input, kernel_size, stride, padding, "max")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    r"""Average pooling over each ``kernel_size`` window (per channel); zero padding counts in the average
    (``count_include_pad=True``, torch's default).

    Args:
        input: ``(N, C, H, W)``.
        kernel_size: the window, an int or a pair ``(k_h, k_w)``.
        stride: an int or a pair (default: ``kernel_size``, non-overlapping windows).
        padding: an int or a pair of zero padding, at most half of ``kernel_size``.

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H_out, W_out)``, :math:`H_{out} = \lfloor (H + 2P - k_h) / S \rfloor + 1`.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import avg_pool2d
        >>> x = torch.arange(16.0).view(1, 1, 4, 4)
        >>> avg_pool2d(x, 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
        >>> avg_pool2d(torch.ones(1, 1, 2, 2), 2, padding=1)  # the zeros of the padding count
        tensor([[[[0.2500, 0.2500],
                  [0.2500, 0.2500]]]])
    """
    return _pool("avg_pool2d", input, kernel_size, stride, padding, "mean")
