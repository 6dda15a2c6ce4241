r"""The gated graph neural network of Li, Tarlow, Brockschmidt & Zemel, "Gated Graph Sequence Neural
Networks", ICLR 2016."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.sparse import SparseMatrix, spmm
from gnnlab.utils.validation import check_feature_width, check_positive_int


class GatedGraphConv(MessagePassing):
    r"""Gated graph convolution: :math:`T` propagation steps with a GRU update

    .. math::
        h_i^{(0)} = x_i \Vert 0, \qquad
        m_i^{(t+1)} = \bigoplus_{j \to i} w_{ji}\, W^{(t)} h_j^{(t)}, \qquad
        h_i^{(t+1)} = \operatorname{GRU}\big(m_i^{(t+1)}, h_i^{(t)}\big),

    with the input zero-padded to ``out_channels``. The defaults are PyG's: one :math:`W^{(t)}` per step (the
    GRU shared by all steps), sum aggregation; a PyG ``GatedGraphConv`` state_dict loads. With
    ``share_weights=True`` (Li et al.) one message matrix :math:`W` and one GRU cell serve every node *and
    every step*, so the parameter count does not depend on ``num_layers``.

    Args:
        out_channels: hidden size :math:`d` (input features are padded up to it).
        num_layers: number of propagation steps :math:`T`.
        aggr: ``"add"``/``"sum"``, ``"mean"``, ``"max"``, ``"min"`` or ``"mul"``.
        bias: biases in the GRU cell.
        share_weights: one message matrix for all steps.
        **kwargs: ``flow``, ``node_dim`` of :class:`MessagePassing`.

    Shapes:
        ``x: (N, F_in)`` with ``F_in <= out_channels``, ``edge_index: (2, E)`` or a torch.sparse
        ``adj_t: (N, N)``, ``edge_weight: (E,)`` → ``(N, out_channels)``. ``weight`` is ``(T, d, d)``, or
        ``(d, d)`` when shared.

    Example::

        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GatedGraphConv
        >>> data = karate_club()  # 34 nodes, 34 features: padded to 64
        >>> conv = GatedGraphConv(64, num_layers=3)
        >>> conv
        GatedGraphConv(64, num_layers=3)
        >>> conv(data.x, data.edge_index).shape
        torch.Size([34, 64])
        >>> conv.weight.shape, GatedGraphConv(64, 3, share_weights=True).weight.shape
        (torch.Size([3, 64, 64]), torch.Size([64, 64]))
    """

    fuse_edge_index = True

    def __init__(self, out_channels: int, num_layers: int, aggr: str = "add", bias: bool = True,
                 share_weights: bool = False, **kwargs: Any) -> None:
        """See :class:`GatedGraphConv` for the arguments."""
        super().__init__(aggr=aggr, **kwargs)
        check_positive_int("GatedGraphConv", "out_channels", out_channels)
        check_positive_int("GatedGraphConv", "num_layers", num_layers)
        self.out_channels, self.num_layers, self.share_weights = out_channels, num_layers, share_weights
        shape = (out_channels, out_channels) if share_weights else (num_layers, out_channels, out_channels)
        self.weight = nn.Parameter(torch.empty(shape))
        self.rnn = nn.GRUCell(out_channels, out_channels, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        # PyG draws U(-1/sqrt(d), 1/sqrt(d)) for W; the GRU cell keeps torch's default initialisation
        bound = 1.0 / self.out_channels ** 0.5
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
        self.rnn.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        num_nodes = check_feature_width("GatedGraphConv", x, None)
        self.check_graph(edge_index, num_nodes, None, edge_weight)
        if x.size(-1) > self.out_channels:
            raise ValueError(f"'GatedGraphConv' expected 'x' with at most out_channels={self.out_channels} "
                             f"features (got {x.size(-1)}); project the input first")
        if x.size(-1) < self.out_channels:
            x = torch.cat([x, x.new_zeros(x.size(0), self.out_channels - x.size(-1))], dim=1)
        for step in range(self.num_layers):
            weight = self.weight if self.share_weights else self.weight[step]
            message = self.propagate(edge_index, x=x @ weight, edge_weight=edge_weight)
            x = self.rnn(message, x)
        return x

    def message(self, x_j: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: SparseMatrix | Tensor, x: Tensor) -> Tensor:
        return spmm(adj_t, x, reduce=self.aggr)

    def __repr__(self) -> str:
        options = "" if not self.share_weights else ", share_weights=True"
        return f"{type(self).__name__}({self.out_channels}, num_layers={self.num_layers}{options})"
