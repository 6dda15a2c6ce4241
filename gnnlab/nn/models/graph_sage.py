"""GraphSAGE (Hamilton et al., NeurIPS 2017) for node classification."""
from __future__ import annotations

from torch import nn

from gnnlab.nn.conv.sage_conv import SAGEConv
from gnnlab.nn.models._base import ConvStack, check_model_args


class GraphSAGE(ConvStack):
    r"""A stack of :class:`~gnnlab.nn.conv.SAGEConv` layers with ReLU and dropout:

    .. math:: h_i^{(l+1)} = \operatorname{ReLU}\Big(W_1^{(l)} h_i^{(l)} +
              W_2^{(l)} \operatorname{mean}_{j \in \mathcal{N}(i)} h_j^{(l)}\Big)

    (no ReLU after the last layer, which gives the logits). Dropout before every layer. Defaults:
    64 hidden units, mean aggregation, dropout 0.5 (lr 0.01, weight decay 5e-4).

    **Signature.** ``GraphSAGE(in_channels, out_channels, *, ...)``: the output width comes second and every other
    argument is keyword-only. PyG's ``torch_geometric.nn.models.GraphSAGE(in_channels, hidden_channels, num_layers,
    out_channels)`` puts the hidden width and the depth first, so a PyG-style positional call such as
    ``GraphSAGE(1433, 64, 2, 7)`` is a ``TypeError`` here, not another network.

    Args:
        in_channels: input features per node.
        out_channels: output logits per node (classes).
        hidden_channels: width of every hidden layer.
        num_layers: number of :class:`~gnnlab.nn.conv.SAGEConv` layers (hops), at least 1.
        dropout: drop probability before every layer, in ``[0, 1)``.
        aggr: the neighbourhood aggregation of every layer, ``"mean"``, ``"sum"``, ``"max"``, ``"min"`` or
            ``"lstm"`` (see :class:`~gnnlab.nn.conv.SAGEConv`).

    Shapes:
        ``x: (N, in_channels)``, ``edge_index: (2, E)`` → logits ``(N, out_channels)``.

    Example::

        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GraphSAGE
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features, 2 classes
        >>> model = GraphSAGE(34, 2, aggr="max")
        >>> model
        GraphSAGE(34, 2, hidden_channels=64, num_layers=2, aggr=max, dropout=0.5)
        >>> model(data.x, data.edge_index).shape
        torch.Size([34, 2])
        >>> model.inference(data.x, data.edge_index, batch_size=8).shape  # layer by layer, 8 targets at a time
        torch.Size([34, 2])
    """

    narrows_targets = True

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 64, num_layers: int = 2,
                 dropout: float = 0.5, aggr: str = "mean") -> None:
        """See :class:`GraphSAGE` for the arguments."""
        super().__init__()
        check_model_args("GraphSAGE", dropout, in_channels=in_channels, out_channels=out_channels,
                         hidden_channels=hidden_channels, num_layers=num_layers)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.hidden_channels, self.num_layers, self.dropout, self.aggr = hidden_channels, num_layers, dropout, aggr
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(SAGEConv(a, b, aggr=aggr) for a, b in zip(sizes[:-1], sizes[1:]))
        self.reset_parameters()

    def extra_config(self) -> dict:
        return {"aggr": self.aggr}
