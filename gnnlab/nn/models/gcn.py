"""The GCN of Kipf & Welling (ICLR 2017), any depth."""
from __future__ import annotations

from torch import nn

from gnnlab.nn.conv.gcn_conv import GCNConv
from gnnlab.nn.models._base import ConvStack, check_model_args


class GCN(ConvStack):
    r"""A stack of :class:`~gnnlab.nn.conv.GCNConv` layers with ReLU and dropout:

    .. math:: Z = \tilde{A}\, \operatorname{ReLU}(\tilde{A} X W^{(0)}) W^{(1)}, \qquad
              \tilde{A} = \hat{D}^{-1/2}(A + I)\hat{D}^{-1/2}

    (Kipf & Welling 2017, eq. 9), with dropout before every layer, the input included. The defaults are
    the paper's Cora/CiteSeer setting: 16 hidden units, dropout 0.5 (train with lr 0.01, weight decay 5e-4,
    200 epochs).

    **Signature.** ``GCN(in_channels, out_channels, *, ...)``: the output width comes second and every other
    argument is keyword-only. PyG's ``torch_geometric.nn.models.GCN(in_channels, hidden_channels, num_layers,
    out_channels)`` puts the hidden width and the depth first, so a PyG-style positional call such as ``GCN(1433,
    16, 2, 7)`` is a ``TypeError`` here, not another network.

    Shapes:
        ``x: (N, in_channels)``, ``edge_index: (2, E)`` → logits ``(N, out_channels)``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 16, num_layers: int = 2,
                 dropout: float = 0.5) -> None:
        super().__init__()
        check_model_args("GCN", dropout, in_channels=in_channels, out_channels=out_channels,
                         hidden_channels=hidden_channels, num_layers=num_layers)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.hidden_channels, self.num_layers, self.dropout = hidden_channels, num_layers, dropout
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.reset_parameters()
