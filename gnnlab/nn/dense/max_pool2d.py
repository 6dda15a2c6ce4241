"""Max pooling as a layer."""
from __future__ import annotations

from torch import Tensor, nn

from gnnlab.nn.functional.image_conv import as_pair, max_pool2d


class MaxPool2d(nn.Module):
    """The largest value of each ``kernel_size`` window, per channel (:func:`gnnlab.nn.functional.max_pool2d`).

    Shapes: ``(N, C, H, W)`` → ``(N, C, H_out, W_out)``.
    """

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = as_pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else as_pair("MaxPool2d", "stride", stride, 1)
        self.padding = as_pair("MaxPool2d", "padding", padding, 0)

    def forward(self, input: Tensor) -> Tensor:
        return max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding})"
