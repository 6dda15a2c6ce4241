r"""The notes' one-hidden-layer network with backpropagation written by hand (section 3.1).

Forward pass for one example :math:`x \in \mathbb{R}^{d}` with one-hot label :math:`y \in \{0,1\}^{K}`:

.. math::
    z^{[1]} = W^{[1]} x + b^{[1]}, \quad a^{[1]} = \sigma(z^{[1]}), \quad
    z^{[2]} = W^{[2]} a^{[1]} + b^{[2]}, \quad a^{[2]} = \hat y = \operatorname{softmax}(z^{[2]}), \quad
    L = -y^\top \ln \hat y .

Backward pass (the notes' δ formulas). The softmax Jacobian is
:math:`\partial a^{[2]} / \partial z^{[2]} = \operatorname{diag}(a^{[2]}) - a^{[2]} a^{[2]\top}`, and
:math:`\partial L / \partial a^{[2]} = -y \oslash a^{[2]}`, so

.. math::
    \delta^{[2]} = \big(\operatorname{diag}(a^{[2]}) - a^{[2]} a^{[2]\top}\big)(-y \oslash a^{[2]})
                 = -y + a^{[2]} (\mathbf{1}^\top y) = a^{[2]} - y

(**erratum**: the notes skip this step; it is what makes softmax + cross-entropy so simple). Then

.. math::
    \delta^{[1]} = \big(W^{[2]\top} \delta^{[2]}\big) \odot \sigma'(z^{[1]}), \quad
    \sigma'(z) = \sigma(z)(1 - \sigma(z)),

    \nabla_{W^{[l]}} L = \delta^{[l]} a^{[l-1]\top}, \qquad \nabla_{b^{[l]}} L = \delta^{[l]}, \qquad a^{[0]} = x.

For a batch of :math:`B` examples stored as rows, the loss is the mean, so every gradient is the mean of
the per-example ones: :math:`\nabla_{W^{[l]}} = \frac{1}{B} \Delta^{[l]\top} A^{[l-1]}`.
No autograd is used anywhere in this module.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor
from tqdm.auto import tqdm

from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int, fail


class TwoLayerNet:
    """Sigmoid hidden layer, softmax output, cross-entropy; forward and backward by hand.

    Args:
        in_features, hidden_features, num_classes: layer sizes.
        seed: initialisation seed (weights :math:`U(-1/\\sqrt{n_{in}}, 1/\\sqrt{n_{in}})`, biases zero).
        dtype: ``torch.float64`` for checking gradients, ``torch.float32`` to train.

    Attributes:
        params: ``{"W1": (hidden, in), "b1": (hidden,), "W2": (classes, hidden), "b2": (classes,)}``.

    Example::

        >>> import torch
        >>> from gnnlab.nn.manual import TwoLayerNet
        >>> _ = torch.manual_seed(0)
        >>> x, y = torch.randn(6, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
        >>> net = TwoLayerNet(4, 8, 3, dtype=torch.float64)
        >>> net
        TwoLayerNet(4, 8, 3)
        >>> cache = net.forward(x)
        >>> sorted(cache)
        ['a1', 'a2', 'x', 'z1', 'z2']
        >>> grads = net.backward(cache, y)  # the delta formulas
        >>> W1 = net.params["W1"].requires_grad_()  # check them against autograd
        >>> net.loss(net.forward(x), y).backward()
        >>> torch.allclose(W1.grad, grads["W1"])
        True
        >>> history = TwoLayerNet(4, 8, 3).fit(x, y, epochs=3, batch_size=2)  # mini-batch gradient descent
        >>> len(history["loss"])
        3
    """

    def __init__(self, in_features: int, hidden_features: int, num_classes: int, seed: int | None = 0,
                 dtype: torch.dtype = torch.float32) -> None:
        check_positive_int("TwoLayerNet", "in_features", in_features)
        check_positive_int("TwoLayerNet", "hidden_features", hidden_features)
        check_positive_int("TwoLayerNet", "num_classes", num_classes, minimum=2)
        self.in_features, self.hidden_features, self.num_classes = in_features, hidden_features, num_classes
        generator = make_generator(seed)

        def uniform(rows: int, cols: int) -> Tensor:
            bound = 1.0 / math.sqrt(cols)
            return (torch.rand(rows, cols, generator=generator, dtype=dtype) * 2 - 1) * bound

        self.params = {
            "W1": uniform(hidden_features, in_features), "b1": torch.zeros(hidden_features, dtype=dtype),
            "W2": uniform(num_classes, hidden_features), "b2": torch.zeros(num_classes, dtype=dtype),
        }

    # -- the two passes ------------------------------------------------------------------------------
    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """Every intermediate of the forward pass for a batch ``x: (B, in_features)`` (rows are examples)."""
        p = self.params
        z1 = x @ p["W1"].t() + p["b1"]
        a1 = torch.sigmoid(z1)
        z2 = a1 @ p["W2"].t() + p["b2"]
        a2 = torch.softmax(z2, dim=1)
        return {"x": x, "z1": z1, "a1": a1, "z2": z2, "a2": a2}

    def loss(self, cache: dict[str, Tensor], y: Tensor) -> Tensor:
        """Mean cross-entropy :math:`-\\frac1B \\sum_b y_b^\\top \\ln \\hat y_b` (via log-softmax, stable)."""
        log_probs = torch.log_softmax(cache["z2"], dim=1)
        return -log_probs.gather(1, y.view(-1, 1)).mean()

    def backward(self, cache: dict[str, Tensor], y: Tensor) -> dict[str, Tensor]:
        """Gradients of the mean loss from the δ formulas (see the module docstring)."""
        batch = y.numel()
        one_hot = torch.zeros_like(cache["a2"]).scatter_(1, y.view(-1, 1), 1.0)
        delta2 = cache["a2"] - one_hot                                   # δ[2] = a[2] - y
        a1 = cache["a1"]
        delta1 = (delta2 @ self.params["W2"]) * a1 * (1 - a1)            # δ[1] = (W[2]ᵀ δ[2]) ⊙ σ'(z[1])
        return {
            "W2": delta2.t() @ a1 / batch, "b2": delta2.mean(0),         # ∇W[2] = δ[2] a[1]ᵀ
            "W1": delta1.t() @ cache["x"] / batch, "b1": delta1.mean(0),  # ∇W[1] = δ[1] xᵀ
        }

    def predict_proba(self, x: Tensor) -> Tensor:
        return self.forward(x.flatten(1).to(self.params["W1"].dtype))["a2"]

    def predict(self, x: Tensor) -> Tensor:
        return self.predict_proba(x).argmax(1)

    def score(self, x: Tensor, y: Tensor) -> float:
        return float((self.predict(x) == y).float().mean())

    # -- gradient descent ------------------------------------------------------------------------------
    def fit(self, x: Tensor, y: Tensor, *, epochs: int = 100, lr: float = 0.5, batch_size: int | None = None,
            momentum: float = 0.0, seed: int | None = 0, x_val: Tensor | None = None, y_val: Tensor | None = None,
            verbose: bool = False) -> dict[str, list[float]]:
        r"""Gradient descent on the hand-written gradients (the notes, section 3.2).

        ``batch_size=None`` is **batch** gradient descent (one step per epoch on all examples), ``1``
        **stochastic** gradient descent (one step per example), ``k`` **mini-batch** gradient descent;
        examples are reshuffled every epoch. With ``momentum`` :math:`\gamma`, the step is
        :math:`v \leftarrow \gamma v + \nabla L,\ \theta \leftarrow \theta - \eta v` (classical momentum).

        Returns a history with ``loss`` (training loss per epoch) and, with validation data, ``val_acc``.
        """
        who = "TwoLayerNet.fit"
        check_positive_int(who, "epochs", epochs)
        check_number(who, "lr", lr, low=0.0, low_open=True)
        check_number(who, "momentum", momentum, low=0.0, high=1.0, high_open=True)
        x = x.flatten(1).to(self.params["W1"].dtype)
        if x.size(1) != self.in_features or y.shape != (x.size(0),):
            fail(who, f"'x' of shape (N, {self.in_features}) and 'y' of shape (N,)",
                 f"{tuple(x.shape)} and {tuple(y.shape)}")
        if batch_size is not None:
            check_positive_int(who, "batch_size", batch_size)
        size = x.size(0) if batch_size is None else batch_size
        generator = make_generator(seed)
        velocity = {k: torch.zeros_like(v) for k, v in self.params.items()}
        history: dict[str, list[float]] = {"loss": [], "val_acc": []}
        for _ in tqdm(range(epochs), desc="TwoLayerNet", disable=not verbose, leave=False):
            order = torch.randperm(x.size(0), generator=generator)
            total = 0.0
            for start in range(0, x.size(0), size):
                index = order[start:start + size]
                cache = self.forward(x[index])
                total += float(self.loss(cache, y[index])) * index.numel()
                for name, grad in self.backward(cache, y[index]).items():
                    velocity[name].mul_(momentum).add_(grad)
                    self.params[name] -= lr * velocity[name]
            history["loss"].append(total / x.size(0))
            if x_val is not None and y_val is not None:
                history["val_acc"].append(self.score(x_val, y_val))
        return history

    def __repr__(self) -> str:
        return f"TwoLayerNet({self.in_features}, {self.hidden_features}, {self.num_classes})"
