r"""The gated graph neural network of Li, Tarlow, Brockschmidt & Zemel, "Gated Graph Sequence Neural
Networks", ICLR 2016."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric import EdgeIndex

from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, spmm
from gnnlab.nn.linear import Linear
from gnnlab.utils.validation import check_feature_width, check_positive_int, describe, fail


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

    **Edge types** (``num_edge_types=K``: Li et al.'s propagation model, their eqs. 3-6). An edge
    :math:`j \to i` of type :math:`k` carries a message both ways: :math:`W^{out}_k h_j + b^{out}_k` along it, to
    :math:`i`, and :math:`W^{in}_k h_i + b^{in}_k` against it, to :math:`j`. Each node aggregates the two
    directions separately and the paper's GRU reads both halves,

    .. math::
        a_i^{(t+1)} = \Big[\bigoplus_{j \xrightarrow{k} i} w_{ji} \big(W^{out}_k h_j^{(t)} + b^{out}_k\big)
        \;\Big\Vert\; \bigoplus_{i \xrightarrow{k} j} w_{ij} \big(W^{in}_k h_j^{(t)} + b^{in}_k\big)\Big]
        \in \mathbb{R}^{2d},

        z = \sigma\big(W^z a + U^z h + b^z\big), \quad r = \sigma\big(W^r a + U^r h + b^r\big), \quad
        \tilde h = \tanh\big(W a + U (r \odot h) + b\big), \quad
        h^{(t+1)} = (1 - z) \odot h^{(t)} + z \odot \tilde h,

    which is Li et al.'s :math:`a_v = A_v^\top [h_1 \dots h_{|V|}] + b` with :math:`A = [A^{(out)}, A^{(in)}]`.
    The message bias is one vector per type and direction, added to every message as in the authors' code (the
    paper's single :math:`b` would only shift the gates' biases). The update is the paper's GRU, reset gate
    *inside* the product (:math:`U (r \odot h)`), as the authors' code computes it: ``rnn.gates`` maps
    :math:`[a, h]` to :math:`[z, r]` and ``rnn.transform`` maps :math:`[a, r \odot h]` to :math:`\tilde h`.
    (``torch.nn.GRUCell``, which the untyped layer keeps for PyG's sake, writes :math:`r \odot (U h + b)`; on
    bAbI it trained less reliably: :mod:`gnnlab.experiments.babi`.)
    Inside the message-passing contract each node holds :math:`2K` transformed copies of its state, one per
    (direction, type), and each node receives into two slots, one per direction: :meth:`propagate` runs on that
    graph of :math:`2E` edges, the per-edge path and the fused sparse product alike, and :meth:`message` stays
    the weighted source row.

    Args:
        out_channels: hidden size :math:`d` (input features are padded up to it).
        num_layers: number of propagation steps :math:`T`.
        aggr: ``"add"``/``"sum"``, ``"mean"``, ``"max"``, ``"min"`` or ``"mul"`` (with edge types: over each
            direction's messages separately).
        bias: biases in the GRU cell (and, with edge types, the message biases :math:`b^{out}_k, b^{in}_k`
            and those of the gates).
        share_weights: one message matrix for all steps (with edge types: one set of :math:`2K`).
        num_edge_types: :math:`K`, the number of edge types; ``None`` (default): untyped edges, PyG's layer.
        **kwargs: ``flow``, ``node_dim`` of :class:`MessagePassing`.

    Shapes:
        ``x: (N, F_in)`` with ``F_in <= out_channels``, ``edge_index: (2, E)`` or a torch.sparse
        ``adj_t: (N, N)``, ``edge_weight: (E,)`` → ``(N, out_channels)``. ``weight`` is ``(T, d, d)``, or
        ``(d, d)`` when shared. With edge types: ``edge_index: (2, E)`` (a tensor) and ``edge_type: (E,)`` in
        ``[0, K)``; ``weight`` is ``(T, 2K, d, d)`` or ``(2K, d, d)``, entries ``[k]`` for :math:`W^{out}_k`
        and ``[K + k]`` for :math:`W^{in}_k` (applied as ``h @ weight[k]``), ``message_bias`` ``(T, 2K, d)``
        or ``(2K, d)``; ``rnn.gates`` ``(3d → 2d)`` and ``rnn.transform`` ``(3d → d)``.

    Example::

        >>> import torch
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
        >>> typed = GatedGraphConv(8, 5, share_weights=True, num_edge_types=2)  # Li et al.'s bAbI layer
        >>> typed
        GatedGraphConv(8, num_layers=5, share_weights=True, num_edge_types=2)
        >>> edge_index = torch.tensor([[0, 1], [1, 2]])  # 0 -> 1 of type 0, 1 -> 2 of type 1
        >>> typed(torch.eye(3), edge_index, edge_type=torch.tensor([0, 1])).shape
        torch.Size([3, 8])
        >>> typed.weight.shape, typed.message_bias.shape  # W_out[0], W_out[1], W_in[0], W_in[1]
        (torch.Size([4, 8, 8]), torch.Size([4, 8]))
    """

    fuse_edge_index = True

    def __init__(self, out_channels: int, num_layers: int, aggr: str = "add", bias: bool = True,
                 share_weights: bool = False, *, num_edge_types: int | None = None, **kwargs: Any) -> None:
        """See :class:`GatedGraphConv` for the arguments."""
        super().__init__(aggr=aggr, **kwargs)
        check_positive_int("GatedGraphConv", "out_channels", out_channels)
        check_positive_int("GatedGraphConv", "num_layers", num_layers)
        if num_edge_types is not None:
            check_positive_int("GatedGraphConv", "num_edge_types", num_edge_types)
        self.out_channels, self.num_layers, self.share_weights = out_channels, num_layers, share_weights
        self.num_edge_types = num_edge_types
        steps = () if share_weights else (num_layers,)
        copies = () if num_edge_types is None else (2 * num_edge_types,)
        self.weight = nn.Parameter(torch.empty(*steps, *copies, out_channels, out_channels))
        if num_edge_types is not None and bias:
            self.message_bias = nn.Parameter(torch.empty(*steps, *copies, out_channels))
        else:
            self.register_parameter("message_bias", None)
        if num_edge_types is None:
            self.rnn = nn.GRUCell(out_channels, out_channels, bias=bias)
        else:
            self.rnn = _PaperGRUCell(2 * out_channels, out_channels, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        # PyG draws U(-1/sqrt(d), 1/sqrt(d)) for W (a Linear's bound, which the message biases take too); the GRU
        # cells keep their Linear layers' default initialisation
        bound = 1.0 / self.out_channels ** 0.5
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.message_bias is not None:
                self.message_bias.uniform_(-bound, bound)
        self.rnn.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                edge_type: Tensor | None = None) -> Tensor:
        num_nodes = check_feature_width("GatedGraphConv", x, None)
        self.check_graph(edge_index, num_nodes, None, edge_weight)
        if x.size(-1) > self.out_channels:
            raise ValueError(f"'GatedGraphConv' expected 'x' with at most out_channels={self.out_channels} "
                             f"features (got {x.size(-1)}); project the input first")
        if x.size(-1) < self.out_channels:
            x = torch.cat([x, x.new_zeros(x.size(0), self.out_channels - x.size(-1))], dim=1)
        if self.num_edge_types is not None:
            return self._typed_forward(x, edge_index, edge_weight, edge_type)
        if edge_type is not None:
            fail("GatedGraphConv", "no 'edge_type' from a layer built without num_edge_types (build it with "
                 "GatedGraphConv(..., num_edge_types=K) to give each type its own matrices)", describe(edge_type))
        for step in range(self.num_layers):
            weight = self.weight if self.share_weights else self.weight[step]
            message = self.propagate(edge_index, x=x @ weight, edge_weight=edge_weight)
            x = self.rnn(message, x)
        return x

    def _typed_forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None,
                       edge_type: Tensor | None) -> Tensor:
        num_nodes, width = x.shape
        copies = 2 * self.num_edge_types
        typed_index, size, typed_weight = self._typed_graph(edge_index, edge_type, edge_weight, num_nodes)
        for step in range(self.num_layers):
            weight = self.weight if self.share_weights else self.weight[step]
            # row n * 2K + c of `transformed` is node n's copy c: W_out[k] h_n for c = k, W_in[k] h_n for c = K + k
            transformed = torch.einsum("nd,cde->nce", x, weight)
            if self.message_bias is not None:
                transformed = transformed + (self.message_bias if self.share_weights else self.message_bias[step])
            message = self.propagate(typed_index, size=size, x=transformed.reshape(num_nodes * copies, width),
                                     edge_weight=typed_weight)
            x = self.rnn(message.reshape(num_nodes, 2 * width), x)  # slot 2i: along the edges, 2i + 1: against
        return x

    def _typed_graph(self, edge_index: Tensor, edge_type: Tensor | None, edge_weight: Tensor | None,
                     num_nodes: int) -> tuple[Tensor, tuple[int, int], Tensor | None]:
        """The graph :meth:`propagate` runs on with edge types: for each edge ``j -> i`` of type ``k`` (in the
        layer's ``flow``), one edge from copy ``k`` of ``j`` into slot ``2i`` and one from copy ``K + k`` of ``i``
        into slot ``2j + 1``; the sizes ``(N_src, N_dst)`` in ``propagate``'s convention and the weights."""
        who, count = "GatedGraphConv", self.num_edge_types
        if not isinstance(edge_index, Tensor) or is_torch_sparse(edge_index):
            fail(who, "'edge_index' to be a (2, E) tensor when the layer has edge types (with 'edge_type')",
                 describe(edge_index))
        if not isinstance(edge_type, Tensor) or edge_type.is_floating_point() or edge_type.dtype == torch.bool \
                or edge_type.shape != (edge_index.size(1),):
            fail(who, f"'edge_type' to be an integer tensor of shape ({edge_index.size(1)},), one type in "
                 f"[0, {count}) per edge (the layer has num_edge_types={count})", describe(edge_type))
        if edge_type.numel() and (int(edge_type.min()) < 0 or int(edge_type.max()) >= count):
            fail(who, f"'edge_type' values in [0, {count}) (num_edge_types={count})",
                 f"values from {int(edge_type.min())} to {int(edge_type.max())}")
        plain = (edge_index.as_tensor() if isinstance(edge_index, EdgeIndex) else edge_index).long()
        edge_type = edge_type.long()
        source, target = (plain[0], plain[1]) if self.flow == "source_to_target" else (plain[1], plain[0])
        copies = 2 * count
        from_copy = torch.cat([source * copies + edge_type, target * copies + count + edge_type])
        into_slot = torch.cat([target * 2, source * 2 + 1])
        if self.flow == "source_to_target":
            typed_index, size = torch.stack([from_copy, into_slot]), (num_nodes * copies, 2 * num_nodes)
        else:
            typed_index, size = torch.stack([into_slot, from_copy]), (2 * num_nodes, num_nodes * copies)
        typed_weight = None if edge_weight is None else torch.cat([edge_weight, edge_weight])
        return typed_index, size, typed_weight

    def message(self, x_j: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: SparseMatrix | Tensor, x: Tensor) -> Tensor:
        return spmm(adj_t, x, reduce=self.aggr)

    def __repr__(self) -> str:
        options = "" if not self.share_weights else ", share_weights=True"
        if self.num_edge_types is not None:
            options += f", num_edge_types={self.num_edge_types}"
        return f"{type(self).__name__}({self.out_channels}, num_layers={self.num_layers}{options})"


class _PaperGRUCell(nn.Module):
    r"""Li et al.'s GRU (their eqs. 4-6, with the authors' biases): :math:`[z, r] = \sigma(L_g([a, h]))`,
    :math:`\tilde h = \tanh(L_t([a, r \odot h]))`, :math:`h' = (1 - z) \odot h + z \odot \tilde h`; called as
    ``torch.nn.GRUCell``, ``cell(a, h)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.gates = Linear(input_size + hidden_size, 2 * hidden_size, bias=bias)
        self.transform = Linear(input_size + hidden_size, hidden_size, bias=bias)

    def reset_parameters(self) -> None:
        self.gates.reset_parameters()
        self.transform.reset_parameters()

    def forward(self, a: Tensor, h: Tensor) -> Tensor:
        update, reset = torch.sigmoid(self.gates(torch.cat([a, h], dim=1))).chunk(2, dim=1)
        candidate = torch.tanh(self.transform(torch.cat([a, reset * h], dim=1)))
        return h + update * (candidate - h)
