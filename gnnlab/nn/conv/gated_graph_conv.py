r"""The gated graph neural network of Li, Tarlow, Brockschmidt & Zemel, "Gated Graph Sequence Neural
Networks", ICLR 2016."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.utils.validation import check_positive_int


class GatedGraphConv(MessagePassing):
    r"""Gated graph convolution: :math:`T` propagation steps with a GRU update

    .. math::
        h_i^{(0)} = x_i \Vert 0, \qquad
        m_i^{(t+1)} = \bigoplus_{j \to i} w_{ji}\, W^{(t)} h_j^{(t)}, \qquad
        h_i^{(t+1)} = \operatorname{GRU}\big(m_i^{(t+1)}, h_i^{(t)}\big),

    with the input zero-padded to ``out_channels``. With ``share_weights=True`` (Li et al.) one message
    matrix :math:`W` and one GRU cell serve every node *and every step*, so the parameter count does not
    depend on ``num_layers``. ``share_weights=False`` learns one :math:`W^{(t)}` per step (sharing the GRU),
    as PyG's ``GatedGraphConv`` does, and loads its state_dict.

    Args:
        out_channels: hidden size :math:`d` (input features are padded up to it).
        num_layers: number of propagation steps :math:`T`.
        aggr: ``"add"``/``"sum"``, ``"mean"`` or ``"max"``.
        share_weights: one message matrix for all steps.

    Shapes:
        ``x: (N, F_in)`` with ``F_in <= out_channels``, ``edge_index: (2, E)``, ``edge_weight: (E,)``
        → ``(N, out_channels)``. ``weight`` is ``(d, d)`` when shared, ``(T, d, d)`` otherwise.
    """

    def __init__(self, out_channels: int, num_layers: int, aggr: str = "add", share_weights: bool = True) -> None:
        super().__init__(aggr=aggr)
        check_positive_int("GatedGraphConv", "out_channels", out_channels)
        check_positive_int("GatedGraphConv", "num_layers", num_layers)
        self.out_channels, self.num_layers, self.share_weights = out_channels, num_layers, share_weights
        shape = (out_channels, out_channels) if share_weights else (num_layers, out_channels, out_channels)
        self.weight = nn.Parameter(torch.empty(shape))
        self.rnn = nn.GRUCell(out_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyG draws U(-1/sqrt(d), 1/sqrt(d)) for W; the GRU cell keeps torch's default initialisation
        bound = 1.0 / self.out_channels ** 0.5
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
        self.rnn.reset_parameters()
        self._adjacency_cache.clear()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        num_nodes = self.check_inputs(x, edge_index, None, edge_weight)
        if x.size(-1) > self.out_channels:
            raise ValueError(f"'GatedGraphConv' expected 'x' with at most out_channels={self.out_channels} "
                             f"features (got {x.size(-1)}); project the input first")
        if x.size(-1) < self.out_channels:
            x = torch.cat([x, x.new_zeros(x.size(0), self.out_channels - x.size(-1))], dim=1)
        for step in range(self.num_layers):
            weight = self.weight if self.share_weights else self.weight[step]
            message = x @ weight
            aggregated = self.linear_aggregation(message, edge_index, edge_weight, num_nodes)
            if aggregated is None:
                aggregated = self.propagate(edge_index, x=message, edge_weight=edge_weight,
                                            size=(num_nodes, num_nodes))
            x = self.rnn(aggregated, x)
        return x

    def message(self, x_j: Tensor, edge_weight: Tensor | None) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.out_channels}, num_layers={self.num_layers}, aggr={self.aggr}, "
                f"share_weights={self.share_weights})")
