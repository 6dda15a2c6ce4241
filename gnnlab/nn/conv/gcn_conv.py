r"""Graph convolution of Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional
Networks", ICLR 2017."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.conv._linear import Linear, glorot_
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.functional.gcn_norm import gcn_norm
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.validation import check_positive_int


class GCNConv(MessagePassing):
    r"""The graph convolutional operator

    .. math::
        X' = \hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2} X \Theta + b,
        \qquad x_i' = \Theta^\top \sum_{j \in \mathcal{N}(i) \cup \{i\}}
        \frac{w_{ji}}{\sqrt{\hat{d}_j \hat{d}_i}} x_j + b,

    with :math:`\hat{A} = A + I` (``improved=True``: :math:`A + 2I`) and :math:`\hat{d}_i = 1 + \sum_{j} w_{ji}`.
    One weight matrix :math:`\Theta` is shared by every node. The product with the normalised adjacency is a
    cached sparse CSR product (the message path is used when ``edge_weight`` requires a gradient).

    Args:
        in_channels: input features per node.
        out_channels: output features per node.
        improved: self-loops of weight 2.
        cached: keep the normalised adjacency of the first call and reuse it for every later call
            (transductive learning on one graph, as in PyG). Without it the matrix is still cached, but
            rebuilt whenever another ``edge_index`` or ``edge_weight`` tensor is passed.
        add_self_loops: add :math:`I` (or :math:`2I`).
        normalize: apply the symmetric normalisation (else use ``edge_weight`` as given).
        bias: learn the additive bias :math:`b`.

    Shapes:
        ``x: (N, F_in)`` (dense, or sparse as a :class:`~gnnlab.nn.functional.SparseMatrix`),
        ``edge_index: (2, E)``, ``edge_weight: (E,)`` → ``(N, F_out)``.

    Parameter names follow PyG 2.x (``lin.weight``, ``bias``), so a PyG ``GCNConv`` state_dict loads.
    Unlike PyG 2.8, ``improved=True`` puts 2 on the diagonal also when no ``edge_weight`` is passed (PyG then
    adds loops of weight 1).
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False, cached: bool = False,
                 add_self_loops: bool = True, normalize: bool = True, bias: bool = True) -> None:
        super().__init__(aggr="sum")
        # 1 / sqrt(d_j d_i) needs every source's degree, which a batch of targets does not see
        self.target_local = not normalize
        check_positive_int("GCNConv", "in_channels", in_channels)
        check_positive_int("GCNConv", "out_channels", out_channels)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached = improved, cached
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self.lin = Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        glorot_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._adjacency_cache.clear()

    def _normalized(self, edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int):
        if self.normalize:
            return gcn_norm(edge_index, edge_weight, num_nodes, self.add_self_loops, self.improved)
        if edge_weight is None:
            edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
        return edge_index, edge_weight

    def forward(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        num_nodes = self.check_inputs(x, edge_index, self.in_channels, edge_weight)
        x = self.lin(x)
        if edge_weight is not None and edge_weight.requires_grad or not self.use_sparse:
            edge_index, norm = self._normalized(edge_index, edge_weight, num_nodes)
            out = self.propagate(edge_index, x=x, edge_weight=norm)
        else:
            if self.cached and "gcn" in self._adjacency_cache:
                matrix = self._adjacency_cache["gcn"][1]
            else:
                matrix = self.adjacency("gcn", edge_index, edge_weight, num_nodes, self._normalized)
            out = matrix.matmul(x)
        return out if self.bias is None else out + self.bias

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        return edge_weight.view(-1, 1) * x_j

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"
