r"""The gated graph neural network for node selection of Li, Tarlow, Brockschmidt & Zemel, "Gated Graph
Sequence Neural Networks", ICLR 2016 (bAbI tasks 4, 15, 16: the answer is one of the graph's nodes)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv.gated_graph_conv import GatedGraphConv
from gnnlab.nn.linear import Linear
from gnnlab.utils.graph import scatter
from gnnlab.utils.validation import check_feature_width, check_positive_int, describe, fail


class GatedGraphSelector(nn.Module):
    r"""Scores every node of each graph after :math:`T` gated propagation steps over typed edges, and
    normalises the scores over each graph's nodes (Li et al., section 3.3, node selection):

    .. math::
        h_v^{(0)} = [x_v, 0], \qquad
        h^{(T)} = \operatorname{GGNN}_T\big(h^{(0)}, \{A_k\}\big), \qquad
        o_v = \sigma\big(w_g^\top [h_v^{(T)}, x_v] + b_g\big)\,
              \Big(w_o^\top \tanh\big(W_1 [h_v^{(T)}, x_v] + b_1\big) + b_o\Big), \qquad
        p(v \mid G) = \frac{e^{o_v}}{\sum_{u \in G} e^{o_u}},

    where :math:`x_v` are the node annotations (the question's nodes marked), the propagation is
    :class:`~gnnlab.nn.conv.GatedGraphConv` with ``num_edge_types`` and ``share_weights=True`` (one set of
    :math:`2K` matrices and one GRU for every node and every step), and :math:`o_v = g(h_v^{(T)}, x_v)` is the
    authors' output network: a one-hidden-layer score (``hidden``, ``score``; width ``hidden_channels``,
    tanh) times a sigmoid gate (``gate``), both reading the final state and the annotation. Trained with the
    cross-entropy of the answer node; predictions are each graph's argmax.

    Args:
        annotation_channels: the annotation bits per node (1 for bAbI 4, 15, 16); at most ``hidden_channels``.
        hidden_channels: the state size :math:`d` (Li et al.: 4 for task 4, 5 for 15, 6 for 16).
        num_edge_types: :math:`K`, the number of edge types.
        num_layers: the number of propagation steps :math:`T` (Li et al.: 5).

    Shapes:
        ``x: (N, annotation_channels)``, ``edge_index: (2, E)``, ``edge_type: (E,)`` in ``[0, K)``,
        ``batch: (N,)`` or ``None`` (one graph), ``size`` the number of graphs :math:`B` →
        log-probabilities ``(B, N_max)``, :math:`N_{max}` the largest graph's node count: entry ``[g, v]`` is
        :math:`\log p(v \mid G_g)` for the :math:`v`-th node of graph :math:`g` (in the order of its nodes in
        ``x``, a PyG batch's local index), ``-inf`` past its last node; so ``F.nll_loss(out, y)`` is the
        training loss for local answer indices ``y: (B,)`` and ``out.argmax(1)`` the prediction. Every graph
        needs a node.

    Example::

        >>> import torch
        >>> import torch.nn.functional as F
        >>> from gnnlab.nn.models import GatedGraphSelector
        >>> model = GatedGraphSelector(1, hidden_channels=4, num_edge_types=2)
        >>> model
        GatedGraphSelector(1, hidden_channels=4, num_edge_types=2, num_layers=5)
        >>> x = torch.tensor([[0.0], [1.0], [0.0], [1.0], [0.0]])  # two graphs: 3 nodes, then 2
        >>> edge_index = torch.tensor([[0, 1, 3], [1, 2, 4]])
        >>> edge_type, batch = torch.tensor([0, 1, 0]), torch.tensor([0, 0, 0, 1, 1])
        >>> log_probs = model(x, edge_index, edge_type, batch)
        >>> log_probs.shape, log_probs[1, 2]  # the second graph has no third node
        (torch.Size([2, 3]), tensor(-inf, grad_fn=<SelectBackward0>))
        >>> torch.allclose(log_probs.exp().sum(1), torch.ones(2))
        True
        >>> F.nll_loss(log_probs, torch.tensor([2, 1])).shape, log_probs.argmax(1).shape
        (torch.Size([]), torch.Size([2]))
    """

    def __init__(self, annotation_channels: int, *, hidden_channels: int, num_edge_types: int,
                 num_layers: int = 5) -> None:
        """See :class:`GatedGraphSelector` for the arguments."""
        super().__init__()
        who = "GatedGraphSelector"
        check_positive_int(who, "annotation_channels", annotation_channels)
        check_positive_int(who, "hidden_channels", hidden_channels)
        check_positive_int(who, "num_edge_types", num_edge_types)
        check_positive_int(who, "num_layers", num_layers)
        if annotation_channels > hidden_channels:
            fail(who, f"'annotation_channels' at most hidden_channels={hidden_channels} (the annotations are the "
                 f"initial states, zero-padded)", annotation_channels)
        self.annotation_channels, self.hidden_channels = annotation_channels, hidden_channels
        self.num_edge_types, self.num_layers = num_edge_types, num_layers
        self.conv = GatedGraphConv(hidden_channels, num_layers, share_weights=True, num_edge_types=num_edge_types)
        joined = hidden_channels + annotation_channels
        self.gate = Linear(joined, 1)
        self.hidden = Linear(joined, hidden_channels)
        self.score = Linear(hidden_channels, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.conv, self.gate, self.hidden, self.score):
            module.reset_parameters()

    def node_scores(self, x: Tensor, edge_index: Tensor, edge_type: Tensor) -> Tensor:
        r"""The unnormalised scores :math:`o_v`, ``(N,)`` (see :class:`GatedGraphSelector`)."""
        check_feature_width("GatedGraphSelector", x, self.annotation_channels)
        h = self.conv(x, edge_index, edge_type=edge_type)
        joined = torch.cat([h, x.to(h.dtype)], dim=1)
        return (torch.sigmoid(self.gate(joined)) * self.score(torch.tanh(self.hidden(joined)))).view(-1)

    def forward(self, x: Tensor, edge_index: Tensor, edge_type: Tensor, batch: Tensor | None = None,
                size: int | None = None) -> Tensor:
        scores = self.node_scores(x, edge_index, edge_type)
        return graph_log_softmax(scores, _check_batch(scores.size(0), batch), size)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.annotation_channels}, hidden_channels={self.hidden_channels}, "
                f"num_edge_types={self.num_edge_types}, num_layers={self.num_layers})")


def _check_batch(num_nodes: int, batch: Tensor | None) -> Tensor | None:
    if batch is not None and (not isinstance(batch, Tensor) or batch.shape != (num_nodes,)
                              or batch.is_floating_point() or batch.dtype == torch.bool):
        fail("GatedGraphSelector", f"'batch' to be an integer tensor of shape ({num_nodes},), one graph index "
             "per node", describe(batch))
    return batch


def graph_log_softmax(scores: Tensor, batch: Tensor | None, size: int | None = None) -> Tensor:
    r""":math:`\log \operatorname{softmax}` of node ``scores`` over each graph's nodes, laid out per graph.

    Args:
        scores: ``(N,)`` one score per node.
        batch: ``(N,)`` the graph of each node, or ``None`` (one graph).
        size: the number of graphs :math:`B` (default ``batch.max() + 1``).

    Returns:
        ``(B, N_max)``: row :math:`g` holds graph :math:`g`'s nodes in the order they appear in ``scores``,
        then ``-inf``.

    Example::

        >>> import torch
        >>> from gnnlab.nn.models.gated_graph_selector import graph_log_softmax
        >>> graph_log_softmax(torch.zeros(3), torch.tensor([0, 1, 1])).exp()
        tensor([[1.0000, 0.0000],
                [0.5000, 0.5000]])
    """
    if batch is None:
        return torch.log_softmax(scores, 0).view(1, -1)
    batch = batch.long()
    num_graphs = (int(batch.max()) + 1 if batch.numel() else 0) if size is None else size
    counts = torch.bincount(batch, minlength=num_graphs)
    order = torch.argsort(batch, stable=True)
    start = torch.cumsum(counts, 0) - counts
    position = torch.empty_like(batch)
    position[order] = torch.arange(batch.numel(), device=batch.device) - start[batch[order]]
    # the per-graph maximum is a constant of each softmax: detached, it only keeps exp() finite
    shifted = scores - scatter(scores.detach(), batch, 0, num_graphs, "max")[batch]
    log_norm = torch.log(scatter(shifted.exp(), batch, 0, num_graphs, "sum"))
    width = int(counts.max()) if counts.numel() else 0
    out = scores.new_full((num_graphs, width), float("-inf"))
    return out.index_put((batch, position), shifted - log_norm[batch])


__all__ = ["GatedGraphSelector"]
