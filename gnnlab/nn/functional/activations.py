r"""The notes' activation functions (section 2.1), and the derivatives
hand-written backprop uses (:class:`gnnlab.nn.manual.TwoLayerNet` computes :math:`\sigma'` from the stored
activation, :math:`a(1 - a)`).

.. math::
    \sigma(x) = \frac{1}{1 + e^{-x}}, \quad \sigma'(x) = \sigma(x)(1 - \sigma(x)); \qquad
    \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \quad \tanh'(x) = 1 - \tanh^2(x); \qquad
    \operatorname{ReLU}(x) = \max(0, x).

**Erratum to the notes:** the notes print :math:`\tanh` with the numerator's minus sign lost
(:math:`e^x + e^{-x}` over :math:`e^x + e^{-x}` would be 1); the formula above is the right one. The
implementations call PyTorch's numerically stable kernels, which compute exactly these functions.
"""
from __future__ import annotations

import torch
from torch import Tensor


def sigmoid(x: Tensor) -> Tensor:
    r"""The logistic function :math:`\sigma(x) = 1 / (1 + e^{-x})`, elementwise (values in :math:`(0, 1)`).

    Args:
        x: input tensor, any shape.

    Shapes:
        ``(*)`` → ``(*)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import sigmoid
        >>> sigmoid(torch.tensor([0.0]))
        tensor([0.5000])
        >>> x = torch.linspace(-5, 5, 11)
        >>> torch.allclose(sigmoid(x), 1 / (1 + torch.exp(-x)), atol=1e-6)
        True
    """
    return torch.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    r"""The hyperbolic tangent :math:`(e^{x} - e^{-x}) / (e^{x} + e^{-x})`, elementwise (values in
    :math:`(-1, 1)`).

    Args:
        x: input tensor, any shape.

    Shapes:
        ``(*)`` → ``(*)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import tanh
        >>> tanh(torch.tensor([0.0]))
        tensor([0.])
        >>> x = torch.linspace(-3, 3, 7)
        >>> torch.allclose(tanh(x), (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x)), atol=1e-6)
        True
    """
    return torch.tanh(x)


def relu(x: Tensor) -> Tensor:
    r"""The rectified linear unit :math:`\max(0, x)`, elementwise.

    Args:
        x: input tensor, any shape.

    Shapes:
        ``(*)`` → ``(*)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import relu
        >>> relu(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 3.])
    """
    return torch.relu(x)


ACTIVATIONS = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}
