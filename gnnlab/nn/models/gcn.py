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

    Args:
        in_channels: input features per node.
        out_channels: output logits per node (classes).
        hidden_channels: width of every hidden layer.
        num_layers: number of :class:`~gnnlab.nn.conv.GCNConv` layers (hops), at least 1.
        dropout: drop probability before every layer, in ``[0, 1)``.

    Shapes:
        ``x: (N, in_channels)``, ``edge_index: (2, E)`` → logits ``(N, out_channels)``.

    Example::

        >>> import torch
        >>> import torch.nn.functional as F
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GCN
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features, 2 classes
        >>> model = GCN(34, 2)
        >>> model
        GCN(34, 2, hidden_channels=16, num_layers=2, dropout=0.5)
        >>> optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        >>> for epoch in range(5):
        ...     optimizer.zero_grad()
        ...     loss = F.cross_entropy(model(data.x, data.edge_index), data.y)
        ...     loss.backward()
        ...     optimizer.step()
        >>> _ = model.eval()
        >>> model(data.x, data.edge_index).shape
        torch.Size([34, 2])
        >>> GCN(34, 16, 2, 2)  # PyG's positional order (in, hidden, depth, out) is refused
        Traceback (most recent call last):
            ...
        TypeError: ...takes 3 positional arguments but 5 were given
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 16, num_layers: int = 2,
                 dropout: float = 0.5) -> None:
        """See :class:`GCN` for the arguments."""
        super().__init__()
        check_model_args("GCN", dropout, in_channels=in_channels, out_channels=out_channels,
                         hidden_channels=hidden_channels, num_layers=num_layers)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.hidden_channels, self.num_layers, self.dropout = hidden_channels, num_layers, dropout
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.reset_parameters()
