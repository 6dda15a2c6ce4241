"""The graph isomorphism operator with edge features (Hu et al., "Strategies for Pre-training Graph Neural
Networks", ICLR 2020)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.gin_conv import reset_module, set_network_and_eps
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.linear import Linear
from gnnlab.utils.validation import fail


class GINEConv(MessagePassing):
    r"""The graph isomorphism operator with edge features (Hu et al., "Strategies for Pre-training Graph Neural
    Networks", ICLR 2020):

    .. math::
        x_i' = h_\Theta\Big((1 + \epsilon)\, x_i + \sum_{j \in \mathcal{N}(i)} \operatorname{ReLU}(x_j + e_{ji})\Big),

    where :math:`e_{ji}` is the edge's features, first mapped to the node features' width by a linear layer when
    ``edge_dim`` is given.

    Args:
        nn: :math:`h_\Theta`.
        eps: the initial :math:`\epsilon`.
        train_eps: learn :math:`\epsilon`.
        edge_dim: the edge features' width, when it differs from the node features' (a ``Linear(edge_dim,
            F_in)`` maps them; ``F_in`` is read from ``nn``'s first layer). ``None``: they already have ``F_in``.
        **kwargs: ``aggr`` (default ``"add"``), ``flow``, ``node_dim`` of :class:`MessagePassing`.

    Shapes:
        ``x: (N, F_in)`` or a pair, ``edge_index: (2, E)``, ``edge_attr: (E, edge_dim or F_in)`` →
        ``(N_dst, F_out)``.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GINEConv
        >>> data = karate_club()
        >>> conv = GINEConv(torch.nn.Linear(34, 8), edge_dim=3)
        >>> conv(data.x, data.edge_index, torch.ones(data.num_edges, 3)).shape
        torch.Size([34, 8])
    """

    def __init__(self, nn: nn.Module, eps: float = 0.0, train_eps: bool = False, edge_dim: int | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("aggr", "add")
        super().__init__(**kwargs)
        set_network_and_eps(self, nn, eps, train_eps)
        self.lin = None
        if edge_dim is not None:
            first = nn[0] if isinstance(nn, torch.nn.Sequential) else nn
            in_channels = getattr(first, "in_features", getattr(first, "in_channels", None))
            if in_channels is None:
                fail(type(self).__name__, "an 'nn' whose first layer has in_features or in_channels (to map "
                     "edge_dim to)", type(first).__name__)
            self.lin = Linear(edge_dim, in_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Reset ``nn`` and the edge features' linear map, and set :math:`\\epsilon` back to ``eps``."""
        super().reset_parameters()
        reset_module(self.nn)
        self.eps.data.fill_(self.initial_eps)
        if self.lin is not None:
            self.lin.reset_parameters()

    def forward(self, x: Tensor | tuple, edge_index: Tensor, edge_attr: Tensor | None = None,
                size: tuple[int, int] | None = None) -> Tensor:
        """:math:`h_\\Theta((1 + \\epsilon) x_i + \\sum_j \\operatorname{ReLU}(x_j + e_{ji}))`."""
        if isinstance(x, Tensor):
            x = (x, x)
        out = self.propagate(edge_index, x=x, edge_attr=edge_attr, size=size)
        if x[1] is not None:
            out = out + (1 + self.eps) * x[1]
        return self.nn(out)

    def message(self, x_j: Tensor, edge_attr: Tensor) -> Tensor:
        if self.lin is None and x_j.size(-1) != edge_attr.size(-1):
            raise ValueError(f"'{type(self).__name__}' expected 'edge_attr' of width {x_j.size(-1)}, the node "
                             f"features', or 'edge_dim' set (got width {edge_attr.size(-1)})")
        if self.lin is not None:
            edge_attr = self.lin(edge_attr)
        return (x_j + edge_attr).relu()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(nn={self.nn})"


__all__ = ["GINEConv"]
