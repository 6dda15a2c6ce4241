"""Average pooling as a layer."""
from __future__ import annotations

from torch import Tensor, nn

from gnnlab.nn.functional.image_conv import as_pair, avg_pool2d


class AvgPool2d(nn.Module):
    """The mean of each ``kernel_size`` window, per channel (:func:`gnnlab.nn.functional.avg_pool2d`).

    Args:
        kernel_size: the window, an int or a pair ``(k_h, k_w)``.
        stride: an int or a pair (default: ``kernel_size``, non-overlapping windows).
        padding: an int or a pair, at most half of ``kernel_size`` (zeros, counted in the mean).

    Shapes: ``(N, C, H, W)`` → ``(N, C, H_out, W_out)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import AvgPool2d
        >>> pool = AvgPool2d(2)
        >>> pool
        AvgPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
        >>> pool(torch.arange(16.0).view(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
        >>> pool(torch.randn(8, 6, 28, 28)).shape
        torch.Size([8, 6, 14, 14])
    """

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        """See :class:`AvgPool2d` for the arguments."""
        super().__init__()
        self.kernel_size = as_pair("AvgPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else as_pair("AvgPool2d", "stride", stride, 1)
        self.padding = as_pair("AvgPool2d", "padding", padding, 0)

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding)

    def __repr__(self) -> str:
        return f"AvgPool2d(kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding})"
