r"""Random walks on graphs, vectorised over walkers: DeepWalk's uniform walk and node2vec's biased walk.

**DeepWalk** (Perozzi et al., KDD 2014) steps from :math:`v` to a neighbour :math:`x` with probability
:math:`w_{vx} / \sum_{y} w_{vy}` (uniform on unweighted graphs).

**node2vec** (Grover & Leskovec, KDD 2016) is second order: having arrived at :math:`v` from :math:`t`,

.. math::
    P(x \mid t, v) \propto \alpha_{pq}(t, x)\, w_{vx}, \qquad
    \alpha_{pq}(t, x) = \begin{cases} 1/p & x = t \\ 1 & t \to x \text{ is an edge} \\
                                      1/q & \text{otherwise.} \end{cases}

The reference implementation precomputes an alias table for every edge (memory :math:`O(\sum_v d_v^2)`).
Here the step is drawn **exactly by rejection sampling** (as in KnightKing and torch-cluster): propose
:math:`x \propto w_{vx}`, accept with probability :math:`\alpha_{pq}(t, x) / \max(1/p, 1, 1/q)`; a rejected
walker proposes again. The accepted :math:`x` has exactly the distribution above, and the only extra
memory is the sorted edge keys used to test whether :math:`t \to x` is an edge (binary search).

Every walker advances at once (a loop over steps only). A walker at a node with no out-edges stops; the
rest of its row is ``-1`` (padding, skipped by the skip-gram). An isolated node's walk is ``[v, -1, ...]``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_edge_index, check_number, check_positive_int, fail

PAD = -1


class CSRGraph:
    """A graph in compressed sparse row form with what the walks need: row pointers, sorted neighbours,
    cumulative weights for weighted sampling, and sorted ``src * N + dst`` keys for edge look-ups."""

    def __init__(self, edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None) -> None:
        source, target = edge_index
        key = source * num_nodes + target
        order = torch.argsort(key)
        self.num_nodes = num_nodes
        self.keys = key[order]
        self.col = target[order]
        self.rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
        self.rowptr[1:] = torch.cumsum(torch.bincount(source, minlength=num_nodes), 0)
        self.degree = self.rowptr[1:] - self.rowptr[:-1]
        self.weighted = edge_weight is not None
        if self.weighted:
            weight = edge_weight[order].to(torch.float64)
            self.weight_sorted = weight
            self.cumweight = torch.cumsum(weight, 0)
            start = torch.cat([weight.new_zeros(1), self.cumweight])
            self.row_start_weight = start[self.rowptr[:-1]]
            self.row_weight = start[self.rowptr[1:]] - self.row_start_weight

    def sample_neighbors(self, nodes: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """One neighbour of each node (all must have out-edges), with probability proportional to weight.

        Also returns a second uniform number per draw, free: the position of the uniform variate inside the
        chosen neighbour's share of ``[0, 1)``, rescaled to ``[0, 1)``, is uniform and independent of which
        neighbour was chosen (float64 leaves it ~40 random bits). node2vec's acceptance test uses it.
        """
        uniform = torch.rand(nodes.numel(), generator=generator, device=nodes.device, dtype=torch.float64)
        start = self.rowptr.index_select(0, nodes)
        degree = self.degree.index_select(0, nodes)
        if not self.weighted:
            scaled = uniform * degree
            offset = scaled.long().minimum(degree - 1)
            fraction = scaled - offset
        else:
            target = self.row_start_weight.index_select(0, nodes) + uniform * self.row_weight.index_select(0, nodes)
            position = torch.searchsorted(self.cumweight, target, right=True)
            offset = (position - start).clamp_(min=0).minimum(degree - 1)
            edge = start + offset
            width = self.weight_sorted.index_select(0, edge)
            fraction = (target - (self.cumweight.index_select(0, edge) - width)) / width
        return self.col.index_select(0, start + offset), fraction.clamp_(0.0, 1.0 - 1e-12)

    def has_edge(self, source: Tensor, target: Tensor) -> Tensor:
        """Whether ``source[k] -> target[k]`` is an edge, for every ``k`` (binary search in the sorted keys)."""
        if self.keys.numel() == 0:
            return torch.zeros(source.shape, dtype=torch.bool, device=source.device)
        query = source * self.num_nodes + target
        position = torch.searchsorted(self.keys, query).clamp_(max=self.keys.numel() - 1)
        return self.keys.index_select(0, position) == query


def random_walks(
    edge_index: Tensor,
    num_nodes: int | None = None,
    *,
    walk_length: int = 80,
    walks_per_node: int = 10,
    p: float = 1.0,
    q: float = 1.0,
    edge_weight: Tensor | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    start_nodes: Tensor | None = None,
) -> Tensor:
    """Random walks from every node (``walks_per_node`` each), DeepWalk's when ``p = q = 1``, else node2vec's.

    Args:
        edge_index: ``(2, E)`` edges ``source -> target``; list both directions for an undirected graph.
        num_nodes: number of nodes (default ``edge_index.max() + 1``).
        walk_length: nodes per walk, the start included (at least 2).
        walks_per_node: walks started from each node.
        p: return parameter (``1/p`` weights going back to the previous node).
        q: in-out parameter (``1/q`` weights moving away from the previous node).
        edge_weight: ``(E,)`` non-negative weights; a step's proposal is proportional to them.
        seed: the same seed (on the same device) gives the same walks.
        device: where to walk (default: ``edge_index``'s device).
        start_nodes: walk from these nodes instead of from every node (each ``walks_per_node`` times).

    Returns:
        ``LongTensor (num_starts * walks_per_node, walk_length)``; row ``r`` starts at node
        ``r % num_starts`` (walk round ``r // num_starts``); ``-1`` pads a walk that reached a dead end.
    """
    who = "random_walks"
    check_positive_int(who, "walk_length", walk_length, minimum=2)
    check_positive_int(who, "walks_per_node", walks_per_node)
    check_number(who, "p", p, low=0.0, low_open=True)
    check_number(who, "q", q, low=0.0, low_open=True)
    check_edge_index(who, edge_index, num_nodes)
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
    check_positive_int(who, "num_nodes", num_nodes)
    device = torch.device(device) if device is not None else edge_index.device
    edge_index = edge_index.to(device)
    if edge_weight is not None:
        if edge_weight.shape != (edge_index.size(1),):
            fail(who, f"'edge_weight' of shape ({edge_index.size(1)},)", tuple(edge_weight.shape))
        if not bool(torch.isfinite(edge_weight).all()) or bool((edge_weight < 0).any()):
            fail(who, "'edge_weight' to be finite and non-negative", "negative, NaN or inf weights")
        keep = edge_weight > 0  # a zero-weight edge is never taken: drop it
        edge_index, edge_weight = edge_index[:, keep], edge_weight.to(device)[keep]
    if start_nodes is None:
        start_nodes = torch.arange(num_nodes, device=device)
    else:
        start_nodes = check_edge_index(who, start_nodes.view(1, -1).expand(2, -1), num_nodes,
                                       name="start_nodes")[0].to(device)

    graph = CSRGraph(edge_index, num_nodes, edge_weight)
    generator = make_generator(seed, device)
    starts = start_nodes.repeat(walks_per_node)
    walks = torch.full((starts.numel(), walk_length), PAD, dtype=torch.long, device=device)
    walks[:, 0] = starts
    if graph.col.numel() > 0:
        # Every walker takes every step; one at a dead end walks on from a stand-in node and is masked to
        # padding. This costs less than compacting the walkers at every step.
        alive = graph.degree.index_select(0, starts) > 0
        stand_in = torch.nonzero(graph.degree > 0)[0]
        dead_ends = bool((graph.degree == 0).any())
        current, previous = starts, None
        for step in range(1, walk_length):
            safe = torch.where(alive, current, stand_in) if dead_ends else current
            if previous is None or not (p != 1.0 or q != 1.0):
                chosen = graph.sample_neighbors(safe, generator)[0]
            else:
                chosen = _second_order_step(graph, previous, safe, p, q, generator)
            if dead_ends:
                chosen = torch.where(alive, chosen, PAD)
                alive = alive & (graph.degree.index_select(0, torch.where(alive, chosen, stand_in)) > 0)
            previous, current = safe, chosen
            walks[:, step] = chosen
    return walks


def _second_order_step(graph: CSRGraph, previous: Tensor, current: Tensor, p: float, q: float,
                       generator: torch.Generator) -> Tensor:
    """One exact node2vec step per walker by rejection sampling.

    Each round draws ``tries`` proposals per pending walker at once and keeps the first accepted one; the
    walkers still pending (those with a low acceptance rate, e.g. at a node whose moves are mostly
    discouraged) get twice as many proposals next round, so a step takes a few vectorised rounds instead
    of a long tail of tiny ones. Taking the first accepted proposal of an i.i.d. sequence is exactly
    rejection sampling.
    """
    bound = max(1.0 / p, 1.0, 1.0 / q)
    low, high = min(1.0, 1.0 / q), max(1.0, 1.0 / q)
    tries = 1
    # advanced indexing is several times slower than index_select/index_copy_ on CPU: avoid it here
    chosen = torch.empty_like(current)
    pending = torch.arange(current.numel(), device=current.device)
    nodes, back = current, previous
    while pending.numel() > 0:
        proposal, fraction = graph.sample_neighbors(nodes, generator)
        threshold = fraction.mul_(bound)
        # accept iff threshold < alpha(t, x); the edge look-up is needed only where 1 and 1/q disagree
        returning = proposal == back
        accept = torch.where(returning, threshold < 1.0 / p, threshold < low)
        undecided = torch.nonzero(~returning & (threshold >= low) & (threshold < high)).view(-1) if low < high \
            else pending[:0]
        if undecided.numel() > 0:
            linked = graph.has_edge(back.index_select(0, undecided), proposal.index_select(0, undecided))
            # in the undecided band exactly one of the two outcomes (1 or 1/q) clears the threshold
            accept.index_copy_(0, undecided, linked if q > 1.0 else ~linked)
        accept = accept.view(-1, tries)
        hit = accept.any(dim=1)
        first = accept.to(torch.uint8).argmax(dim=1)  # index of the first accepted proposal
        picked = proposal.view(-1, tries).gather(1, first.view(-1, 1)).view(-1)
        done = torch.nonzero(hit).view(-1)
        chosen.index_copy_(0, pending.index_select(0, done), picked.index_select(0, done))
        pending = pending.index_select(0, torch.nonzero(~hit).view(-1))
        tries = min(2 * tries, 1024)
        nodes = current.index_select(0, pending).repeat_interleave(tries)
        back = previous.index_select(0, pending).repeat_interleave(tries)
    return chosen
