r"""The gated graph-level readout of Li, Tarlow, Brockschmidt & Zemel, "Gated Graph Sequence Neural Networks",
ICLR 2016 (section 3.3)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.linear import Linear
from gnnlab.nn.pool.glob import global_add_pool
from gnnlab.utils.validation import check_positive_int, describe, fail


class GatedReadout(nn.Module):
    r"""One vector per graph from its nodes' final states and annotations, each node's share gated by how
    relevant it is to the graph-level task (Li et al., eq. 7):

    .. math::
        h_G = \tanh\Big(\sum_{v \in G} \sigma\big(i([h_v^{(T)}, x_v])\big) \odot
        \tanh\big(j([h_v^{(T)}, x_v])\big)\Big),

    with :math:`i` (``gate``) and :math:`j` (``transform``) linear layers and :math:`x_v` the node annotations
    (the gated GNN's input). The sigmoid is a soft attention that decides which nodes count; the sum runs over
    each graph of a batch (:func:`~gnnlab.nn.global_add_pool`), and a graph without nodes gets
    :math:`\tanh(0) = 0`.

    Args:
        hidden_channels: the width of the node states :math:`h_v` (the gated layer's ``out_channels``).
        annotation_channels: the width of the annotations :math:`x_v` (``0``: none, the readout of :math:`h_v`
            alone).
        out_channels: the width of :math:`h_G`.

    Shapes:
        ``h: (N, hidden_channels)``, ``x: (N, annotation_channels)``, ``batch: (N,)`` or ``None`` (one graph),
        ``size``: the number of graphs :math:`B` (default ``batch.max() + 1``) → ``(B, out_channels)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import GatedReadout
        >>> readout = GatedReadout(4, 2, 3)
        >>> readout
        GatedReadout(4, 2, 3)
        >>> h, x = torch.randn(5, 4), torch.eye(5, 2)  # two annotated nodes
        >>> readout(h, x).shape  # one graph
        torch.Size([1, 3])
        >>> readout(h, x, batch=torch.tensor([0, 0, 1, 1, 1])).shape
        torch.Size([2, 3])
        >>> readout(h, x, batch=torch.tensor([0, 0, 1, 1, 1]), size=3)[2]  # a graph without nodes
        tensor([0., 0., 0.], grad_fn=<SelectBackward0>)
    """

    def __init__(self, hidden_channels: int, annotation_channels: int, out_channels: int) -> None:
        """See :class:`GatedReadout` for the arguments."""
        super().__init__()
        who = "GatedReadout"
        check_positive_int(who, "hidden_channels", hidden_channels)
        check_positive_int(who, "annotation_channels", annotation_channels, minimum=0)
        check_positive_int(who, "out_channels", out_channels)
        self.hidden_channels, self.annotation_channels = hidden_channels, annotation_channels
        self.out_channels = out_channels
        self.gate = Linear(hidden_channels + annotation_channels, out_channels)
        self.transform = Linear(hidden_channels + annotation_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.gate.reset_parameters()
        self.transform.reset_parameters()

    def forward(self, h: Tensor, x: Tensor, batch: Tensor | None = None, size: int | None = None) -> Tensor:
        who = "GatedReadout"
        for name, value, width in (("h", h, self.hidden_channels), ("x", x, self.annotation_channels)):
            if not isinstance(value, Tensor) or value.dim() != 2 or value.size(1) != width:
                fail(who, f"'{name}' of shape (N, {width})", describe(value))
        if x.size(0) != h.size(0):
            fail(who, f"'x' with one row per node of 'h' ({h.size(0)})", f"{x.size(0)} rows")
        joined = torch.cat([h, x.to(h.dtype)], dim=1)
        gated = torch.sigmoid(self.gate(joined)) * torch.tanh(self.transform(joined))
        return torch.tanh(global_add_pool(gated, batch, size))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.hidden_channels}, {self.annotation_channels}, {self.out_channels})"
