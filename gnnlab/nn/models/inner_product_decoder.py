"""The inner-product decoder of graph auto-encoders (Kipf & Welling, "Variational Graph Auto-Encoders", 2016)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.utils.validation import check_edge_index, describe, fail


class InnerProductDecoder(nn.Module):
    r"""Edge probabilities from node embeddings: :math:`p(A_{ij} = 1 \mid z_i, z_j) = \sigma(z_i^\top z_j)`
    (eq. 2 of the paper), or the whole :math:`\hat{A} = \sigma(Z Z^\top)`. It has no parameters.

    Shapes:
        ``z: (N, d)``, ``edge_index: (2, K)`` → ``(K,)``; :meth:`forward_all`: ``(N, N)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import InnerProductDecoder
        >>> decoder = InnerProductDecoder()
        >>> z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> pairs = torch.tensor([[0, 0], [1, 2]])  # the pairs (0, 1) and (0, 2)
        >>> decoder(z, pairs, sigmoid=False)  # z_0 . z_1 and z_0 . z_2
        tensor([0., 1.])
        >>> torch.allclose(decoder(z, pairs), torch.sigmoid(torch.tensor([0.0, 1.0])))
        True
        >>> decoder.forward_all(z, sigmoid=False)
        tensor([[1., 0., 1.],
                [0., 1., 1.],
                [1., 1., 2.]])
    """

    def __init__(self) -> None:
        """It takes no arguments: see the class docstring."""
        super().__init__()

    def reset_parameters(self) -> None:
        """Nothing to initialise (kept so that every part of a model answers the same call)."""

    def forward(self, z: Tensor, edge_index: Tensor, sigmoid: bool = True) -> Tensor:
        """:math:`\\sigma(z_i^\\top z_j)` for every pair ``(i, j)`` of ``edge_index`` (the logit when
        ``sigmoid=False``)."""
        _check_z(z)
        check_edge_index("InnerProductDecoder", edge_index, z.size(0))
        logits = (z.index_select(0, edge_index[0]) * z.index_select(0, edge_index[1])).sum(dim=-1)
        return torch.sigmoid(logits) if sigmoid else logits

    def forward_all(self, z: Tensor, sigmoid: bool = True) -> Tensor:
        """The dense :math:`(N, N)` matrix :math:`\\sigma(Z Z^\\top)` (logits when ``sigmoid=False``)."""
        _check_z(z)
        logits = z @ z.t()
        return torch.sigmoid(logits) if sigmoid else logits

    def __repr__(self) -> str:
        return "InnerProductDecoder()"


def _check_z(z: Tensor) -> None:
    if not isinstance(z, Tensor) or z.dim() != 2 or not z.is_floating_point():
        fail("InnerProductDecoder", "'z' to be a floating tensor of shape (N, d)",
             describe(z) if isinstance(z, Tensor) else type(z).__name__, TypeError)
