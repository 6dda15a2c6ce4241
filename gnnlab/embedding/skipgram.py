r"""Skip-gram with negative sampling (Mikolov et al., 2013) over random walks, in plain PyTorch.

Each walk is a "sentence" of node ids. For a centre node :math:`c` and a context node :math:`o` at most
:math:`b` steps away in the same walk (:math:`b \sim U\{1, \dots, \text{window}\}` drawn per centre, word2vec's
reduced window, which weights near neighbours more), skip-gram maximises

.. math::
    \log \sigma(u_c^\top v_o) + \sum_{k=1}^{K} \mathbb{E}_{n_k \sim P_n} \log \sigma(-u_c^\top v_{n_k}),
    \qquad P_n(n) \propto \text{freq}(n)^{3/4},

with separate input vectors :math:`u` (the embedding) and context vectors :math:`v`. As in word2vec the
updates are plain SGD written by hand (no autograd), with the learning rate decaying linearly to
:math:`10^{-4}\eta_0`; :math:`u` starts uniform in :math:`\pm 0.5/d` and :math:`v` at zero.

What makes it fast on a CPU (see the performance notes): the pairs of a batch share one set of negatives
(``shared_negatives`` rows, as in PyTorch-BigGraph), so scoring them is one matrix product; each negative's
gradient is scaled by ``negative / shared_negatives`` so that in expectation every pair still gets
``negative`` negatives; rows are gathered with ``index_select`` and updated with ``index_add_``. Padding
(``-1``) in the walks never forms a pair.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor
from tqdm.auto import tqdm

from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int, describe, fail

PAD = -1


def window_pairs(walks: Tensor, window_size: int, generator: torch.Generator) -> Tensor:
    """All (centre, context) pairs of the walks within word2vec's reduced window, as a ``(2, P)`` tensor."""
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
    batch_size: int = 4096,
    shared_negatives: int = 64,
    max_pairs: int | None = None,
    seed: int | None = None,
    verbose: bool = False,
) -> tuple[Tensor, Tensor]:
    """Train skip-gram embeddings on ``walks`` (``(W, L)`` node ids, ``-1`` padding).

    Args:
        max_pairs: train each epoch on this many (centre, context) pairs drawn at random (with replacement)
            from the window pairs (:func:`sample_window_pairs`); ``None`` uses every pair once, in random order.
            A sample is an unbiased estimate of the same objective: the walks repeat the same pairs many
            times over, and past a few million pairs more of them stop helping (the performance notes).

    Returns:
        ``(input_vectors, context_vectors)``, each ``(num_nodes, dimensions)`` on the walks' device.
    """
    who = "train_skipgram"
    if not isinstance(walks, Tensor) or walks.dim() != 2 or walks.dtype not in (torch.int64, torch.int32):
        fail(who, "'walks' to be an integer tensor of shape (num_walks, walk_length)", describe(walks), TypeError
             if not isinstance(walks, Tensor) else ValueError)
    check_positive_int(who, "num_nodes", num_nodes)
    for name, value in (("dimensions", dimensions), ("window_size", window_size), ("negative", negative),
                        ("epochs", epochs), ("batch_size", batch_size), ("shared_negatives", shared_negatives)):
        check_positive_int(who, name, value)
    if max_pairs is not None:
        check_positive_int(who, "max_pairs", max_pairs)
    check_number(who, "learning_rate", learning_rate, low=0.0, low_open=True)
    if walks.numel() and (int(walks.min()) < -1 or int(walks.max()) >= num_nodes):
        fail(who, f"'walks' to hold node ids in [0, {num_nodes}) or -1 (padding)",
             f"ids from {int(walks.min())} to {int(walks.max())}")
    walks = walks.long()
    device = walks.device
    generator = make_generator(seed, device)
    counts = torch.bincount(walks[walks >= 0], minlength=num_nodes).to(torch.float64)
    noise = counts.pow(0.75)
    noise = noise / noise.sum() if noise.sum() > 0 else torch.full_like(noise, 1.0 / num_nodes)

    inputs = (torch.rand(num_nodes, dimensions, generator=generator, device=device) - 0.5) / dimensions
    contexts = torch.zeros(num_nodes, dimensions, device=device)

    if max_pairs is None:
        every_pair = window_pairs(walks, window_size, generator)
        per_epoch = every_pair.size(1)
    else:
        per_epoch = max_pairs
    total_batches = max(1, epochs * math.ceil(per_epoch / batch_size))
    chunk = 64 * batch_size  # pairs drawn at a time: bounds the memory of sampling
    done = 0
    bar = tqdm(total=total_batches, desc="skip-gram", disable=not verbose, leave=False, unit="batch")
    for _ in range(epochs):
        if max_pairs is None:
            order = torch.randperm(per_epoch, generator=generator, device=device)
        for first in range(0, per_epoch, chunk):
            count = min(chunk, per_epoch - first)
            if max_pairs is None:
                pairs = every_pair.index_select(1, order[first:first + count])
            else:
                pairs = sample_window_pairs(walks, window_size, count, generator)
            for start in range(0, pairs.size(1), batch_size):
                lr = learning_rate * max(1.0 - done / total_batches, 1e-4)
                _sgd_step(inputs, contexts, pairs[0, start:start + batch_size], pairs[1, start:start + batch_size],
                          noise, shared_negatives, negative / shared_negatives, lr, generator)
                done += 1
                bar.update()
    bar.close()
    return inputs, contexts


def _sgd_step(inputs: Tensor, contexts: Tensor, centre: Tensor, context: Tensor, noise: Tensor,
              shared_negatives: int, scale: float, lr: float, generator: torch.Generator) -> None:
    """One hand-written SGD step on a batch of pairs with shared negatives (no autograd)."""
    negatives = torch.multinomial(noise, shared_negatives, replacement=True, generator=generator)
    u = inputs.index_select(0, centre)
    v = contexts.index_select(0, context)
    n = contexts.index_select(0, negatives)
    # d/ds log sigma(s) = 1 - sigma(s); d/ds log sigma(-s) = -sigma(s)
    g_pos = torch.sigmoid((u * v).sum(1, keepdim=True)).sub_(1.0).mul_(-lr)
    g_neg = torch.sigmoid(u @ n.t()).mul_(-lr * scale)
    inputs.index_add_(0, centre, torch.addmm(v.mul_(g_pos), g_neg, n))
    contexts.index_add_(0, context, u.mul(g_pos))
    contexts.index_add_(0, negatives, g_neg.t() @ u)
