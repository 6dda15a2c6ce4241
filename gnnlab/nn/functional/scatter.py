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

    Args:
        src: the scores :math:`s_e`, one row (along ``dim``) per entry, e.g. per edge.
        index: ``(E,)`` target of each entry, in ``[0, num_nodes)``.
        num_nodes: the number of targets :math:`N`.
        dim: the dimension of ``src`` that ``index`` runs along.

    Shapes:
        ``src: (E, *)``, ``index: (E,)`` → ``(E, *)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn.functional import scatter, segment_softmax
        >>> scores = torch.tensor([0.0, 0.0, 1.0, 2.0, 3.0])
        >>> index = torch.tensor([0, 0, 1, 1, 1])  # two edges into node 0, three into node 1
        >>> alpha = segment_softmax(scores, index, num_nodes=2)
        >>> alpha[:2]
        tensor([0.5000, 0.5000])
        >>> torch.allclose(scatter(alpha, index, 0, 2, "sum"), torch.ones(2))  # each target's weights sum to 1
        True
    """
    return graph.softmax(src, index, num_nodes=num_nodes, dim=dim)
