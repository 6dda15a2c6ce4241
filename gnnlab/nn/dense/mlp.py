"""The multilayer perceptron (the notes, section 2.1)."""
from __future__ import annotations

from torch import Tensor, nn

from gnnlab.nn.functional.activations import ACTIVATIONS
from gnnlab.nn.functional.dropout import dropout
from gnnlab.utils.validation import check_choice, check_number, check_positive_int, fail


class MLP(nn.Module):
    r"""Fully connected layers with an activation between them:

    .. math:: h^{(0)} = x, \qquad h^{(l)} = f\big(W^{(l)} h^{(l-1)} + b^{(l)}\big), \qquad
              y = W^{(L)} h^{(L-1)} + b^{(L)}

    with :math:`f` = ReLU, tanh or sigmoid and (inverted) dropout before every hidden layer's output is used.
    The output is logits (no activation): pair it with ``cross_entropy``.

    Args:
        in_channels: input features.
        hidden_channels: the width of each hidden layer, e.g. ``[256, 128]`` (``[]``: logistic regression).
        out_channels: outputs (classes).
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
        dropout: drop probability after each hidden activation (PyTorch's convention, see
            :mod:`gnnlab.nn.functional.dropout`).

    Shapes: ``(N, in_channels)`` (or ``(N, *)``, flattened) → ``(N, out_channels)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import MLP
        >>> model = MLP(64, [32], 10, dropout=0.2)
        >>> model
        MLP(64, [32], 10, activation='relu', dropout=0.2)
        >>> model(torch.randn(5, 8, 8)).shape  # 8 x 8 images, flattened to 64 features
        torch.Size([5, 10])
        >>> [tuple(layer.weight.shape) for layer in model.layers]
        [(32, 64), (10, 32)]
    """

    def __init__(self, in_channels: int, hidden_channels: list[int], out_channels: int, activation: str = "relu",
                 dropout: float = 0.0) -> None:
        """See :class:`MLP` for the arguments."""
        super().__init__()
        check_positive_int("MLP", "in_channels", in_channels)
        check_positive_int("MLP", "out_channels", out_channels)
        if not isinstance(hidden_channels, (list, tuple)):
            fail("MLP", "'hidden_channels' to be a list of layer widths", repr(hidden_channels), TypeError)
        for width in hidden_channels:
            check_positive_int("MLP", "hidden_channels", width)
        check_choice("MLP", "activation", activation, list(ACTIVATIONS))
        check_number("MLP", "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, list(hidden_channels), out_channels
        self.activation, self.dropout = activation, dropout
        sizes = [in_channels, *hidden_channels, out_channels]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in self.layers:
            layer.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        if x.size(1) != self.in_channels:
            fail("MLP", f"'x' with {self.in_channels} features (in_channels)", x.size(1))
        act = ACTIVATIONS[self.activation]
        for layer in self.layers[:-1]:
            x = dropout(act(layer(x)), self.dropout, self.training)
        return self.layers[-1](x)

    def __repr__(self) -> str:
        return (f"MLP({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"activation={self.activation!r}, dropout={self.dropout})")
