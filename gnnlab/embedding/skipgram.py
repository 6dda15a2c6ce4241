r"""Skip-gram (Mikolov et al., 2013) over random walks, in plain PyTorch: negative sampling, or hierarchical
softmax (:mod:`gnnlab.embedding.hierarchical_softmax`, DeepWalk's original objective).

Each walk is a "sentence" of node ids. For a centre node :math:`c` and a context node :math:`o` at most
:math:`b` steps away in the same walk (:math:`b \sim U\{1, \dots, \text{window}\}` drawn per centre, word2vec's
reduced window, which weights near neighbours more), skip-gram maximises

.. math::
    \log \sigma(u_c^\top v_o) + \sum_{k=1}^{K} \log \sigma(-u_c^\top v_{n_k}),
    \qquad n_k \sim P_n, \quad P_n(n) \propto \text{freq}(n)^{3/4},

with separate input vectors :math:`u` (the embedding) and context vectors :math:`v`, :math:`K` = ``negative``
negatives per pair. As in word2vec the updates are plain SGD written by hand (no autograd), with the
learning rate decaying linearly to :math:`10^{-4}\eta_0` over the run; :math:`u` starts uniform in
:math:`\pm 0.5/d` and :math:`v` at zero.

What makes it fast on a CPU (see the performance notes): a batch's pairs are scored at once, with
batched matrix products; rows are gathered with ``index_select`` and updated with ``index_add_``; every pair
is trained against exactly :math:`K` negatives with weight 1, drawn once for a group of pairs:

* pairs drawn at random (``max_pairs``): every ``negative_sharing`` consecutive pairs of a batch share one
  draw (PyTorch-BigGraph's chunked negatives);
* every window pair of the walks (``max_pairs=None``): the pairs are grouped by walk position, as word2vec's
  own loop visits them: the :math:`m \le 2b` nodes in a position's reduced window each predict the node at
  the position (:math:`u_o^\top v_c`, the context's input vector against the centre's output vector, which
  is how word2vec's code pairs them) and share its :math:`K` negatives (drawn from a Walker alias table), so a
  group is scored against its :math:`K + 1` output vectors by one small matrix product (:func:`window_groups`).

Padding (``-1``) in the walks never forms a pair.

With ``objective="hierarchical_softmax"`` the negatives are replaced by the :math:`L \approx \log_2 N` inner
nodes on the context's path in a Huffman tree of the nodes' frequencies in the walks (word2vec's ``hs=1``);
the same pairs, learning rate and initialisation of :math:`u`, the inner-node vectors starting at zero.
"""
from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from gnnlab.embedding.hierarchical_softmax import HuffmanTree, hierarchical_softmax_step
from gnnlab.embedding.random_walk import PAD
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_choice, check_number, check_positive_int, describe, fail

#: the skip-gram objectives ``train_skipgram`` and the estimators accept
OBJECTIVES = ("negative_sampling", "hierarchical_softmax")


def window_pairs(walks: Tensor, window_size: int, generator: torch.Generator) -> Tensor:
    """All (centre, context) pairs of the walks within word2vec's reduced window, as a ``(2, P)`` tensor.

    Every centre draws :math:`b \\sim U\\{1..w\\}` and pairs with each node at most :math:`b` steps away in
    its walk, as gensim does: an interior centre has :math:`w + 1` pairs on average, so ``W`` walks of
    length ``L`` give about :math:`W L (w + 1)` pairs, fewer near the ends and around padding.
    """
    length = walks.size(1)
    reach = torch.randint(1, window_size + 1, walks.shape, generator=generator, device=walks.device)
    valid = walks >= 0
    pairs = []
    for offset in range(1, min(window_size, length - 1) + 1):
        left, right = walks[:, :-offset], walks[:, offset:]
        both = valid[:, :-offset] & valid[:, offset:]
        forward = both & (reach[:, :-offset] >= offset)  # centre on the left
        backward = both & (reach[:, offset:] >= offset)  # centre on the right
        pairs.append(torch.stack([left[forward], right[forward]]))
        pairs.append(torch.stack([right[backward], left[backward]]))
    return torch.cat(pairs, dim=1) if pairs else walks.new_zeros(2, 0)


def window_groups(walks: Tensor, window_size: int, generator: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """The pairs of :func:`window_pairs` (the same reduced windows for the same generator state), grouped by
    walk position: ``(centres, contexts, sizes)``, one entry of ``centres`` and ``sizes`` per position that has
    a pair (its node, and the number of nodes in its reduced window), and in ``contexts`` those nodes,
    position after position. Positions are ordered by size, at random within a size, so that a run of
    positions of one size reshapes to a ``(positions, size)`` matrix.
    """
    rows, length = walks.shape
    device = walks.device
    reach = torch.randint(1, window_size + 1, walks.shape, generator=generator, device=device)
    padded = walks.new_full((rows, length + 2 * window_size), PAD)
    padded[:, window_size:window_size + length] = walks
    around = padded.unfold(1, 2 * window_size + 1, 1)  # (rows, length, 2w + 1), the position in the middle
    candidates = torch.cat([around[..., :window_size], around[..., window_size + 1:]], -1).reshape(-1, 2 * window_size)
    distance = torch.cat([torch.arange(window_size, 0, -1), torch.arange(1, window_size + 1)]).to(device)
    inside = (candidates >= 0) & (distance <= reach.view(-1, 1)) & (walks.view(-1, 1) >= 0)
    shuffled = torch.randperm(rows * length, generator=generator, device=device)
    sizes, by_size = torch.sort(inside.sum(1).index_select(0, shuffled), stable=True)
    first = int(torch.searchsorted(sizes, 1))  # positions without a pair come first
    order, sizes = shuffled.index_select(0, by_size[first:]), sizes[first:]
    contexts = candidates.index_select(0, order)[inside.index_select(0, order)]
    return walks.reshape(-1).index_select(0, order), contexts, sizes


def sample_window_pairs(walks: Tensor, window_size: int, num_pairs: int, generator: torch.Generator) -> Tensor:
    r"""``num_pairs`` pairs drawn with replacement from the distribution of :func:`window_pairs`, directly.

    In :func:`window_pairs` a centre with reduced window :math:`b` yields up to :math:`2b` pairs, so a pair at
    offset :math:`d` has weight :math:`\#\{b \ge d\} \propto w - d + 1`. Drawing a centre uniformly, then
    :math:`b` with probability :math:`\propto b`, then :math:`d \in \{1..b\}` and a side uniformly gives
    the same distribution; pairs that fall off the walk or on padding are redrawn (as they are absent there).
    """
    rows, length = walks.shape
    device = walks.device
    reach_weights = torch.arange(1, window_size + 1, dtype=torch.float64, device=device)
    flat = walks.reshape(-1)
    out = []
    needed = num_pairs
    while needed > 0:
        draw = int(needed * 1.3) + 1024
        position = torch.randint(0, rows * length, (draw,), generator=generator, device=device)
        reach = torch.multinomial(reach_weights, draw, replacement=True, generator=generator) + 1
        offset = (torch.rand(draw, generator=generator, device=device) * reach).long() + 1
        offset = offset.minimum(reach)
        side = torch.randint(0, 2, (draw,), generator=generator, device=device) * 2 - 1
        column = position % length + side * offset
        ok = (column >= 0) & (column < length)
        context_position = position - position % length + column.clamp(0, length - 1)
        centre, context = flat.index_select(0, position), flat.index_select(0, context_position)
        keep = torch.nonzero(ok & (centre >= 0) & (context >= 0)).view(-1)[:needed]
        out.append(torch.stack([centre.index_select(0, keep), context.index_select(0, keep)]))
        needed -= keep.numel()
        if draw > 0 and keep.numel() == 0 and bool((walks[:, 1:] < 0).all()):
            break  # no pair exists at all
    return torch.cat(out, dim=1) if out else walks.new_zeros(2, 0)


def train_skipgram(
    walks: Tensor,
    num_nodes: int,
    *,
    dimensions: int = 128,
    window_size: int = 10,
    negative: int = 5,
    epochs: int = 1,
    learning_rate: float = 0.025,
    batch_size: int = 8192,
    negative_sharing: int = 64,
    max_pairs: int | None = None,
    objective: str = "negative_sampling",
    seed: int | None = None,
    verbose: bool = False,
    stats: dict | None = None,
) -> tuple[Tensor, Tensor]:
    """Train skip-gram embeddings on ``walks`` (``(W, L)`` node ids, ``-1`` padding).

    Args:
        walks: ``(W, L)`` long tensor of node ids (``-1`` pads the end of a walk that stopped early), e.g. from
            :func:`gnnlab.embedding.random_walks`; training runs on its device.
        num_nodes: the number of nodes :math:`N` (rows of the embedding), larger than every id in ``walks``.
        dimensions: embedding size :math:`d`.
        window_size: the largest distance :math:`w` in a walk between a centre and its context.
        negative: negatives per (centre, context) pair, drawn from :math:`P_n` (negative sampling only).
        epochs: passes over the training pairs.
        learning_rate: initial SGD step, decayed linearly to :math:`10^{-4}` of it over the run.
        batch_size: pairs per SGD step.
        negative_sharing: consecutive pairs of a batch that share one draw of ``negative`` negatives
            (negative sampling on pairs drawn at random, ``max_pairs`` set; with ``max_pairs=None`` the pairs of
            one walk position share them).
        max_pairs: ``None`` trains, each epoch, on every window pair of the walks once (:func:`window_pairs`,
            the pairs gensim's skip-gram trains on the same walks: about :math:`W L (w + 1)`), grouped by walk
            position (:func:`window_groups`) for negative sampling, in random order, a block of walks at a
            time. An integer trains each epoch on exactly that many pairs drawn at random, with replacement,
            from the same distribution (:func:`sample_window_pairs`): an unbiased estimate of the same
            objective, since the walks repeat the same pairs many times over.
        objective: ``"negative_sampling"`` or ``"hierarchical_softmax"``.
        seed: seeds the initial vectors, the pairs and the negatives (the same seed on the same device gives the
            same vectors); ``None`` draws a fresh seed.
        verbose: a progress bar over the epochs.
        stats: a dict to receive what the run did, counted as it trains: ``"pairs"``, the (centre, context)
            pairs trained over all epochs; ``"negatives_drawn"``, the negatives drawn (each pair is scored
            against ``negative`` of them, shared by a position's pairs or ``negative_sharing`` pairs; 0 for
            hierarchical softmax); ``"batches"``, the SGD steps.

    Returns:
        ``(input_vectors, output_vectors)`` on the walks' device: the embedding ``(num_nodes, dimensions)``,
        and the context vectors ``(num_nodes, dimensions)`` (negative sampling) or the Huffman tree's
        inner-node vectors ``(num_nodes - 1, dimensions)`` (hierarchical softmax).

    Example::

        >>> from gnnlab.data import karate_club
        >>> from gnnlab.embedding import random_walks, train_skipgram
        >>> walks = random_walks(karate_club().edge_index, 34, walk_length=10, walks_per_node=2, seed=0)
        >>> stats = {}
        >>> vectors, contexts = train_skipgram(walks, 34, dimensions=8, window_size=3, seed=0, stats=stats)
        >>> vectors.shape, contexts.shape, vectors.dtype
        (torch.Size([34, 8]), torch.Size([34, 8]), torch.float32)
        >>> sorted(stats)
        ['batches', 'negatives_drawn', 'pairs']
        >>> _, inner = train_skipgram(walks, 34, dimensions=8, max_pairs=1000, objective="hierarchical_softmax",
        ...                           seed=0)
        >>> inner.shape  # one vector per inner node of the Huffman tree
        torch.Size([33, 8])
    """
    walks = _check_skipgram_args(walks, num_nodes, dimensions, window_size, negative, epochs, learning_rate,
                                 batch_size, negative_sharing, max_pairs, objective)
    device = walks.device
    generator = make_generator(seed, device)
    inputs, contexts, tree, weights = _initial_state(walks, num_nodes, dimensions, objective, generator)
    noise = None if weights is None else torch.cumsum(weights, 0)
    grouped = objective == "negative_sampling" and max_pairs is None
    # the all-pairs run draws K negatives per walk position, from an alias table (constant time a draw)
    alias = _alias_table(weights) if grouped else None
    bar = tqdm(total=epochs, desc="skip-gram", disable=not verbose, leave=False, unit="epoch")
    progress = 0.0  # share of the run done, for the linear learning-rate decay
    buffers = _Buffers()
    pairs = draws = steps = 0
    for _ in range(epochs):
        chunks = (_epoch_groups(walks, window_size, batch_size, negative, alias, generator) if grouped
                  else _epoch_pairs(walks, window_size, batch_size, max_pairs, generator))
        for batches, share in chunks:
            for index, batch in enumerate(batches):
                lr = learning_rate * max(1.0 - (progress + share * index / len(batches)) / epochs, 1e-4)
                if grouped:
                    _group_step(inputs, contexts, *batch, lr, buffers)
                elif objective == "hierarchical_softmax":
                    hierarchical_softmax_step(inputs, contexts, *batch, tree, lr)
                else:
                    _sgd_step(inputs, contexts, *batch, noise, negative, negative_sharing, lr, generator, buffers)
                pairs, draws = pairs + batch[0].numel(), draws + _negatives_drawn(batch, grouped, tree is not None,
                                                                                 negative, negative_sharing)
            steps += len(batches)
            progress += share
            bar.update(share)
    bar.close()
    if stats is not None:
        stats.update(pairs=pairs, negatives_drawn=draws, batches=steps)
    return inputs, contexts


def _initial_state(walks: Tensor, num_nodes: int, dimensions: int, objective: str,
                   generator: torch.Generator) -> tuple[Tensor, Tensor, HuffmanTree | None, Tensor | None]:
    """The input vectors (uniform within 0.5 / d of zero), the output vectors (zeros), and the Huffman tree over
    the walks' node counts (hierarchical softmax) or the noise weights, counts to the power 0.75."""
    device = walks.device
    counts = torch.bincount(walks[walks >= 0], minlength=num_nodes).to(torch.float64)
    inputs = (torch.rand(num_nodes, dimensions, generator=generator, device=device) - 0.5) / dimensions
    if objective == "hierarchical_softmax":
        tree = HuffmanTree.from_counts(counts)  # on the counts' device, the walks'
        return inputs, torch.zeros(num_nodes - 1, dimensions, device=device), tree, None
    weights = counts.pow(0.75) if float(counts.sum()) > 0 else torch.ones_like(counts)
    return inputs, torch.zeros(num_nodes, dimensions, device=device), None, weights


def _negatives_drawn(batch: tuple, grouped: bool, hierarchical: bool, negative: int, negative_sharing: int) -> int:
    """The negatives drawn for one batch: ``negative`` per walk position (grouped), per ``negative_sharing``
    pairs (sampled pairs), none for hierarchical softmax."""
    if hierarchical:
        return 0
    if grouped:
        return batch[1].size(0) * negative
    return -(-batch[0].numel() // negative_sharing) * negative


def _check_skipgram_args(walks, num_nodes, dimensions, window_size, negative, epochs, learning_rate, batch_size,
                         negative_sharing, max_pairs, objective) -> Tensor:
    who = "train_skipgram"
    if not isinstance(walks, Tensor) or walks.dim() != 2 or walks.dtype not in (torch.int64, torch.int32):
        fail(who, "'walks' to be an integer tensor of shape (num_walks, walk_length)", describe(walks), TypeError
             if not isinstance(walks, Tensor) else ValueError)
    check_positive_int(who, "num_nodes", num_nodes)
    for name, value in (("dimensions", dimensions), ("window_size", window_size), ("negative", negative),
                        ("epochs", epochs), ("batch_size", batch_size), ("negative_sharing", negative_sharing)):
        check_positive_int(who, name, value)
    if max_pairs is not None:
        check_positive_int(who, "max_pairs", max_pairs)
    check_number(who, "learning_rate", learning_rate, low=0.0, low_open=True)
    check_choice(who, "objective", objective, OBJECTIVES)
    if walks.numel() and (int(walks.min()) < -1 or int(walks.max()) >= num_nodes):
        fail(who, f"'walks' to hold node ids in [0, {num_nodes}) or -1 (padding)",
             f"ids from {int(walks.min())} to {int(walks.max())}")
    return walks.long()


def _epoch_pairs(walks: Tensor, window_size: int, batch_size: int, max_pairs: int | None,
                 generator: torch.Generator) -> Iterator[tuple[list[tuple[Tensor, Tensor]], float]]:
    """One epoch's pairs in training order, as ``(batches of (centres, contexts), share of the epoch)`` chunks
    of about 64 batches: sampled pairs, or every window pair of a random block of walks, shuffled."""
    chunk = 64 * batch_size
    if max_pairs is not None:
        for first in range(0, max_pairs, chunk):
            count = min(chunk, max_pairs - first)
            yield _split(sample_window_pairs(walks, window_size, count, generator), batch_size), count / max_pairs
        return
    for block, share in _walk_blocks(walks, window_size, chunk, generator):
        pairs = window_pairs(block, window_size, generator)
        shuffle = torch.randperm(pairs.size(1), generator=generator, device=walks.device)
        yield _split(pairs.index_select(1, shuffle), batch_size), share


def _epoch_groups(walks: Tensor, window_size: int, batch_size: int, negative: int, noise: tuple[Tensor, Tensor],
                  generator: torch.Generator) -> Iterator[tuple[list[tuple[Tensor, Tensor]], float]]:
    """Every window pair of the walks once, grouped by position (:func:`window_groups`), as ``(batches, share of
    the epoch)`` chunks of about 64 batches. A batch is ``(contexts, targets)``: ``(M, m)`` context nodes of
    ``M`` positions of one size ``m`` (about ``batch_size`` pairs), and ``(M, 1 + negative)`` targets, each
    position's node and then its negatives drawn from the ``noise`` alias table; batches of every size come
    shuffled together."""
    for block, share in _walk_blocks(walks, window_size, 64 * batch_size, generator):
        centres, contexts, sizes = window_groups(block, window_size, generator)
        negatives = _draw_alias(noise, centres.numel() * negative, generator).view(-1, negative)
        targets = torch.cat([centres.unsqueeze(1), negatives], 1)
        batches, first, offset = [], 0, 0
        values, counts = torch.unique_consecutive(sizes, return_counts=True)
        for size, count in zip(values.tolist(), counts.tolist()):
            step = max(1, batch_size // size)
            for start in range(first, first + count, step):
                stop = min(start + step, first + count)
                rows = contexts[offset + (start - first) * size:offset + (stop - first) * size]
                batches.append((rows.view(stop - start, size), targets[start:stop]))
            first, offset = first + count, offset + count * size
        shuffle = torch.randperm(len(batches), generator=generator, device=walks.device).tolist()
        yield [batches[i] for i in shuffle], share


def _walk_blocks(walks: Tensor, window_size: int, pairs: int, generator: torch.Generator
                 ) -> Iterator[tuple[Tensor, float]]:
    """Random blocks of walks holding about ``pairs`` window pairs each, with their share of the walks."""
    rows = max(1, pairs // (walks.size(1) * (window_size + 1)))
    order = torch.randperm(walks.size(0), generator=generator, device=walks.device)
    for first in range(0, walks.size(0), rows):
        yield walks.index_select(0, order[first:first + rows]), min(rows, walks.size(0) - first) / walks.size(0)


def _split(pairs: Tensor, batch_size: int) -> list[tuple[Tensor, Tensor]]:
    return [(pairs[0, start:start + batch_size], pairs[1, start:start + batch_size])
            for start in range(0, pairs.size(1), batch_size)]


class _Buffers:
    """``(rows, d)`` work arrays reused from step to step: on the CPU a fresh array of a batch's size (2 MiB at
    4096 x 128) per operation costs more in page faults than the arithmetic on it."""

    def __init__(self) -> None:
        self.arrays: dict[str, Tensor] = {}

    def get(self, name: str, rows: int, like: Tensor) -> Tensor:
        array = self.arrays.get(name)
        if array is None or array.size(0) < rows:
            array = self.arrays[name] = like.new_empty(rows, like.size(1))
        return array[:rows]


def _sgd_step(inputs: Tensor, contexts: Tensor, centre: Tensor, context: Tensor, noise_cdf: Tensor,
              negative: int, sharing: int, lr: float, generator: torch.Generator,
              buffers: _Buffers | None = None) -> None:
    """One hand-written SGD step on a batch of pairs; each group of ``sharing`` pairs shares ``negative``
    negatives drawn from the cumulative noise weights ``noise_cdf`` (no autograd). Every update is computed
    from the parameters before the step."""
    size, dimensions = centre.numel(), inputs.size(1)
    buffers = _Buffers() if buffers is None else buffers
    groups = -(-size // sharing)
    padded = groups * sharing
    uniform = torch.rand(groups * negative, generator=generator, device=inputs.device, dtype=torch.float64)
    negatives = torch.searchsorted(noise_cdf, uniform.mul_(noise_cdf[-1]), right=True).clamp_(max=inputs.size(0) - 1)
    grouped = buffers.get("centre", padded, inputs)  # the centres' vectors, zero rows padding the last group
    if padded > size:
        grouped[size:].zero_()
    u = torch.index_select(inputs, 0, centre, out=grouped[:size])
    v = torch.index_select(contexts, 0, context, out=buffers.get("context", size, inputs))
    n = contexts.index_select(0, negatives).view(groups, negative, dimensions)
    # d/ds log sigma(s) = 1 - sigma(s); d/ds log sigma(-s) = -sigma(s)
    g_pos = torch.mul(u, v, out=buffers.get("step", size, inputs)).sum(1, keepdim=True)
    g_pos = g_pos.sigmoid_().sub_(1.0).mul_(-lr)
    grouped = grouped.view(groups, sharing, dimensions)
    g_neg = torch.bmm(grouped, n.transpose(1, 2)).sigmoid_().mul_(-lr)  # (groups, sharing, negative)
    step_u = torch.bmm(g_neg, n, out=buffers.get("step", padded, inputs).view(groups, sharing, dimensions))
    step_u = step_u.view(-1, dimensions)[:size].addcmul_(v, g_pos)
    contexts.index_add_(0, negatives, torch.bmm(g_neg.transpose(1, 2), grouped).view(-1, dimensions))
    contexts.index_add_(0, context, u.mul_(g_pos))  # u is no longer needed as it was
    inputs.index_add_(0, centre, step_u)


def _alias_table(weights: Tensor) -> tuple[Tensor, Tensor]:
    r"""Walker's alias table for drawing :math:`i` with probability :math:`w_i / \sum_j w_j` in constant time
    (Vose's construction, on the CPU, then moved to ``weights``' device): ``(accept, alias)`` such that drawing
    :math:`i` uniformly from :math:`\{0..n-1\}`, keeping it with probability ``accept[i]`` and otherwise
    taking ``alias[i]`` (:func:`_draw_alias`) is exact: :math:`(\text{accept}_i + \sum_{j: \text{alias}_j = i}
    (1 - \text{accept}_j)) / n = w_i / \sum_j w_j`. Each column of height :math:`1/n` holds some of
    :math:`i`'s mass and tops up with one heavier node's.
    """
    count = weights.numel()
    scaled = (weights.detach().double().cpu() * (count / float(weights.sum()))).tolist()
    accept, alias = [1.0] * count, list(range(count))
    light = [i for i, mass in enumerate(scaled) if mass < 1.0]
    heavy = [i for i, mass in enumerate(scaled) if mass >= 1.0]
    while light and heavy:
        small, large = light.pop(), heavy.pop()
        accept[small], alias[small] = scaled[small], large
        scaled[large] -= 1.0 - scaled[small]
        (light if scaled[large] < 1.0 else heavy).append(large)
    # what is left is within rounding of a full column: kept with probability 1
    return (torch.tensor(accept, dtype=torch.float64, device=weights.device),
            torch.tensor(alias, dtype=torch.long, device=weights.device))


def _draw_alias(table: tuple[Tensor, Tensor], count: int, generator: torch.Generator) -> Tensor:
    """``count`` independent draws from an :func:`_alias_table`: one uniform number each, its integer part the
    column, its fractional part the coin."""
    accept, alias = table
    uniform = torch.rand(count, generator=generator, device=accept.device, dtype=torch.float64)
    uniform.mul_(accept.numel())
    column = uniform.long().clamp_(max=accept.numel() - 1)
    keep = uniform.sub_(column).lt(accept.index_select(0, column))
    return torch.where(keep, column, alias.index_select(0, column))


def _group_step(inputs: Tensor, outputs: Tensor, contexts: Tensor, targets: Tensor, lr: float,
                buffers: _Buffers | None = None) -> None:
    r"""One hand-written SGD step on groups of pairs (no autograd). Group :math:`g` trains each of its context
    nodes ``contexts[g]`` (input vectors, the rows of :math:`U_g`) against the output vectors :math:`V_g` of
    ``targets[g, 0]`` (label 1) and ``targets[g, 1:]`` (its negatives, label 0). As
    :math:`\partial \log\sigma(\pm s) / \partial s = \text{label} - \sigma(s)`, with
    :math:`G_g = \eta\,(\text{labels} - \sigma(U_g V_g^\top))`

    .. math::
        U_g \mathrel{+}= G_g V_g, \qquad V_g \mathrel{+}= G_g^\top U_g,

    every update computed from the parameters before the step and summed over the batch (``index_add_``).
    The scores are one batched product; both updates are weighted sums of table rows, which
    ``embedding_bag`` forms in one pass (faster on a CPU than batched products whose inner size is
    :math:`1 + K` or a group's size).
    """
    buffers = _Buffers() if buffers is None else buffers
    groups, size = contexts.shape
    width, dimensions = targets.size(1), inputs.size(1)
    u = torch.index_select(inputs, 0, contexts.reshape(-1), out=buffers.get("input rows", contexts.numel(), inputs))
    v = torch.index_select(outputs, 0, targets.reshape(-1), out=buffers.get("output rows", targets.numel(), inputs))
    gradient = torch.bmm(u.view(groups, size, dimensions), v.view(groups, width, dimensions).transpose(1, 2))
    gradient = gradient.sigmoid_().neg_()  # (groups, size, 1 + negatives): -sigma(s)
    gradient[:, :, 0] += 1.0
    gradient.mul_(lr)
    step_u = F.embedding_bag(targets.unsqueeze(1).expand(groups, size, width).reshape(-1, width), outputs,
                             mode="sum", per_sample_weights=gradient.view(-1, width))  # G V
    step_v = F.embedding_bag(contexts.unsqueeze(1).expand(groups, width, size).reshape(-1, size), inputs,
                             mode="sum", per_sample_weights=gradient.transpose(1, 2).reshape(-1, size))  # G^T U
    outputs.index_add_(0, targets.reshape(-1), step_v)
    inputs.index_add_(0, contexts.reshape(-1), step_u)
