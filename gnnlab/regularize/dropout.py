"""Dropout as a layer (the notes, section 3.3)."""
from __future__ import annotations

from torch import Tensor, nn

from gnnlab.nn.functional.dropout import dropout
from gnnlab.utils.validation import check_number


class Dropout(nn.Module):
    r"""Inverted dropout: in training, zero each element with probability ``p`` and scale the rest by
    :math:`1/(1-p)`; in evaluation, the identity.

    **Erratum to the notes:** the notes' :math:`p` is the probability of *keeping* a neuron; here, as in
    PyTorch, ``p`` is the probability of *dropping* it (``Dropout(0.2)`` keeps 80%).
    See :func:`gnnlab.nn.functional.dropout`.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        check_number("Dropout", "p", p, low=0.0, high=1.0, high_open=True)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
