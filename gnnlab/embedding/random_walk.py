r"""Random walks on graphs, vectorised over walkers: DeepWalk's uniform walk and node2vec's biased walk.

**DeepWalk** (Perozzi et al., KDD 2014) steps from :math:`v` to a neighbour :math:`x` with probability
:math:`w_{vx} / \sum_{y} w_{vy}` (uniform on unweighted graphs).

**node2vec** (Grover & Leskovec, KDD 2016) is second order: having arrived at :math:`v` from :math:`t`,

.. math::
    P(x \mid t, v) \propto \alpha_{pq}(t, x)\, w_{vx}, \qquad
    \alpha_{pq}(t, x) = \begin{cases} 1/p & x = t \\ 1 & t \to x \text{ is an edge} \\
                                      1/q & \text{otherwise.} \end{cases}

Both samplers below are exact, and every walker advances at once (a loop over steps only).

**Class tables** (unweighted graphs with at most :data:`CLASS_TABLE_LIMIT` (edge, next edge) pairs, Cora
and CiteSeer included): :math:`\alpha` takes three values, so for every edge :math:`t \to v` the edges of
:math:`v` are stored grouped as back to :math:`t` (:math:`c_0` of them), to a neighbour of :math:`t`
(:math:`c_1`), further (:math:`c_2`), with the class masses :math:`c_0/p, c_1, c_2/q`. A step is one
uniform number turned into a class and a slot inside it (inverse transform): O(1) per walker, no
rejection. Memory :math:`O(\sum_v d_v^2)` like the reference implementation's per-edge tables, but built
vectorised in one pass.

**Folded rejection sampling** (weighted or larger graphs; memory :math:`O(E)`, KnightKing's outlier
folding, Yang et al., SOSP 2019). The return edges :math:`v \to t` carry known mass :math:`m_t = w_{vt}/p`;
every other neighbour has :math:`\alpha \le B = \max(1, 1/q)`. Draw :math:`u` uniformly on
:math:`[0, m_t + B\,(W_v - w_{vt}))` (:math:`W_v` the row's total weight):

* :math:`u < m_t`: go back to :math:`t` (always accepted: its envelope is its exact mass);
* else propose :math:`x \ne t` with probability :math:`\propto w_{vx}` and accept it with probability
  :math:`\alpha_{pq}(t, x) / B`; a rejected walker draws again.

The accepted mass of :math:`x` is :math:`\alpha_{pq}(t, x)\, w_{vx}` for every :math:`x`, so the step has
exactly the distribution above, whatever :math:`p`. With :math:`q = 1` nothing is ever rejected; otherwise
at least a fraction :math:`\min(q, 1/q)` of the non-return proposals is accepted, and a small ``p`` costs
nothing (the plain envelope :math:`\max(1/p, 1, 1/q)` wasted most proposals there). Only proposals whose
acceptance depends on whether :math:`t \to x` is an edge look it up (a dense boolean table on small graphs,
a binary search in :math:`t`'s sorted neighbours otherwise). Extra memory: the CSR range of each edge's
reverse.

A walker at a node with no out-edges stops; the rest of its row is ``-1`` (padding, skipped by the
skip-gram). An isolated node's walk is ``[v, -1, ...]``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from gnnlab.utils.csr import CSR
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_edge_index, check_number, check_positive_int, fail

#: the node id that fills a walk past a node without out-edges (skip-gram skips it)
PAD = -1
#: graphs with at most this many (source, target) pairs test edges in a dense boolean table (32 MiB)
DENSE_ADJACENCY_LIMIT = 2**25
#: unweighted graphs with at most this many (edge, next edge) pairs draw biased steps from class tables
CLASS_TABLE_LIMIT = 2**23


def _search_rows(values: Tensor, low: Tensor, high: Tensor, query: Tensor, iterations: int,
                 right: bool) -> Tensor:
    """Per query, the first index ``i`` in ``[low, high)`` with ``values[i] > query`` (``right``) or
    ``values[i] >= query``, else ``high``: a binary search vectorised over queries, each in its own sorted
    slice (``torch.searchsorted`` over the whole array is far slower on CPU for unsorted queries)."""
    last = values.numel() - 1
    for _ in range(iterations):
        mid = (low + high) >> 1
        value = values.index_select(0, mid.clamp(max=last))
        go = (value <= query if right else value < query) & (low < high)
        low = torch.where(go, mid + 1, low)
        high = torch.where(go, high, mid)
    return low


class CSRGraph(CSR):
    """The out-edge :class:`~gnnlab.utils.CSR` with what the walks need on top: the sorted edge keys
    ``source * N + target``, cumulative weights for weighted sampling, and (built on first use) the CSR range
    of every edge's reverse and an edge-membership test."""

    def __init__(self, edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None) -> None:
        super().__init__(edge_index, num_nodes, by="source")
        self.keys = self.rows() * num_nodes + self.col
        self.search_iterations = math.ceil(math.log2(int(self.degree.max()) + 1)) if num_nodes else 0
        self.weighted = edge_weight is not None
        if self.weighted:
            weight = edge_weight.index_select(0, self.edge_id).to(torch.float64)
            self.weight_sorted = weight
            self.cumweight = torch.cumsum(weight, 0)
            self.prefix = torch.cat([weight.new_zeros(1), self.cumweight])  # mass before each CSR position
            self.row_weight = self.prefix.index_select(0, self.rowptr[1:]) - self.prefix[self.rowptr[:-1]]
        self._dense: Tensor | None = None
        self._reverse: tuple[Tensor, Tensor] | None = None

    def mass_before(self, position: Tensor) -> Tensor:
        """float64 total weight (edge count if unweighted) of the CSR edges before each ``position``."""
        return self.prefix.index_select(0, position) if self.weighted else position.to(torch.float64)

    def row_mass(self, nodes: Tensor) -> Tensor:
        """float64 total out-weight (out-degree if unweighted) of each node."""
        return (self.row_weight if self.weighted else self.degree).index_select(0, nodes).to(torch.float64)

    def locate(self, nodes: Tensor, position: Tensor) -> tuple[Tensor, Tensor]:
        """The CSR edge of ``nodes[k]``'s row holding mass ``position[k]`` (in ``[0, row_mass)``).

        Also returns where ``position`` falls inside that edge's share, rescaled to ``[0, 1)``: for a uniform
        ``position`` it is uniform and independent of the edge chosen (float64 leaves it ~40 random bits), a
        second uniform number for free that node2vec's acceptance test uses.
        """
        start = self.rowptr.index_select(0, nodes)
        degree = self.degree.index_select(0, nodes)
        if not self.weighted:
            offset = position.long().minimum(degree - 1)
            return start + offset, (position - offset).clamp_(0.0, 1.0 - 1e-12)
        target = self.prefix.index_select(0, start) + position
        edge = _search_rows(self.cumweight, start, start + degree, target, self.search_iterations, right=True)
        edge = edge.minimum(start + degree - 1)
        width = self.weight_sorted.index_select(0, edge)
        fraction = (target - (self.cumweight.index_select(0, edge) - width)) / width
        return edge, fraction.clamp_(0.0, 1.0 - 1e-12)

    def sample_edges(self, nodes: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """One out-edge (CSR position) of each node (all must have out-edges), with probability proportional
        to its weight, and the free uniform number of :meth:`locate`."""
        uniform = torch.rand(nodes.numel(), generator=generator, device=nodes.device, dtype=torch.float64)
        return self.locate(nodes, uniform.mul_(self.row_mass(nodes)))

    def reverse(self) -> tuple[Tensor, Tensor]:
        """For every CSR edge ``u -> v``, the CSR range ``[low, high)`` of the edges ``v -> u`` (empty if
        there are none; repeated edges make it longer). An empty range still lies inside ``v``'s row."""
        if self._reverse is None:
            source = self.keys.div(self.num_nodes, rounding_mode="floor")
            query = self.col * self.num_nodes + source
            # sorted queries make the search cache-friendly
            query, order = torch.sort(query)
            low, high = torch.empty_like(query), torch.empty_like(query)
            low[order] = torch.searchsorted(self.keys, query)
            high[order] = torch.searchsorted(self.keys, query, right=True)
            self._reverse = (low, high)
        return self._reverse

    def class_tables(self, p: float, q: float) -> tuple[Tensor, ...] | None:
        """Per CSR edge ``t -> v``, ``v``'s out-edges grouped by node2vec class, for unweighted graphs with at
        most :data:`CLASS_TABLE_LIMIT` (edge, next edge) pairs (else ``None``).

        ``v``'s edges back to ``t`` (:math:`c_0` of them, mass :math:`1/p` each), then to ``t``'s neighbours
        (:math:`c_1`, mass 1), then the others (:math:`c_2`, mass :math:`1/q`) fill edge ``e``'s block of
        ``slots``, starting at ``first[e]``. Returns ``(slots, a, b, total, near, first, last)``: the float64
        per-edge cumulative masses :math:`a = c_0/p`, :math:`b = a + c_1`, :math:`b + c_2/q`, then
        :math:`c_1` and ``first`` (float64) and the block's last slot (int64).
        """
        span = self.degree.index_select(0, self.col)
        if self.weighted or int(span.sum()) > CLASS_TABLE_LIMIT:
            return None
        count = self.col.numel()
        first = torch.cumsum(span, 0) - span
        owner = torch.repeat_interleave(torch.arange(count, device=span.device), span)
        onward = (self.rowptr.index_select(0, self.col).index_select(0, owner)
                  + torch.arange(owner.numel(), device=span.device) - first.index_select(0, owner))
        back, onward_node = self.keys.index_select(0, owner) // self.num_nodes, self.col.index_select(0, onward)
        kind = torch.where(onward_node == back, 0, torch.where(self.has_edge(back, onward_node), 1, 2))
        sizes = torch.bincount(owner * 3 + kind, minlength=3 * count).view(count, 3)
        slots = _group_by_class(onward, owner, kind, first, sizes)
        back_size, near_size, far_size = sizes.to(torch.float64).unbind(1)
        start = first.to(torch.float64)
        a = back_size / p
        b = a + near_size
        return slots, a, b, b + far_size / q, near_size, start, first + span - 1

    def has_edge(self, source: Tensor, target: Tensor) -> Tensor:
        """Whether ``source[k] -> target[k]`` is an edge, for every ``k``."""
        if self.col.numel() == 0:
            return torch.zeros(source.shape, dtype=torch.bool, device=source.device)
        if self.num_nodes ** 2 <= DENSE_ADJACENCY_LIMIT:
            if self._dense is None:
                self._dense = torch.zeros(self.num_nodes ** 2, dtype=torch.bool, device=self.keys.device)
                self._dense[self.keys] = True
            return self._dense.index_select(0, source * self.num_nodes + target)
        low, high = self.rowptr.index_select(0, source), self.rowptr.index_select(0, source + 1)
        found = _search_rows(self.col, low, high, target, self.search_iterations, right=False)
        return (found < high) & (self.col.index_select(0, found.clamp(max=self.col.numel() - 1)) == target)


def _group_by_class(onward: Tensor, owner: Tensor, kind: Tensor, first: Tensor, sizes: Tensor) -> Tensor:
    """``onward`` reordered so that each owner's block (``owner`` is sorted; block ``e`` starts at
    ``first[e]``) lists its class-0 entries, then class 1, then class 2, each in their original order: a
    stable sort by ``(owner, kind)`` done as three linear passes (one per class) instead of a sort."""
    slots = torch.empty_like(onward)
    class_start = first.unsqueeze(1) + torch.cumsum(sizes, 1) - sizes  # (E, 3): where each class begins
    for k in range(3):
        members = torch.nonzero(kind == k).view(-1)  # ascending, so grouped by owner in block order
        whose = owner.index_select(0, members)
        before = torch.cumsum(sizes[:, k], 0) - sizes[:, k]  # class-k entries of the earlier owners
        rank = torch.arange(members.numel(), device=onward.device) - before.index_select(0, whose)
        slots.index_copy_(0, class_start[:, k].index_select(0, whose) + rank, onward.index_select(0, members))
    return slots


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

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.embedding import random_walks
        >>> edge_index = karate_club().edge_index
        >>> walks = random_walks(edge_index, 34, walk_length=5, walks_per_node=2, seed=0)
        >>> walks.shape, walks.dtype
        (torch.Size([68, 5]), torch.int64)
        >>> torch.equal(walks[:, 0], torch.arange(34).repeat(2))  # row r starts at node r % 34
        True
        >>> src, dst = walks[:, :-1].reshape(-1), walks[:, 1:].reshape(-1)  # every step follows an edge
        >>> bool(torch.isin(src * 34 + dst, edge_index[0] * 34 + edge_index[1]).all())
        True
        >>> random_walks(edge_index, 34, walk_length=5, p=0.25, q=4.0, start_nodes=torch.tensor([0, 33]),
        ...              seed=0).shape  # node2vec's biased walks from two nodes
        torch.Size([20, 5])
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
        edge_index, edge_weight = _positive_weights(edge_index, edge_weight.to(device))
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
        _walk(graph, walks, p, q, generator)
    return walks


def _positive_weights(edge_index: Tensor, edge_weight: Tensor) -> tuple[Tensor, Tensor]:
    """Check ``edge_weight`` and drop the zero-weight edges (never taken)."""
    if edge_weight.shape != (edge_index.size(1),):
        fail("random_walks", f"'edge_weight' of shape ({edge_index.size(1)},)", tuple(edge_weight.shape))
    if not bool(torch.isfinite(edge_weight).all()) or bool((edge_weight < 0).any()):
        fail("random_walks", "'edge_weight' to be finite and non-negative", "negative, NaN or inf weights")
    keep = edge_weight > 0
    return edge_index[:, keep], edge_weight[keep]


def _walk(graph: CSRGraph, walks: Tensor, p: float, q: float, generator: torch.Generator) -> None:
    """Fill ``walks[:, 1:]`` from the start nodes in ``walks[:, 0]``, one vectorised step at a time.

    Every walker takes every step; one at a dead end walks on from a stand-in and is masked to padding,
    which costs less than compacting the walkers at every step. The stand-in of a second-order step is a
    whole (previous, current, edge) triple, an edge into a node that has out-edges.
    """
    second_order = p != 1.0 or q != 1.0
    current = walks[:, 0]
    has_out = graph.degree > 0
    dead_ends = not bool(has_out.all())
    alive = has_out.index_select(0, current)
    stand_in = torch.nonzero(has_out)[0]
    if second_order:
        tables = graph.class_tables(p, q)
        reverse = graph.reverse() if tables is None else None
        into_live = torch.nonzero(has_out.index_select(0, graph.col)).view(-1)[:1]
        stand_in_edge = (into_live, graph.keys.index_select(0, into_live) // graph.num_nodes,
                         graph.col.index_select(0, into_live))
    previous = arrived = None
    for step in range(1, walks.size(1)):
        if arrived is None or not second_order:
            edge = graph.sample_edges(torch.where(alive, current, stand_in) if dead_ends else current,
                                      generator)[0]
        elif dead_ends and stand_in_edge[0].numel() == 0:
            break  # no edge leads to a node with out-edges: every walker has stopped
        else:
            if dead_ends:  # a consistent triple for the walkers that have stopped
                arrived, previous, current = (torch.where(alive, value, fallback)
                                              for value, fallback in zip((arrived, previous, current), stand_in_edge))
            edge = (_table_step(tables, arrived, p, q, generator) if tables is not None
                    else _second_order_step(graph, reverse, previous, current, arrived, p, q, generator))
        chosen = graph.col.index_select(0, edge)
        if dead_ends:
            chosen = torch.where(alive, chosen, PAD)
            alive = alive & has_out.index_select(0, torch.where(alive, chosen, stand_in))
        previous, current, arrived = current, chosen, edge
        walks[:, step] = chosen


class _Step(NamedTuple):
    """What every proposal of one second-order step needs, per walker."""

    previous: Tensor
    current: Tensor
    back_edge: Tensor  # first CSR position of current -> previous (an empty range if there is none)
    back_mass: Tensor  # total weight of the edges current -> previous
    back_offset: Tensor  # weight in current's row before them
    total: Tensor  # the envelope's area: back_mass / p + bound * (row weight - back_mass)


def _table_step(tables: tuple[Tensor, ...], arrived: Tensor, p: float, q: float,
                generator: torch.Generator) -> Tensor:
    """One exact node2vec step per walker from :meth:`CSRGraph.class_tables` (inverse transform over the
    arrived edge's three classes, uniform inside a class); returns the CSR position of the edge taken."""
    slots, *columns = tables
    a, b, total, near, first, last = (column.index_select(0, arrived) for column in columns)
    mass = torch.rand(arrived.shape, generator=generator, device=arrived.device, dtype=torch.float64).mul_(total)
    # slot = first + (mass inside class 0) * p + (mass inside class 1) + (mass inside class 2) * q
    slot = torch.minimum(mass, a).mul_(p).add_(first)
    slot += torch.minimum((mass - a).clamp_(min=0.0), near)
    slot += (mass - b).clamp_(min=0.0).mul_(q)
    return slots.index_select(0, slot.long().minimum(last))  # minimum: float rounding at the block's end


def _second_order_step(graph: CSRGraph, reverse: tuple[Tensor, Tensor], previous: Tensor, current: Tensor,
                       arrived: Tensor, p: float, q: float, generator: torch.Generator) -> Tensor:
    """One exact node2vec step per walker (the module docstring's folded rejection sampling); returns the
    CSR position of the edge each walker takes.

    Each round draws ``tries`` proposals per pending walker at once and keeps the first accepted one; the
    walkers still pending get twice as many proposals next round, so a step takes a few vectorised rounds
    instead of a long tail of tiny ones. Taking the first accepted proposal of an i.i.d. sequence is exactly
    rejection sampling.
    """
    low, high = reverse[0].index_select(0, arrived), reverse[1].index_select(0, arrived)
    back_start = graph.mass_before(low)
    back_mass = graph.mass_before(high) - back_start
    back_offset = back_start - graph.mass_before(graph.rowptr.index_select(0, current))
    total = (graph.row_mass(current) - back_mass).mul_(max(1.0, 1.0 / q)).add_(back_mass / p)
    state = _Step(previous, current, low, back_mass, back_offset, total)
    edge, accept = _propose(graph, state, None, p, q, generator)
    pending = torch.nonzero(~accept).view(-1)
    tries = 1
    while pending.numel() > 0:
        tries = min(2 * tries, 1024)
        proposal, accept = _propose(graph, state, pending.repeat_interleave(tries), p, q, generator)
        accept = accept.view(-1, tries)
        hit = accept.any(dim=1)
        first = accept.to(torch.uint8).argmax(dim=1)  # index of the first accepted proposal
        picked = proposal.view(-1, tries).gather(1, first.view(-1, 1)).view(-1)
        done = torch.nonzero(hit).view(-1)
        edge.index_copy_(0, pending.index_select(0, done), picked.index_select(0, done))
        pending = pending.index_select(0, torch.nonzero(~hit).view(-1))
    return edge


def _propose(graph: CSRGraph, state: _Step, walkers: Tensor | None, p: float, q: float,
             generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """One proposal for each of ``walkers`` (indices into ``state``, repeats allowed; ``None``: every walker
    once): the CSR edge proposed and whether it is accepted."""
    def take(values: Tensor) -> Tensor:
        return values if walkers is None else values.index_select(0, walkers)

    total, back_area = take(state.total), take(state.back_mass) / p
    bound, low = max(1.0, 1.0 / q), min(1.0, 1.0 / q)
    uniform = torch.rand(total.shape, generator=generator, device=total.device, dtype=torch.float64).mul_(total)
    returning = uniform < back_area
    # a position in the non-return mass, skipping the return edges' range of the row
    position = uniform.sub_(back_area).div_(bound).clamp_(min=0.0)
    back_mass = take(state.back_mass)
    position = torch.where(position >= take(state.back_offset), position + back_mass, position)
    edge, fraction = graph.locate(take(state.current), position)
    edge = torch.where(returning, take(state.back_edge), edge)
    # accept iff fraction * bound < alpha(t, x); alpha is 1 or 1/q and only the band between them needs the
    # edge look-up (with q = 1 everything is accepted at once)
    accept = returning | (fraction.mul_(bound) < low)
    if low < bound:
        undecided = torch.nonzero(~accept).view(-1)
        if undecided.numel() > 0:
            linked = graph.has_edge(take(state.previous).index_select(0, undecided),
                                    graph.col.index_select(0, edge.index_select(0, undecided)))
            accept.index_copy_(0, undecided, linked if q > 1.0 else ~linked)
    return edge, accept
