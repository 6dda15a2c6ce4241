"""The GAT of Veličković et al. (ICLR 2018) for transductive node classification."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from gnnlab.nn.conv.gat_conv import GATConv
from gnnlab.nn.models._base import ConvStack, check_model_args


class GAT(ConvStack):
    r"""Graph attention network: multi-head :class:`~gnnlab.nn.conv.GATConv` layers with ELU.

    .. math:: h^{(1)} = \operatorname{ELU}\Big(\mathop{\Vert}_{k=1}^{K} \text{GAT}^k(X)\Big), \qquad
              Z = \operatorname{mean}_{k=1}^{K_{out}} \text{GAT}^k_{out}(h^{(1)})

    The defaults are the paper's Cora/CiteSeer architecture: 8 heads of 8 hidden units, one output head,
    dropout 0.6 on every layer's input and on the attention coefficients (train with lr 0.005, weight
    decay 5e-4, early stopping with patience 100).

    **Signature.** ``GAT(in_channels, out_channels, *, ...)``: the output width comes second and every other
    argument is keyword-only. PyG's ``torch_geometric.nn.models.GAT(in_channels, hidden_channels, num_layers,
    out_channels, heads=...)`` puts the hidden width and the depth first, so a PyG-style positional call such as
    ``GAT(1433, 8, 2, 7)`` is a ``TypeError`` here, not another network.

    Args:
        in_channels: input features per node.
        out_channels: output logits per node (classes).
        hidden_channels: width of each head in the hidden layers.
        heads: attention heads :math:`K` of every hidden layer (concatenated).
        out_heads: attention heads :math:`K_{out}` of the output layer (averaged).
        num_layers: number of :class:`~gnnlab.nn.conv.GATConv` layers (hops), at least 1.
        dropout: drop probability of every layer's input and of the attention coefficients, in ``[0, 1)``.

    Shapes:
        ``x: (N, in_channels)``, ``edge_index: (2, E)`` → logits ``(N, out_channels)``.

    Example::

        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GAT
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features, 2 classes
        >>> model = GAT(34, 2)
        >>> model
        GAT(34, 2, hidden_channels=8, num_layers=2, heads=8, out_heads=1, dropout=0.6)
        >>> model(data.x, data.edge_index).shape
        torch.Size([34, 2])
        >>> model.embed(data.x, data.edge_index).shape  # 8 heads of 8 units
        torch.Size([34, 64])
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 8, heads: int = 8,
                 out_heads: int = 1, num_layers: int = 2, dropout: float = 0.6) -> None:
        """See :class:`GAT` for the arguments."""
        super().__init__()
        check_model_args("GAT", dropout, in_channels=in_channels, out_channels=out_channels,
                         hidden_channels=hidden_channels, heads=heads, out_heads=out_heads, num_layers=num_layers)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.hidden_channels, self.heads, self.out_heads = hidden_channels, heads, out_heads
        self.num_layers, self.dropout = num_layers, dropout
        convs = []
        width = in_channels
        for _ in range(num_layers - 1):
            convs.append(GATConv(width, hidden_channels, heads=heads, dropout=dropout))
            width = hidden_channels * heads
        convs.append(GATConv(width, out_channels, heads=out_heads, concat=False, dropout=dropout))
        self.convs = nn.ModuleList(convs)
        self.reset_parameters()

    @staticmethod
    def activation(x):
        return F.elu(x)

    def check_inputs(self, x, edge_index, edge_weight=None) -> None:
        if edge_weight is not None:
            raise ValueError("'GAT' expected 'edge_weight' to be None: attention computes the edge weights "
                             f"(got {type(edge_weight).__name__})")
        super().check_inputs(x, edge_index, edge_weight)

    def extra_config(self) -> dict:
        return {"heads": self.heads, "out_heads": self.out_heads}
