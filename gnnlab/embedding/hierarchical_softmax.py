r"""Hierarchical softmax (Morin & Bengio, 2005; Mikolov et al., 2013) over a Huffman tree of the nodes.

The nodes are the leaves of a binary tree with :math:`N - 1` inner nodes, each inner node :math:`n` holding a
vector :math:`\theta_n`. Node :math:`o`'s path from the root passes the inner nodes :math:`n_1, \dots, n_L`
and turns left (code :math:`b_j = 0`) or right (:math:`b_j = 1`) at each, and

.. math::
    P(o \mid c) = \prod_{j=1}^{L} \sigma\big((1 - 2 b_j)\, u_c^\top \theta_{n_j}\big),

which sums to one over all :math:`o` since :math:`\sigma(s) + \sigma(-s) = 1` at every inner node. Skip-gram
maximises :math:`\log P(o \mid c)` over its (centre, context) pairs: :math:`L` sigmoids per pair instead of a
softmax over :math:`N` nodes. The tree is Huffman's over the nodes' frequencies in the walks (word2vec's
choice, and DeepWalk's): frequent nodes get short paths, so the expected path length is the smallest any
binary tree gives, about :math:`\log_2 N` or less.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gnnlab.utils.validation import describe, fail


@dataclass
class HuffmanTree:
    """The root-to-leaf paths of a Huffman tree over ``N`` leaves, padded to the depth ``D`` of the tree.

    Attributes:
        points: ``(N, D)`` the inner nodes (``0 .. N - 2``) on each leaf's path, from the leaf up; ``0`` past
            its length.
        codes: ``(N, D)`` float, the turn taken at each of them (``1.0`` right, ``0.0`` left); ``0`` past its
            length.
        lengths: ``(N,)`` the number of inner nodes on each path (the leaf's code length).
    """

    points: Tensor
    codes: Tensor
    lengths: Tensor

    @classmethod
    def from_counts(cls, counts: Tensor) -> HuffmanTree:
        """Huffman's tree over weights ``counts`` (``(N,)``, non-negative): the two lightest subtrees are
        merged until one is left (ties go to the earlier one, so the tree is a function of the counts). Built
        on the CPU (a sequential merge), returned on ``counts``' device."""
        if not isinstance(counts, Tensor) or counts.dim() != 1 or counts.numel() == 0:
            fail("HuffmanTree.from_counts", "'counts' to be a non-empty 1-D tensor", describe(counts),
                 TypeError if not isinstance(counts, Tensor) else ValueError)
        host = counts.detach().double().cpu()
        if not bool(torch.isfinite(host).all()) or bool((host < 0).any()):
            fail("HuffmanTree.from_counts", "'counts' to be finite and non-negative",
                 f"values from {float(host.min())} to {float(host.max())}")
        num = counts.numel()
        order = torch.argsort(host, stable=True)
        weights = host[order].tolist()
        # the sorted leaves are nodes 0..N-1, the inner nodes N..2N-2 in the order they are made, which is also
        # the order of their weights: two queues, each sorted, replace the heap
        parent = [2 * num - 2] * (2 * num - 1)
        right = [0] * (2 * num - 1)
        merged: list[float] = []
        leaf = inner = 0
        for made in range(num - 1):
            total = 0.0
            for turn in (0, 1):
                if leaf < num and (inner >= len(merged) or weights[leaf] <= merged[inner]):
                    child, leaf = leaf, leaf + 1
                    total += weights[child]
                else:
                    child, inner = num + inner, inner + 1
                    total += merged[child - num]
                parent[child], right[child] = num + made, turn
            merged.append(total)
        parent_t, right_t = torch.tensor(parent), torch.tensor(right, dtype=torch.float32)
        root = 2 * num - 2
        node = torch.arange(num)
        lengths = torch.zeros(num, dtype=torch.long)
        points, codes = [], []
        active = node != root
        while bool(active.any()):  # every leaf climbs one level per pass, until it reaches the root
            up = parent_t.index_select(0, node)
            points.append(torch.where(active, up - num, 0))
            codes.append(torch.where(active, right_t.index_select(0, node), 0.0))
            lengths += active
            node = torch.where(active, up, node)
            active = node != root
        # rows from sorted order back to node order: node order[i] is sorted leaf i
        rows = torch.empty_like(order)
        rows[order] = torch.arange(num)
        if not points:  # a single node: no inner nodes, P(o | c) = 1
            tree = cls(torch.zeros(num, 0, dtype=torch.long), torch.zeros(num, 0), lengths)
        else:
            tree = cls(torch.stack(points, 1).index_select(0, rows), torch.stack(codes, 1).index_select(0, rows),
                       lengths.index_select(0, rows))
        return tree.to(counts.device)

    def to(self, device: torch.device | str) -> HuffmanTree:
        return HuffmanTree(self.points.to(device), self.codes.to(device), self.lengths.to(device))

    @property
    def depth(self) -> int:
        return self.points.size(1)


#: at most this many pairs' worth of step for one inner node per batch (see :func:`hierarchical_softmax_step`)
SHARED_STEPS = 16


def hierarchical_softmax_step(inputs: Tensor, inner: Tensor, centre: Tensor, context: Tensor, tree: HuffmanTree,
                              lr: float) -> None:
    r"""One hand-written SGD step (no autograd) on a batch of (centre, context) pairs, raising
    :math:`\log P(o \mid c)` for each: with :math:`s_j = u_c^\top \theta_{n_j}` on the context's path,
    :math:`\partial \log P / \partial s_j = 1 - b_j - \sigma(s_j)`, so

    .. math::
        u_c \mathrel{+}= \eta \sum_j (1 - b_j - \sigma(s_j))\, \theta_{n_j}, \qquad
        \theta_{n_j} \mathrel{+}= \eta\, \min\Big(1, \frac{S}{m_{n_j}}\Big) (1 - b_j - \sigma(s_j))\, u_c,

    every update computed from the parameters before the step and summed over the batch (``index_add_``), as
    word2vec's ``hs=1`` does pair by pair, except for one thing. The top of the tree is on every path: the
    root is shared by all :math:`B` pairs of a batch, its children by about :math:`B/2`, and so on, and
    :math:`m` gradients summed at one stale point are a step :math:`m` times too long where word2vec's
    sequential steps would each have corrected the last (on Cora at :math:`B = 8192` the vectors overflow to
    NaN). So an inner node on the paths of :math:`m_n > S` pairs of the batch (``SHARED_STEPS``, 16) takes
    :math:`S` times the mean of their steps; nodes deeper down, on at most :math:`S` paths, take the plain
    sum. ``inputs`` is ``(N, d)``, ``inner`` the ``(N - 1, d)`` inner-node vectors; paths are padded to the
    tree's depth and the padding is weighted by zero.
    """
    if centre.shape != context.shape:
        fail("hierarchical_softmax_step", "'centre' and 'context' of the same shape",
             f"{tuple(centre.shape)} and {tuple(context.shape)}")
    size, dimensions, depth = centre.numel(), inputs.size(1), tree.depth
    if depth == 0 or size == 0:
        return
    path = tree.points.index_select(0, context)  # (B, D)
    flat_path = path.view(-1)
    on_path = torch.arange(depth, device=inputs.device) < tree.lengths.index_select(0, context).unsqueeze(1)
    weight = on_path.to(inputs.dtype)
    shared = torch.zeros(inner.size(0), dtype=inputs.dtype, device=inputs.device).index_add_(0, flat_path,
                                                                                          weight.view(-1))
    share = shared.div_(SHARED_STEPS).clamp_(min=1.0).reciprocal_()  # min(1, S / m_n)
    u = inputs.index_select(0, centre)
    theta = inner.index_select(0, flat_path).view(size, depth, dimensions)
    scores = torch.bmm(theta, u.unsqueeze(2)).squeeze(2)  # (B, D)
    # 1 - b - sigma(s), times the learning rate, zero on padding
    gradient = scores.sigmoid_().add_(tree.codes.index_select(0, context)).neg_().add_(1.0)
    gradient.mul_(weight).mul_(lr)
    step_u = torch.bmm(gradient.unsqueeze(1), theta).squeeze(1)
    gradient.mul_(share.index_select(0, flat_path).view(size, depth))
    inner.index_add_(0, flat_path, torch.mul(gradient.unsqueeze(2), u.unsqueeze(1)).view(-1, dimensions))
    inputs.index_add_(0, centre, step_u)
