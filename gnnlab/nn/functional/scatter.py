r"""Scatter/segment reductions in plain PyTorch (``index_add_`` and ``scatter_reduce``).

These are what message passing aggregates with: for messages :math:`m_e` on edges :math:`e = (j \to i)`,

.. math::
    \text{sum}_i = \sum_{e \to i} m_e, \qquad
    \text{mean}_i = \frac{1}{|\{e \to i\}|} \sum_{e \to i} m_e, \qquad
    \text{max}_i = \max_{e \to i} m_e, \qquad
    \text{min}_i = \min_{e \to i} m_e, \qquad
    \text{mul}_i = \prod_{e \to i} m_e,

and a node that receives no message gets zeros, except under ``"mul"`` where it gets the empty product 1
(the conventions of PyG's ``torch_geometric.utils.scatter`` and of its message passing). :func:`scatter` is
:func:`gnnlab.utils.scatter`, with PyG's signature ``scatter(src, index, dim=0, dim_size=None, reduce="sum")``:
gnnlab has one scatter, under both names.
"""
from __future__ import annotations

from torch import Tensor

from gnnlab.utils import graph
from gnnlab.utils.graph import scatter

__all__ = ["scatter", "segment_softmax", "REDUCTIONS"]

REDUCTIONS = ("sum", "add", "mean", "max", "min", "mul")


def segment_softmax(src: Tensor, index: Tensor, num_nodes: int, dim: int = 0) -> Tensor:
    r"""Softmax of ``src`` over the entries (along ``dim``) that share a target ``index``
    (:func:`gnnlab.utils.graph.softmax`):

    .. math:: \alpha_e = \frac{\exp(s_e - m_i)}{\sum_{e' \to i} \exp(s_{e'} - m_i)}, \qquad
              m_i = \max_{e' \to i} s_{e'}

    Shapes:
        ``src: (E, *)``, ``index: (E,)`` → ``(E, *)``.
    """
    return graph.softmax(src, index, num_nodes=num_nodes, dim=dim)
