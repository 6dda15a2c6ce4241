r"""The symmetric normalisation of GCN (Kipf & Welling, ICLR 2017).

.. math::
    \hat{A} = A + \lambda I, \qquad \hat{d}_i = \sum_j \hat{A}_{ij}, \qquad
    \tilde{A} = \hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2},

with :math:`\lambda = 1` (``improved=True``: :math:`\lambda = 2`, Kipf & Welling's "improved" GCN, applied as
PyG 2.8 does: only where ``edge_weight`` is given; without weights the loops get 1). Self-loops are added
only to nodes that lack one: an existing self-loop keeps its weight. Degrees are in-degrees at the target
(messages flow ``edge_index[0] -> edge_index[1]``; ``flow="target_to_source"`` uses ``edge_index[0]``), so for
an undirected graph the result is symmetric.
"""
from __future__ import annotations

import torch
from torch import Tensor

from gnnlab.nn.functional.sparse import is_torch_sparse, sparse_entries
from gnnlab.utils.graph import add_remaining_self_loops, maybe_num_nodes
from gnnlab.utils.validation import check_choice, check_edge_index, describe, fail


def gcn_norm(edge_index: Tensor, edge_weight: Tensor | None = None, num_nodes: int | None = None,
             improved: bool = False, add_self_loops: bool = True, flow: str = "source_to_target",
             dtype: torch.dtype | None = None) -> tuple[Tensor, Tensor | None]:
    r"""Return ``(edge_index, edge_weight)`` of :math:`\tilde{A} = \hat{D}^{-1/2}\hat{A}\hat{D}^{-1/2}`, or
    ``(adj_t, None)`` for a torch.sparse ``adj_t`` (PyG's positional order and results). A sparse ``adj_t``
    is normalised as the ``edge_index`` of its stored entries (values as weights), so both inputs give the
    same matrix; PyG 2.8 instead adds the loops on top of existing diagonal entries there. ``improved``
    then always fills 2, since a sparse matrix has values.

    Args:
        edge_index: ``(2, E)`` source/target pairs, or a square torch.sparse COO/CSR ``adj_t``.
        edge_weight: ``(E,)`` weights, ones if ``None`` (ignored for a sparse ``adj_t``: its values count).
        num_nodes: number of nodes ``N`` (default: ``edge_index.max() + 1``).
        improved: :math:`\lambda = 2` instead of 1 (where weights are given, as PyG).
        add_self_loops: add :math:`\lambda I` to nodes without a self-loop.
        flow: ``"source_to_target"`` (in-degrees) or ``"target_to_source"``.
        dtype: dtype of the weights created when ``edge_weight`` is ``None``.

    Shapes:
        ``edge_index: (2, E)`` → ``(2, E')`` with ``E' = E - loops + N`` when self-loops are added.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import gcn_norm
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])  # the path 0 - 1 - 2
        >>> edge_index, edge_weight = gcn_norm(edge_index, num_nodes=3)
        >>> edge_index  # the self-loops come last
        tensor([[0, 1, 1, 2, 0, 1, 2],
                [1, 0, 2, 1, 0, 1, 2]])
        >>> A_hat = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])  # A + I
        >>> d = A_hat.sum(1).pow(-0.5)
        >>> dense = torch.zeros(3, 3)
        >>> dense[edge_index[1], edge_index[0]] = edge_weight
        >>> torch.allclose(dense, d.view(-1, 1) * A_hat * d.view(1, -1), atol=1e-6)
        True
    """
    check_choice("gcn_norm", "flow", flow, ("source_to_target", "target_to_source"))
    if is_torch_sparse(edge_index):
        return _gcn_norm_sparse(edge_index, num_nodes, improved, add_self_loops, dtype), None
    check_edge_index("gcn_norm", edge_index, num_nodes)
    num_nodes = maybe_num_nodes(edge_index, num_nodes)
    if edge_weight is not None and (not isinstance(edge_weight, Tensor) or edge_weight.shape != (edge_index.size(1),)):
        fail("gcn_norm", f"'edge_weight' of shape ({edge_index.size(1)},), one per edge", describe(edge_weight))
    if add_self_loops:
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, 2.0 if improved else 1.0,
                                                           num_nodes)
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.size(1), dtype=dtype, device=edge_index.device)
    row, col = edge_index[0], edge_index[1]
    at = col if flow == "source_to_target" else row
    degree = edge_weight.new_zeros(num_nodes).index_add_(0, at, edge_weight)
    inv_sqrt = degree.pow(-0.5)
    inv_sqrt = inv_sqrt.masked_fill(inv_sqrt == float("inf"), 0.0)
    return edge_index, inv_sqrt[row] * edge_weight * inv_sqrt[col]


def _gcn_norm_sparse(adj_t: Tensor, num_nodes: int | None, improved: bool, add_self_loops: bool,
                     dtype: torch.dtype | None) -> Tensor:
    """:math:`\\tilde{A}` of a square torch.sparse ``adj_t`` (rows are targets), as a CSR tensor."""
    if adj_t.dim() != 2 or adj_t.size(0) != adj_t.size(1):
        fail("gcn_norm", "a square sparse 'adj_t'", tuple(adj_t.shape))
    if adj_t.layout == torch.sparse_csc:
        fail("gcn_norm", "a COO or CSR sparse 'adj_t' (as PyG)", "a CSC tensor", NotImplementedError)
    count = adj_t.size(0) if num_nodes is None else num_nodes
    row, col, values = sparse_entries(adj_t)
    values = values if dtype is None else values.to(dtype)
    # the same normalisation as for the edge_index of the stored entries (duplicates kept, loops replaced)
    edge_index, values = gcn_norm(torch.stack([col, row]), values, count, improved, add_self_loops, dtype=dtype)
    out = torch.sparse_coo_tensor(edge_index.flip(0), values, (count, count)).coalesce()
    return out.to_sparse_csr()
