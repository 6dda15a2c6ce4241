"""A gated graph neural network (Li et al., ICLR 2016) for node classification."""
from __future__ import annotations

import torch.nn.functional as F

from gnnlab.nn.conv.gated_graph_conv import GatedGraphConv
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.linear import Linear
from gnnlab.nn.models._base import NodeModel, check_model_args


class GGNN(NodeModel):
    r"""Input projection, :math:`T` gated propagation steps, output layer:

    .. math::
        h^{(0)} = \operatorname{ReLU}(X W_{in}), \qquad
        h^{(t+1)} = \operatorname{GRU}\Big(\bigoplus_{j \to i} W h_j^{(t)},\; h_i^{(t)}\Big), \qquad
        Z = h^{(T)} W_{out}.

    The message matrix :math:`W` and the GRU are shared by all nodes and, with ``share_weights=True``
    (Li et al., the default: the library's gated GNN shares its aggregate/update weights across steps), by
    all :math:`T` steps (``num_layers``) (``share_weights=False``: one :math:`W` per step, as PyG's
    ``GatedGraphConv``). Dropout on the input, on :math:`h^{(0)}` and on :math:`h^{(T)}`.
    Defaults found on Cora: 64 hidden units, 2 steps, mean aggregation, dropout 0.6 (lr 0.01,
    weight decay 5e-4).

    **Signature.** ``GGNN(in_channels, out_channels, *, ...)``: every argument after the output width is
    keyword-only (PyG has no GGNN model, only the layer ``GatedGraphConv(out_channels, num_layers)``), so a
    positional call in the order of PyG's models (``GGNN(1433, 64, 2, 7)``: in, hidden, depth, out) is a
    ``TypeError``.

    Args:
        in_channels: input features per node.
        out_channels: output logits per node (classes).
        hidden_channels: the state size :math:`d` of the propagation steps.
        num_layers: number of propagation steps :math:`T`.
        dropout: drop probability on the input, on :math:`h^{(0)}` and on :math:`h^{(T)}`, in ``[0, 1)``.
        aggr: the aggregation :math:`\bigoplus` of the messages (see :class:`~gnnlab.nn.conv.GatedGraphConv`).
        share_weights: one message matrix :math:`W` for all steps (``False``: one per step).

    Shapes:
        ``x: (N, in_channels)``, ``edge_index: (2, E)`` → logits ``(N, out_channels)``.

    Example::

        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GGNN
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features, 2 classes
        >>> model = GGNN(34, 2, hidden_channels=16)
        >>> model
        GGNN(34, 2, hidden_channels=16, num_layers=2, aggr=mean, share_weights=True, dropout=0.6)
        >>> model(data.x, data.edge_index).shape
        torch.Size([34, 2])
        >>> model.conv.weight.shape  # one message matrix for both steps
        torch.Size([16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 64, num_layers: int = 2,
                 dropout: float = 0.6, aggr: str = "mean", share_weights: bool = True) -> None:
        """See :class:`GGNN` for the arguments."""
        super().__init__()
        check_model_args("GGNN", dropout, in_channels=in_channels, out_channels=out_channels,
                         hidden_channels=hidden_channels, num_layers=num_layers)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.hidden_channels, self.num_layers, self.dropout = hidden_channels, num_layers, dropout
        self.aggr, self.share_weights = aggr, share_weights
        self.lin_in = Linear(in_channels, hidden_channels)
        self.conv = GatedGraphConv(hidden_channels, num_layers, aggr=aggr, share_weights=share_weights)
        self.lin_out = Linear(hidden_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()  # the input checks
        self.lin_in.reset_parameters()
        self.conv.reset_parameters()
        self.lin_out.reset_parameters()

    def _run(self, x, edge_index, edge_weight, hops=None):
        h = F.relu(self.lin_in(dropout(x, self.dropout, self.training)))
        h = self.conv(dropout(h, self.dropout, self.training), edge_index, edge_weight)
        hidden = dropout(h, self.dropout, self.training)
        return self.lin_out(hidden), hidden

    def extra_config(self) -> dict:
        return {"aggr": self.aggr, "share_weights": self.share_weights}
