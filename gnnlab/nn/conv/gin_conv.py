"""The graph isomorphism operator (Xu, Hu, Leskovec & Jegelka, "How Powerful are Graph Neural Networks?",
ICLR 2019)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.sparse import SparseMatrix, spmm
from gnnlab.utils.validation import check_number, fail


def reset_module(module: nn.Module) -> None:
    """``module.reset_parameters()``, or that of each child that has one, recursively (PyG's ``reset``: the
    same draws in the same order).

    Args:
        module: the network to re-initialise (a GIN layer's ``nn``).

    Example::

        >>> import torch
        >>> from gnnlab.nn.conv.gin_conv import reset_module
        >>> mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
        >>> before = mlp[0].weight.detach().clone()
        >>> reset_module(mlp)
        >>> torch.equal(before, mlp[0].weight)
        False
    """
    if hasattr(module, "reset_parameters"):
        module.reset_parameters()
        return
    for child in module.children():
        reset_module(child)


def set_network_and_eps(layer: MessagePassing, nn: torch.nn.Module, eps: float, train_eps: bool) -> None:
    r"""What both GIN layers hold: ``layer.nn`` and :math:`\epsilon` (a parameter with ``train_eps``, else a
    buffer), its initial value kept as ``layer.initial_eps`` for ``reset_parameters``.

    Args:
        layer: the layer being built.
        nn: :math:`h_\Theta`.
        eps: the initial :math:`\epsilon`.
        train_eps: learn :math:`\epsilon`.

    Example::

        >>> import torch
        >>> from gnnlab.nn import GINConv
        >>> conv = GINConv(torch.nn.Linear(3, 3), eps=0.5, train_eps=True)
        >>> isinstance(conv.eps, torch.nn.Parameter), conv.initial_eps
        (True, 0.5)
    """
    who = type(layer).__name__
    if not isinstance(nn, torch.nn.Module):
        fail(who, "'nn' to be a torch.nn.Module", type(nn).__name__, TypeError)
    layer.initial_eps = check_number(who, "eps", eps)
    layer.nn = nn
    if train_eps:
        layer.eps = torch.nn.Parameter(torch.empty(1))
    else:
        layer.register_buffer("eps", torch.empty(1))


class GINConv(MessagePassing):
    r"""The graph isomorphism operator:

    .. math::
        x_i' = h_\Theta\Big((1 + \epsilon)\, x_i + \sum_{j \in \mathcal{N}(i)} x_j\Big),

    with :math:`h_\Theta` a neural network (an MLP in the paper) shared by every node, and :math:`\epsilon` a
    fixed number or a learned scalar (``train_eps``). Sum aggregation is what makes it as powerful as the
    Weisfeiler-Lehman test: a mean or max cannot tell multisets of neighbours apart that a sum can.

    Args:
        nn: :math:`h_\Theta`, applied to ``(N, F_in)`` and returning ``(N, F_out)``.
        eps: the initial :math:`\epsilon`.
        train_eps: learn :math:`\epsilon` (a parameter) rather than keep it fixed (a buffer).
        **kwargs: ``aggr`` (default ``"add"``), ``flow``, ``node_dim`` of :class:`MessagePassing`.

    Shapes:
        ``x: (N, F_in)`` or a pair ``((N_src, F_in), (N_dst, F_in))``, ``edge_index: (2, E)`` or a sparse
        ``adj_t`` → ``(N_dst, F_out)``.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GINConv
        >>> data = karate_club()
        >>> conv = GINConv(torch.nn.Sequential(torch.nn.Linear(34, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16)))
        >>> conv(data.x, data.edge_index).shape
        torch.Size([34, 16])
    """

    fuse_edge_index = True

    def __init__(self, nn: nn.Module, eps: float = 0.0, train_eps: bool = False, **kwargs) -> None:
        kwargs.setdefault("aggr", "add")
        super().__init__(**kwargs)
        set_network_and_eps(self, nn, eps, train_eps)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Reset ``nn`` and set :math:`\\epsilon` back to ``eps``."""
        super().reset_parameters()
        reset_module(self.nn)
        self.eps.data.fill_(self.initial_eps)

    def forward(self, x: Tensor | tuple, edge_index: Tensor, size: tuple[int, int] | None = None) -> Tensor:
        """:math:`h_\\Theta((1 + \\epsilon) x_i + \\sum_j x_j)` for every target node."""
        if isinstance(x, Tensor):
            x = (x, x)
        out = self.propagate(edge_index, x=x, size=size)
        if x[1] is not None:
            out = out + (1 + self.eps) * x[1]
        return self.nn(out)

    def message(self, x_j: Tensor) -> Tensor:
        return x_j

    def message_and_aggregate(self, adj_t: SparseMatrix | Tensor, x: tuple) -> Tensor:
        return spmm(adj_t, x[0], reduce=self.aggr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(nn={self.nn})"


__all__ = ["GINConv", "reset_module", "set_network_and_eps"]
