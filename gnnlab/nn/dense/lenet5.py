"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998), built from gnnlab's own convolution and pooling."""
from __future__ import annotations

from torch import Tensor, nn

from gnnlab.nn.dense.avg_pool2d import AvgPool2d
from gnnlab.nn.dense.conv2d import Conv2d
from gnnlab.nn.dense.max_pool2d import MaxPool2d
from gnnlab.nn.functional.activations import ACTIVATIONS
from gnnlab.utils.validation import check_choice, check_positive_int, fail


class LeNet5(nn.Module):
    r"""The classic convolutional network for 32x32 images (the notes, figure 4):

    ====== ======================================== ===============
    layer  operation                                output
    ====== ======================================== ===============
    C1     6 kernels 5x5, activation                6 @ 28x28
    S2     2x2 pooling, stride 2                    6 @ 14x14
    C3     16 kernels 5x5 (over all 6 maps)         16 @ 10x10
    S4     2x2 pooling, stride 2                    16 @ 5x5
    C5/F5  fully connected 400 → 120, activation    120
    F6     fully connected 120 → 84, activation     84
    output fully connected 84 → classes (logits)    classes
    ====== ======================================== ===============

    Each stage is conv → activation → pool, the order the notes explain (section 2.3). **Which LeNet-5:** the
    original connects C3 to only some S2 maps and ends in Gaussian (RBF) units; this is the usual modern form
    with a full C3 and a linear output layer (softmax in the loss), which has **61,706 parameters** for 10
    classes (with one input channel). Defaults: ReLU and max pooling; ``activation="tanh", pooling="avg"`` is
    closer to 1998.

    Args:
        in_channels: input channels (1 for greyscale images, 3 for colour).
        num_classes: number of classes (outputs), at least 2.
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``, after every layer but the output.
        pooling: ``"max"`` or ``"avg"``.
        flip_kernel: true convolution (the notes) or cross-correlation (``torch.nn.Conv2d``), see
            :class:`~gnnlab.nn.Conv2d`.

    Shapes: ``(N, in_channels, 32, 32)`` → ``(N, num_classes)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import LeNet5
        >>> model = LeNet5()
        >>> model
        LeNet5(in_channels=1, num_classes=10, activation='relu', pooling='max')
        >>> sum(p.numel() for p in model.parameters())
        61706
        >>> x = torch.randn(2, 1, 32, 32)
        >>> model(x).shape, model.features(x).shape
        (torch.Size([2, 10]), torch.Size([2, 84]))
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, activation: str = "relu",
                 pooling: str = "max", flip_kernel: bool = True) -> None:
        """See :class:`LeNet5` for the arguments."""
        super().__init__()
        check_positive_int("LeNet5", "in_channels", in_channels)
        check_positive_int("LeNet5", "num_classes", num_classes, minimum=2)
        check_choice("LeNet5", "activation", activation, list(ACTIVATIONS))
        check_choice("LeNet5", "pooling", pooling, ("max", "avg"))
        self.in_channels, self.num_classes, self.activation, self.pooling = (in_channels, num_classes, activation,
                                                                             pooling)
        pool = MaxPool2d if pooling == "max" else AvgPool2d
        self.conv1 = Conv2d(in_channels, 6, 5, flip_kernel=flip_kernel)
        self.pool1 = pool(2)
        self.conv2 = Conv2d(6, 16, 5, flip_kernel=flip_kernel)
        self.pool2 = pool(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.out = nn.Linear(84, num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.conv1, self.conv2, self.fc1, self.fc2, self.out):
            module.reset_parameters()

    def features(self, x: Tensor) -> Tensor:
        """The 84-dimensional representation before the output layer."""
        if x.dim() != 4 or x.shape[1:] != (self.in_channels, 32, 32):
            fail("LeNet5", f"'x' of shape (N, {self.in_channels}, 32, 32)", tuple(x.shape))
        act = ACTIVATIONS[self.activation]
        x = self.pool1(act(self.conv1(x)))
        x = self.pool2(act(self.conv2(x)))
        x = act(self.fc1(x.flatten(1)))
        return act(self.fc2(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x))

    def __repr__(self) -> str:
        return (f"LeNet5(in_channels={self.in_channels}, num_classes={self.num_classes}, "
                f"activation={self.activation!r}, pooling={self.pooling!r})")
