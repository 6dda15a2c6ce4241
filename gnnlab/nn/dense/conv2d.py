"""The notes' convolution as a layer."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gnnlab.nn.functional.image_conv import as_pair, conv2d
from gnnlab.utils.validation import check_positive_int


class Conv2d(nn.Module):
    r"""``out_channels`` kernels of size ``kernel_size`` over ``in_channels`` input channels
    (:func:`gnnlab.nn.functional.conv2d`).

    One kernel is shared by every position of the image: the notes' *parameter sharing*; each output
    depends only on its receptive field: *sparse interactions*; shifting the input shifts the output:
    *translation equivariance* (away from the borders).

    Args:
        in_channels, out_channels: ``C_in`` and ``k``.
        kernel_size, stride, padding: ints or pairs.
        bias: learn one bias per output channel.
        flip_kernel: true convolution (the notes) or cross-correlation (``torch.nn.Conv2d``).

    Shapes:
        ``(N, C_in, H, W)`` → ``(N, k, H_out, W_out)``.

    Initialised like ``torch.nn.Conv2d`` (Kaiming-uniform, :math:`a = \sqrt 5`).

    Example::

        >>> import torch
        >>> import torch.nn.functional as F
        >>> from gnnlab.nn import Conv2d
        >>> conv = Conv2d(1, 6, 5)
        >>> conv
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(0, 0), flip_kernel=True)
        >>> x = torch.randn(2, 1, 32, 32)
        >>> conv(x).shape
        torch.Size([2, 6, 28, 28])
        >>> torch.allclose(conv(x), F.conv2d(x, conv.weight.flip(2, 3), conv.bias), atol=1e-5)  # flipped kernels
        True
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True,
                 flip_kernel: bool = True) -> None:
        """See :class:`Conv2d` for the arguments."""
        super().__init__()
        check_positive_int("Conv2d", "in_channels", in_channels)
        check_positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = as_pair("Conv2d", "stride", stride, 1)
        self.padding = as_pair("Conv2d", "padding", padding, 0)
        self.in_channels, self.out_channels, self.flip_kernel = in_channels, out_channels, flip_kernel
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *self.kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            nn.init.uniform_(self.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))

    def forward(self, input: Tensor) -> Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.flip_kernel)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, flip_kernel={self.flip_kernel})")
