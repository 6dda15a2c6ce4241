r"""Stochastic gradient descent with momentum, Nesterov momentum, L2 and L1 regularisation."""
from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

from gnnlab.utils.validation import check_number, fail


class SGD(torch.optim.Optimizer):
    r"""Gradient descent as the notes teach it (sections 3.2-3.3), step for step equal to ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g = \nabla L(\theta)`::

        g ← g + weight_decay · θ                      # L2: the gradient of (λ/2)‖θ‖²
        if momentum γ > 0:
            b ← g              (first step)
            b ← γ b + g        (later steps)
            g ← g + γ b   if nesterov   else   b
        θ ← θ − lr · g
        if l1 > 0:                                     # L1 by its proximal step (soft thresholding)
            θ ← sign(θ) · max(|θ| − lr · l1, 0)

    **Classical momentum.** With :math:`\nu = -\eta b` (constant :math:`\eta`) the update is the notes'
    :math:`\nu \leftarrow \gamma\nu - \eta\nabla L(\theta_t),\ \theta \leftarrow \theta + \nu`. The notes print
    this under the name "Nesterov momentum" (**erratum**): it evaluates the gradient at :math:`\theta_t`, so it
    is classical (heavy-ball) momentum, ``momentum=γ, nesterov=False``. The notes use :math:`\gamma = 0.9`.

    **Nesterov momentum** evaluates the gradient at the look-ahead point:

    .. math:: \nu_{t+1} = \gamma\nu_t - \eta\nabla L(\theta_t + \gamma\nu_t), \qquad
              \theta_{t+1} = \theta_t + \nu_{t+1}.

    Substitute :math:`\phi_t = \theta_t + \gamma\nu_t` (the look-ahead point itself) and write
    :math:`g_t = \nabla L(\phi_t)`:

    .. math:: \phi_{t+1} = \theta_{t+1} + \gamma\nu_{t+1} = \phi_t - \gamma\nu_t + (1+\gamma)\nu_{t+1}
              = \phi_t + \gamma\nu_{t+1} - \eta g_t,

    which, with :math:`\nu = -\eta b`, is :math:`\phi \leftarrow \phi - \eta(g_t + \gamma b_{t+1})`,
    :math:`b_{t+1} = \gamma b_t + g_t`: the ``nesterov=True`` branch above, whose stored parameters are
    :math:`\phi`. The two forms visit the same points; this one needs the gradient only where the
    parameters are.

    **L2 and L1.** ``weight_decay`` λ adds :math:`\lambda\theta` to the gradient, the gradient of
    :math:`\tfrac{\lambda}{2}\lVert\theta\rVert_2^2` (the notes write the penalty as :math:`\lambda\lVert\theta
    \rVert`; it is the squared norm, halved, that gives λθ). ``l1`` penalises :math:`\lambda_1\lVert\theta
    \rVert_1`; its subgradient :math:`\lambda_1\operatorname{sign}(\theta)` would make small weights oscillate
    around zero, so after each step a weight within :math:`\eta\lambda_1` of zero is set to **exactly zero**
    and every other weight is shrunk towards zero by :math:`\eta\lambda_1` (proximal gradient descent).

    Args:
        params: parameters or parameter groups.
        lr: learning rate :math:`\eta > 0`.
        momentum: :math:`\gamma \in [0, 1)`.
        nesterov: Nesterov momentum (needs ``momentum > 0``).
        weight_decay: L2 coefficient λ ≥ 0.
        l1: L1 coefficient :math:`\lambda_1 \ge 0`.

    Example::

        >>> import torch
        >>> from gnnlab.optim import SGD
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> optimizer = SGD([w], lr=0.5)
        >>> w.grad = torch.tensor([2.0, 2.0])
        >>> optimizer.step()  # w - 0.5 * g
        >>> w.tolist()
        [0.0, -3.0]
        >>> w = torch.nn.Parameter(torch.tensor([0.25, -2.0]))
        >>> optimizer = SGD([w], lr=0.5, l1=1.0)
        >>> w.grad = torch.zeros(2)
        >>> optimizer.step()  # soft thresholding by lr * l1 = 0.5: a small weight becomes exactly zero
        >>> w.tolist()
        [0.0, -1.5]
        >>> _ = torch.manual_seed(0)
        >>> a = torch.nn.Parameter(torch.randn(5))
        >>> b = torch.nn.Parameter(a.detach().clone())
        >>> ours = SGD([a], lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
        >>> theirs = torch.optim.SGD([b], lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
        >>> for _ in range(5):
        ...     g = torch.randn(5)
        ...     a.grad, b.grad = g.clone(), g.clone()
        ...     ours.step()
        ...     theirs.step()
        >>> torch.allclose(a, b, atol=1e-6)  # step for step torch.optim.SGD
        True
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0, l1: float = 0.0) -> None:
        check_number("SGD", "lr", lr, low=0.0, low_open=True)
        check_number("SGD", "momentum", momentum, low=0.0, high=1.0, high_open=True)
        check_number("SGD", "weight_decay", weight_decay, low=0.0)
        check_number("SGD", "l1", l1, low=0.0)
        if nesterov and momentum == 0.0:
            fail("SGD", "'momentum' > 0 when nesterov=True (Nesterov momentum needs a momentum)", momentum)
        defaults = dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay, l1=l1)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, l1 = group["lr"], group["momentum"], group["l1"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(param, alpha=group["weight_decay"])
                if momentum != 0:
                    state = self.state[param]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = state["momentum_buffer"] = grad.detach().clone()
                    else:
                        buffer.mul_(momentum).add_(grad)
                    grad = grad.add(buffer, alpha=momentum) if group["nesterov"] else buffer
                param.add_(grad, alpha=-lr)
                if l1 != 0:
                    param.copy_(param.sign() * (param.abs() - lr * l1).clamp_(min=0))
        return loss
