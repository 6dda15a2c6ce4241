r"""The symmetric normalisation of GCN (Kipf & Welling, ICLR 2017).

.. math::
    \hat{A} = A + \lambda I, \qquad \hat{D}_{ii} = \sum_j \hat{A}_{ij}, \qquad
    \tilde{A} = \hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2},

with :math:`\lambda = 1` (``improved=True``: :math:`\lambda = 2`, Kipf & Welling's "improved" GCN).
Self-loops are added only to nodes that lack one: an existing self-loop keeps its weight. Degrees are
in-degrees at the target (messages flow ``edge_index[0] -> edge_index[1]``), so for an undirected graph the
result is symmetric.
"""
from __future__ import annotations

import torch
from torch import Tensor

from gnnlab.utils.validation import check_edge_index, describe, fail


def add_remaining_self_loops(edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int,
                             fill_value: float = 1.0) -> tuple[Tensor, Tensor]:
    """Drop the existing self-loops and append one loop per node: its old weight if it had one, else
    ``fill_value`` (PyG's ``add_remaining_self_loops``; the same edge order, so results match bit for bit)."""
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
    row, col = edge_index
    keep = row != col
    loop_weight = edge_weight.new_full((num_nodes,), fill_value)
    is_loop = ~keep
    loop_weight[row[is_loop]] = edge_weight[is_loop]
    loops = torch.arange(num_nodes, device=edge_index.device)
    edge_index = torch.cat([edge_index[:, keep], torch.stack([loops, loops])], dim=1)
    return edge_index, torch.cat([edge_weight[keep], loop_weight])


def gcn_norm(edge_index: Tensor, edge_weight: Tensor | None = None, num_nodes: int | None = None,
             add_self_loops: bool = True, improved: bool = False) -> tuple[Tensor, Tensor]:
    r"""Return ``(edge_index, edge_weight)`` of :math:`\tilde{A} = \hat{D}^{-1/2}\hat{A}\hat{D}^{-1/2}`.

    Args:
        edge_index: ``(2, E)`` source/target pairs.
        edge_weight: ``(E,)`` weights, ones if ``None``.
        num_nodes: number of nodes ``N`` (default: ``edge_index.max() + 1``).
        add_self_loops: add :math:`\lambda I` to nodes without a self-loop.
        improved: :math:`\lambda = 2` instead of 1.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')`` with ``E' = E - loops + N`` when self-loops are added.
    """
    check_edge_index("gcn_norm", edge_index, num_nodes)
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
    elif not isinstance(edge_weight, Tensor) or edge_weight.shape != (edge_index.size(1),):
        fail("gcn_norm", f"'edge_weight' of shape ({edge_index.size(1)},), one per edge", describe(edge_weight))
    if add_self_loops:
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, num_nodes,
                                                           2.0 if improved else 1.0)
    row, col = edge_index
    degree = edge_weight.new_zeros(num_nodes).index_add_(0, col, edge_weight)
    inv_sqrt = degree.pow(-0.5)
    inv_sqrt.masked_fill_(inv_sqrt == float("inf"), 0.0)
    return edge_index, inv_sqrt[row] * edge_weight * inv_sqrt[col]
