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

    Args:
        p: probability of dropping an element, in ``[0, 1)``.

    Shapes:
        ``(*)`` → ``(*)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import Dropout
        >>> layer = Dropout(0.5)
        >>> layer
        Dropout(p=0.5)
        >>> x = torch.ones(4, 5)
        >>> out = layer(x)
        >>> bool(((out == 0) | (out == 2)).all())  # dropped, or kept and scaled by 1 / (1 - p)
        True
        >>> _ = layer.eval()
        >>> layer(x) is x
        True
    """

    def __init__(self, p: float = 0.5) -> None:
        """See :class:`Dropout` for the arguments."""
        super().__init__()
        check_number("Dropout", "p", p, low=0.0, high=1.0, high_open=True)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
