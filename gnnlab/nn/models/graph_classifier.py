"""Graph classification with any of gnnlab's message-passing layers: a stack of layers, a readout, an MLP head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.nn.conv.gat_conv import GATConv
from gnnlab.nn.conv.gated_graph_conv import GatedGraphConv
from gnnlab.nn.conv.gcn_conv import GCNConv
from gnnlab.nn.conv.message_passing import share_graph_caches
from gnnlab.nn.conv.sage_conv import SAGEConv
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.models._base import check_model_args
from gnnlab.nn.models._graph import GraphModel
from gnnlab.nn.pool.attentional_aggregation import AttentionalAggregation
from gnnlab.nn.pool.gated_readout import GatedReadout
from gnnlab.nn.pool.glob import global_add_pool, global_max_pool, global_mean_pool
from gnnlab.utils.validation import check_choice, check_positive_int

_POOLS = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}
CONVS = ("gcn", "sage", "gat", "ggnn")
READOUTS = ("sum", "mean", "max", "attention", "gated")


class GraphClassifier(GraphModel):
    r"""A graph classifier built from one kind of message-passing layer:

    .. math::
        h^{(k)} = \operatorname{ReLU}\big(\operatorname{conv}^{(k)}(h^{(k-1)}, A)\big), \quad h^{(0)} = x, \qquad
        h_G = \operatorname{READOUT}\big(\{h_v^{(K)} : v \in G\}\big), \qquad
        z_G = W_2\, \operatorname{dropout}\big(\operatorname{ReLU}(W_1 h_G + b_1)\big) + b_2.

    ``conv`` is ``"gcn"`` (:class:`~gnnlab.nn.conv.GCNConv`), ``"sage"`` (:class:`~gnnlab.nn.conv.SAGEConv`,
    mean aggregation), ``"gat"`` (:class:`~gnnlab.nn.conv.GATConv`, ``heads`` heads of
    ``hidden_channels // heads`` units, concatenated, ELU instead of ReLU) or ``"ggnn"``: Li et al.'s gated GNN,
    the input zero-padded to ``hidden_channels`` and ``num_layers`` propagation steps of one
    :class:`~gnnlab.nn.conv.GatedGraphConv` whose message matrix and GRU every step shares, read out by default
    with Li et al.'s gated readout :math:`h_G = \tanh\big(\sum_v \sigma(i([h_v, x_v])) \odot
    \tanh(j([h_v, x_v]))\big)` (:class:`~gnnlab.nn.pool.GatedReadout`). The readouts: ``"sum"``, ``"mean"``,
    ``"max"``, ``"attention"`` (:class:`~gnnlab.nn.pool.AttentionalAggregation` with a linear gate) and
    ``"gated"``. For GIN (its own MLPs and a prediction at every depth) use :class:`~gnnlab.nn.models.GIN`.

    Args:
        in_channels: input features per node.
        out_channels: logits per graph (classes).
        conv: ``"gcn"``, ``"sage"``, ``"gat"`` or ``"ggnn"``.
        hidden_channels: width of every layer (the GGNN's state size; GAT's heads together).
        num_layers: message-passing layers (GGNN: propagation steps).
        readout: ``"sum"``, ``"mean"``, ``"max"``, ``"attention"`` or ``"gated"`` (default: ``"gated"`` for
            ``"ggnn"``, ``"mean"`` otherwise).
        dropout: drop probability in the head, in ``[0, 1)``.
        heads: GAT's attention heads (must divide ``hidden_channels``).

    Shapes:
        ``x: (N, in_channels)``, ``edge_index: (2, E)``, ``batch: (N,)`` → ``(B, out_channels)``.

    Example::

        >>> from torch_geometric.loader import DataLoader
        >>> from gnnlab.data import load_tu
        >>> from gnnlab.nn.models import GraphClassifier
        >>> dataset = load_tu("MUTAG")
        >>> model = GraphClassifier(7, 2, conv="ggnn")
        >>> model
        GraphClassifier(7, 2, conv=ggnn, hidden_channels=64, num_layers=3, readout=gated, dropout=0.5)
        >>> data = next(iter(DataLoader(dataset, batch_size=16)))
        >>> model(data.x, data.edge_index, data.batch).shape
        torch.Size([16, 2])
        >>> GraphClassifier(7, 2, conv="gat", heads=4, readout="attention").convs[0]
        GATConv(7, 16, heads=4)
    """

    def __init__(self, in_channels: int, out_channels: int, *, conv: str = "gcn", hidden_channels: int = 64,
                 num_layers: int = 3, readout: str | None = None, dropout: float = 0.5, heads: int = 4) -> None:
        """See :class:`GraphClassifier` for the arguments."""
        super().__init__()
        who = "GraphClassifier"
        check_choice(who, "conv", conv, CONVS)
        readout = ("gated" if conv == "ggnn" else "mean") if readout is None else readout
        check_choice(who, "readout", readout, READOUTS)
        check_model_args(who, dropout, in_channels=in_channels, out_channels=out_channels,
                         hidden_channels=hidden_channels, num_layers=num_layers)
        heads = check_positive_int(who, "heads", heads)
        if conv == "gat" and hidden_channels % heads:
            raise ValueError(f"'{who}' expected 'hidden_channels' divisible by 'heads' (got {hidden_channels} and "
                             f"{heads})")
        if conv == "ggnn" and in_channels > hidden_channels:
            raise ValueError(f"'{who}' expected 'hidden_channels' >= 'in_channels' for conv='ggnn' (the input is "
                             f"padded to the state size; got {hidden_channels} < {in_channels})")
        self.in_channels, self.out_channels, self.conv = in_channels, out_channels, conv
        self.hidden_channels, self.num_layers, self.readout = hidden_channels, num_layers, readout
        self.dropout, self.heads = dropout, heads
        self.convs = nn.ModuleList(self._layers())
        share_graph_caches(self.convs)  # every layer sees the batch's graph: one check, one adjacency per batch
        for layer in self.convs:
            # each batch is a new graph, its sparse adjacency built at every step: per edge is as fast or faster
            # (PROTEINS, batches of 32), except for GCN, whose normalisation is computed on the sparse form anyway
            layer.fuse = conv == "gcn"
        self.pool = self._readout_module()
        readout_width = hidden_channels
        self.head = nn.ModuleList([nn.Linear(readout_width, hidden_channels), nn.Linear(hidden_channels,
                                                                                         out_channels)])
        self.reset_parameters()

    def _layers(self) -> list[nn.Module]:
        hidden, widths = self.hidden_channels, [self.in_channels] + [self.hidden_channels] * self.num_layers
        if self.conv == "ggnn":
            return [GatedGraphConv(hidden, self.num_layers, share_weights=True)]
        if self.conv == "gcn":
            return [GCNConv(a, b) for a, b in zip(widths, widths[1:])]
        if self.conv == "sage":
            return [SAGEConv(a, b) for a, b in zip(widths, widths[1:])]
        return [GATConv(a, hidden // self.heads, heads=self.heads) for a in widths[:-1]]

    def _readout_module(self) -> nn.Module | None:
        if self.readout == "attention":
            return AttentionalAggregation(nn.Linear(self.hidden_channels, 1))
        if self.readout == "gated":
            return GatedReadout(self.hidden_channels, self.in_channels, self.hidden_channels)
        return None

    def reset_parameters(self) -> None:
        super().reset_parameters()
        for module in (*self.convs, *self.head):
            module.reset_parameters()
        if self.pool is not None:
            self.pool.reset_parameters()

    def _run(self, x: Tensor, edge_index: Tensor, batch: Tensor | None, size: int) -> Tensor:
        h = x
        for conv in self.convs:
            h = conv(h, edge_index)
            if self.conv != "ggnn":
                h = F.elu(h) if self.conv == "gat" else torch.relu(h)
        if batch is None:
            batch = torch.zeros(h.size(0), dtype=torch.long, device=h.device)
        if self.readout == "attention":
            graph = self.pool(h, batch, dim_size=size)
        elif self.readout == "gated":
            graph = self.pool(h, x, batch, size)
        else:
            graph = _POOLS[self.readout](h, batch, size)
        hidden = dropout(torch.relu(self.head[0](graph)), self.dropout, self.training)
        return self.head[1](hidden)

    def __repr__(self) -> str:
        heads = f", heads={self.heads}" if self.conv == "gat" else ""
        return (f"GraphClassifier({self.in_channels}, {self.out_channels}, conv={self.conv}, "
                f"hidden_channels={self.hidden_channels}, num_layers={self.num_layers}, readout={self.readout}"
                f"{heads}, dropout={self.dropout})")


__all__ = ["GraphClassifier"]
