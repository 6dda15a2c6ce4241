from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import torch

from gnnlab.embedding import skipgram, train_skipgram
from gnnlab.embedding.skipgram import _group_step, _sgd_step, sample_window_pairs, window_groups, window_pairs


def _expected_pair_weights(walks, window):
    """Each centre with reduced window b ~ U{1..w} pairs with offsets d <= b: weight (w - d + 1) / w."""
    weights = defaultdict(float)
    for row in walks.tolist():
        for i, centre in enumerate(row):
            if centre < 0:
                continue
            for d in range(1, window + 1):
                for j in (i - d, i + d):
                    if 0 <= j < len(row) and row[j] >= 0:
                        weights[(centre, row[j])] += (window - d + 1) / window
    return weights


def test_window_pairs_respect_window_and_padding():
    walks = torch.tensor([[0, 1, 2, 3, -1, -1], [4, 5, 6, 7, 8, 9]])
    pairs = window_pairs(walks, 2, torch.Generator().manual_seed(0))
    assert (pairs >= 0).all()
    position = {v: (r, c) for r, row in enumerate(walks.tolist()) for c, v in enumerate(row) if v >= 0}
    for centre, context in pairs.t().tolist():
        (r1, c1), (r2, c2) = position[centre], position[context]
        assert r1 == r2 and 1 <= abs(c1 - c2) <= 2


def test_sampled_pairs_follow_the_enumerated_distribution():
    generator = torch.Generator().manual_seed(0)
    walks = torch.randint(0, 30, (100, 12), generator=generator)
    walks[:5, 8:] = -1
    expected = _expected_pair_weights(walks, 4)
    total = sum(expected.values())
    sample = sample_window_pairs(walks, 4, 1_000_000, generator)
    assert sample.shape == (2, 1_000_000)
    counts = Counter(map(tuple, sample.t().tolist()))
    assert set(counts) <= set(expected)
    distance = sum(abs(counts[k] / 1_000_000 - expected[k] / total) for k in expected) / 2
    assert distance < 0.03  # sampling noise alone is about 0.015 here; a wrong offset law gives > 0.05


def two_cliques() -> torch.Tensor:
    """Two 20-node cliques joined by one edge (edge_index)."""
    nodes = torch.arange(20)
    clique = torch.cartesian_prod(nodes, nodes)
    clique = clique[clique[:, 0] != clique[:, 1]]
    return torch.cat([clique, clique + 20, torch.tensor([[0, 20], [20, 0]])]).t()


@pytest.mark.training
@pytest.mark.parametrize("objective, outputs", [("negative_sampling", 40), ("hierarchical_softmax", 39)])
def test_embedding_separates_two_communities_and_repeats(objective, outputs):
    # same-clique vectors must be more alike; the same seed gives the same vectors; the second output is the
    # context vectors (negative sampling) or the Huffman tree's N - 1 inner-node vectors
    from gnnlab.embedding import random_walks

    walks = random_walks(two_cliques(), 40, walk_length=20, walks_per_node=10, seed=0)
    (vectors, second), (again, _) = (train_skipgram(walks, 40, dimensions=16, window_size=3, epochs=3,
                                                    batch_size=512, seed=0, objective=objective) for _ in range(2))
    assert second.shape == (outputs, 16) and torch.equal(vectors, again)
    vectors = torch.nn.functional.normalize(vectors, dim=1)
    similarity = vectors @ vectors.t()
    same = torch.block_diag(torch.ones(20, 20), torch.ones(20, 20)).bool() & ~torch.eye(40, dtype=torch.bool)
    assert similarity[same].mean() > similarity[~same & ~torch.eye(40, dtype=torch.bool)].mean() + 0.3
    assert torch.isfinite(vectors).all()


def _float64_vectors(num_nodes, dimensions, generator):
    """Input and output vectors for the float64 gradient checks, standard normal."""
    return tuple(torch.randn(num_nodes, dimensions, dtype=torch.float64, generator=generator) for _ in range(2))


@pytest.mark.parametrize("size, sharing", [(12, 4), (10, 4), (7, 16)])
def test_sgd_step_is_the_gradient_with_negative_negatives_per_pair(size, sharing):
    # the hand-written step against autograd in float64: every pair gets exactly `negative` negatives with
    # weight 1 (those of its group of `sharing` pairs), repeated rows sum their updates; the last group may
    # be short (10 pairs in groups of 4)
    negative, lr, num_nodes, dimensions = 3, 0.1, 9, 5
    generator = torch.Generator().manual_seed(0)
    inputs, contexts = _float64_vectors(num_nodes, dimensions, generator)
    centre = torch.randint(0, num_nodes, (size,), generator=generator)
    context = torch.randint(0, num_nodes, (size,), generator=generator)
    noise = torch.cumsum(torch.rand(num_nodes, dtype=torch.float64, generator=generator) + 0.1, 0)
    groups = -(-size // sharing)
    replay = torch.Generator().manual_seed(7)
    uniform = torch.rand(groups * negative, generator=replay, dtype=torch.float64) * noise[-1]
    negatives = torch.searchsorted(noise, uniform, right=True).view(groups, negative)

    u, v = inputs.clone().requires_grad_(), contexts.clone().requires_grad_()
    objective = torch.nn.functional.logsigmoid((u[centre] * v[context]).sum(1)).sum()
    for i in range(size):
        objective = objective + torch.nn.functional.logsigmoid(-(v[negatives[i // sharing]] @ u[centre[i]])).sum()
    objective.backward()
    _sgd_step(inputs, contexts, centre, context, noise, negative, sharing, lr, torch.Generator().manual_seed(7))
    torch.testing.assert_close(inputs, u.detach() + lr * u.grad)
    torch.testing.assert_close(contexts, v.detach() + lr * v.grad)


@pytest.mark.parametrize("window", [1, 3, 20])
def test_window_groups_hold_exactly_the_window_pairs(window):
    # the same generator state draws the same reduced windows: the groups' pairs are window_pairs' pairs, as
    # multisets; a window longer than the walks, padding at the end and inside a walk included
    walks = torch.randint(0, 40, (25, 14), generator=torch.Generator().manual_seed(2))
    walks[3, 9:] = -1
    walks[5, 4] = -1
    walks[6, :] = -1
    walks[7, 1:] = -1  # one node, no pair
    centres, contexts, sizes = window_groups(walks, window, torch.Generator().manual_seed(4))
    pairs = window_pairs(walks, window, torch.Generator().manual_seed(4))
    assert (sizes >= 1).all() and (sizes[1:] >= sizes[:-1]).all() and int(sizes.sum()) == contexts.numel()
    grouped = torch.stack([centres.repeat_interleave(sizes), contexts])
    assert Counter(map(tuple, grouped.t().tolist())) == Counter(map(tuple, pairs.t().tolist()))


def test_window_groups_are_positions():
    # each group is one walk position's reduced window: a straight walk 0..9 with window 2 puts a node's
    # group within 2 of it, and every node has a group of its own (no two positions merged)
    walks = torch.arange(10).view(1, 10)
    centres, contexts, sizes = window_groups(walks, 2, torch.Generator().manual_seed(0))
    assert sorted(centres.tolist()) == list(range(10))
    for centre, group in zip(centres.tolist(), contexts.split(sizes.tolist())):
        assert all(1 <= abs(node - centre) <= 2 for node in group.tolist())
        assert len(set(group.tolist())) == len(group)


@pytest.mark.parametrize("groups, size", [(4, 3), (1, 1), (6, 2)])
def test_group_step_is_the_gradient(groups, size):
    # the hand-written step against autograd in float64: each context node's input vector against its
    # group's target (label 1) and the group's negatives (label 0), repeated rows summing their updates
    # (few nodes, so contexts, targets and negatives repeat, and a negative may be the target itself)
    negative, lr, num_nodes, dimensions = 3, 0.1, 7, 5
    generator = torch.Generator().manual_seed(1)
    inputs, outputs = _float64_vectors(num_nodes, dimensions, generator)
    contexts = torch.randint(0, num_nodes, (groups, size), generator=generator)
    targets = torch.randint(0, num_nodes, (groups, 1 + negative), generator=generator)

    u, v = inputs.clone().requires_grad_(), outputs.clone().requires_grad_()
    objective = 0.0
    for g in range(groups):
        for node in contexts[g].tolist():
            scores = v[targets[g]] @ u[node]
            objective = objective + torch.nn.functional.logsigmoid(scores[0]) + \
                torch.nn.functional.logsigmoid(-scores[1:]).sum()
    objective.backward()
    _group_step(inputs, outputs, contexts, targets, lr)
    torch.testing.assert_close(inputs, u.detach() + lr * u.grad)
    torch.testing.assert_close(outputs, v.detach() + lr * v.grad)


@pytest.mark.parametrize("objective, step", [("negative_sampling", "_group_step"),
                                             ("hierarchical_softmax", "hierarchical_softmax_step")])
def test_every_window_pair_is_trained_once_per_epoch(monkeypatch, objective, step):
    # with max_pairs=None, an epoch trains every window pair of the walks once: grouped by position for
    # negative sampling (5 negatives for each), as shuffled pairs for hierarchical softmax
    walks = torch.randint(0, 50, (30, 12), generator=torch.Generator().manual_seed(1))
    walks[3, 7:] = -1
    seen = []

    def record(inputs, outputs, first, second, *rest):
        if objective == "negative_sampling":  # (contexts (M, m), targets (M, 1 + negative))
            assert second.size(1) == 6 and first.size(0) == second.size(0)
            seen.append(torch.stack([second[:, 0].repeat_interleave(first.size(1)), first.reshape(-1)]))
        else:  # (centres, contexts)
            seen.append(torch.stack([first, second]))

    monkeypatch.setattr(skipgram, step, record)
    train_skipgram(walks, 50, window_size=1, batch_size=8, seed=5, objective=objective)
    # a window of 1 is never reduced: exactly every pair of neighbours in a walk, each way, once
    trained = torch.cat(seen, 1)
    assert Counter(map(tuple, trained.t().tolist())) == Counter(_all_pairs_within(walks, 1))
    seen.clear()
    train_skipgram(walks, 50, window_size=3, batch_size=64, seed=5, objective=objective)
    trained = torch.cat(seen, 1)
    # reduced windows are random: every trained pair lies within the window, and there are as many as the
    # reduced windows give in expectation (the sum of the weights (w - d + 1) / w)
    everything = set(map(tuple, _all_pairs_within(walks, 3)))
    assert set(map(tuple, trained.t().tolist())) <= everything
    expected = sum(w for w in _expected_pair_weights(walks, 3).values())
    assert abs(trained.size(1) - expected) < 0.05 * expected


def _all_pairs_within(walks, window):
    pairs = []
    for row in walks.tolist():
        for i, centre in enumerate(row):
            for j in range(max(0, i - window), min(len(row), i + window + 1)):
                if j != i and centre >= 0 and row[j] >= 0:
                    pairs.append((centre, row[j]))
    return pairs


# each path's step function and where its learning rate is among its positional arguments
_STEPS = {"grouped": ("_group_step", 4), "sampled": ("_sgd_step", 7), "hierarchical": ("hierarchical_softmax_step", 5)}


@pytest.mark.parametrize("path", list(_STEPS))
def test_learning_rate_decays_linearly_and_vectors_start_as_documented(monkeypatch, path):
    # every step's learning rate is lr0 * (1 - progress / epochs), progress the share of the run done (here
    # one block of walks an epoch, so batch i of an epoch's n is i / n of it); the first step sees u uniform
    # in +-0.5/d and the output vectors at zero
    name, position = _STEPS[path]
    real = getattr(skipgram, name)
    rates, first = [], []

    def record(*args):
        if not first:
            first.append((args[0].clone(), args[1].clone()))
        rates.append(args[position])
        return real(*args)

    monkeypatch.setattr(skipgram, name, record)
    walks = torch.randint(0, 30, (40, 10), generator=torch.Generator().manual_seed(0))
    dimensions, epochs, lr0 = 6, 2, 0.05
    train_skipgram(walks, 30, dimensions=dimensions, window_size=2, epochs=epochs, learning_rate=lr0, batch_size=64,
                   max_pairs=640 if path == "sampled" else None, seed=1,
                   objective="hierarchical_softmax" if path == "hierarchical" else "negative_sampling")
    sizes = [sum(rate > 0.5 * lr0 for rate in rates)]
    sizes.append(len(rates) - sizes[0])
    assert min(sizes) > 1
    if path == "sampled":
        assert sizes == [10, 10]  # 640 pairs in batches of 64
    expected = [lr0 * max(1.0 - (epoch + index / size) / epochs, 1e-4)
                for epoch, size in enumerate(sizes) for index in range(size)]
    assert rates == pytest.approx(expected, rel=1e-12)
    inputs, outputs = first[0]
    assert float(inputs.abs().max()) <= 0.5 / dimensions and float(inputs.std()) > 0.1 / dimensions
    assert not outputs.any()


def _walks_with_counts(counts, length, seed):
    """Walks in which node ``i`` occurs exactly ``counts[i]`` times, shuffled, the last row padded with -1."""
    nodes = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    nodes = nodes[torch.randperm(nodes.numel(), generator=torch.Generator().manual_seed(seed))]
    rows = -(-nodes.numel() // length)
    walks = torch.full((rows * length,), -1, dtype=torch.long)
    walks[:nodes.numel()] = nodes
    return walks.view(rows, length)


# node 3 never occurs in the walks (probability 0); the others' frequencies span 1 to 60
_NOISE_COUNTS = [5, 1, 12, 0, 60, 7, 2, 30, 3, 19]


def _unigram_to_the_three_quarters(counts):
    counts = torch.tensor(counts, dtype=torch.float64)
    return counts**0.75 / (counts**0.75).sum()


@pytest.mark.parametrize("max_pairs", [None, 500])
def test_negatives_are_drawn_from_frequency_to_the_three_quarters(monkeypatch, max_pairs):
    # the noise distribution train_skipgram draws its negatives from, read off the table each path samples
    # (the alias table of the all-pairs run, the cumulative weights of the sampled-pairs run), is exactly
    # freq^0.75 / sum freq^0.75 of the nodes' counts in the walks (padding not counted), in float64
    walks = _walks_with_counts(_NOISE_COUNTS, 9, seed=0)
    assert int((walks[-1] == -1).sum()) > 0
    tables = []
    if max_pairs is None:
        real_table = skipgram._alias_table

        def record_table(weights):
            tables.append(real_table(weights))
            return tables[-1]

        monkeypatch.setattr(skipgram, "_alias_table", record_table)
    else:
        real_step = skipgram._sgd_step

        def record_step(inputs, contexts, centre, context, noise_cdf, *rest):
            tables.append(noise_cdf.clone())
            return real_step(inputs, contexts, centre, context, noise_cdf, *rest)

        monkeypatch.setattr(skipgram, "_sgd_step", record_step)
    train_skipgram(walks, len(_NOISE_COUNTS), dimensions=4, window_size=2, batch_size=64, max_pairs=max_pairs, seed=0)
    assert tables
    if max_pairs is None:
        (accept, alias), = tables
        probabilities = accept.clone().index_add_(0, alias, 1.0 - accept) / accept.numel()
    else:
        cdf = tables[0]
        assert all(torch.equal(other, cdf) for other in tables)
        probabilities = torch.diff(cdf, prepend=cdf.new_zeros(1)) / cdf[-1]
    assert probabilities.dtype == torch.float64
    torch.testing.assert_close(probabilities, _unigram_to_the_three_quarters(_NOISE_COUNTS), rtol=0, atol=1e-12)


def test_hierarchical_softmax_tree_is_huffmans_over_the_walk_counts(monkeypatch):
    # the tree the steps use is the Huffman tree of the nodes' counts in the walks (padding not counted;
    # word2vec's hs=1 builds it from raw frequencies, not the noise distribution's freq^0.75)
    from gnnlab.embedding.hierarchical_softmax import HuffmanTree

    trees = []
    real = skipgram.hierarchical_softmax_step

    def record(inputs, inner, centre, context, tree, lr):
        trees.append(tree)
        return real(inputs, inner, centre, context, tree, lr)

    monkeypatch.setattr(skipgram, "hierarchical_softmax_step", record)
    walks = _walks_with_counts(_NOISE_COUNTS, 9, seed=1)
    train_skipgram(walks, len(_NOISE_COUNTS), dimensions=4, window_size=2, batch_size=64, seed=0,
                   objective="hierarchical_softmax")
    expected = HuffmanTree.from_counts(torch.tensor(_NOISE_COUNTS, dtype=torch.float64))
    assert trees and all(tree is trees[0] for tree in trees)
    for name in ("points", "codes", "lengths"):
        assert torch.equal(getattr(trees[0], name), getattr(expected, name)), name
    # a different frequency law gives a different tree here (so the comparison can fail)
    other = HuffmanTree.from_counts(torch.tensor(_NOISE_COUNTS, dtype=torch.float64) ** 0.75)
    assert not torch.equal(other.lengths, expected.lengths)


@pytest.mark.parametrize("max_pairs", [None, 300])
def test_negative_and_negative_sharing_reach_the_steps(monkeypatch, max_pairs):
    # negative=3: the all-pairs run scores each position against its node and 3 negatives; the sampled run's
    # step gets negative=3 and negative_sharing=8 (whose effect _sgd_step's gradient test pins down)
    seen = []
    name = "_group_step" if max_pairs is None else "_sgd_step"
    real = getattr(skipgram, name)

    def record(*args):
        seen.append(args[3].size(1) if max_pairs is None else args[5:7])
        return real(*args)

    monkeypatch.setattr(skipgram, name, record)
    walks = torch.randint(0, 30, (20, 10), generator=torch.Generator().manual_seed(3))
    train_skipgram(walks, 30, dimensions=4, window_size=2, negative=3, negative_sharing=8, batch_size=64,
                   max_pairs=max_pairs, seed=0)
    assert seen and set(seen) == ({4} if max_pairs is None else {(3, 8)})


def test_alias_table_is_exact():
    # the table's implied probabilities are the weights' shares exactly (zero weights, ties and one heavy
    # node included), and draws follow them
    from gnnlab.embedding.skipgram import _alias_table, _draw_alias

    weights = torch.tensor([3.0, 0.0, 1.0, 1.0, 50.0, 0.5, 0.0, 2.25, 7.0, 1.0], dtype=torch.float64)
    accept, alias = _alias_table(weights)
    implied = accept.clone().index_add_(0, alias, 1.0 - accept) / weights.numel()
    torch.testing.assert_close(implied, weights / weights.sum(), rtol=0, atol=1e-12)
    draws = _draw_alias((accept, alias), 400_000, torch.Generator().manual_seed(0))
    counts = torch.bincount(draws, minlength=weights.numel())
    assert counts[weights == 0].sum() == 0
    distance = (counts / 400_000 - weights / weights.sum()).abs().sum() / 2
    assert distance < 0.005  # sampling noise alone is about 0.001 here
    assert torch.equal(_alias_table(torch.ones(5))[0], torch.ones(5, dtype=torch.float64))


@pytest.mark.parametrize("objective", ["negative_sampling", "hierarchical_softmax"])
def test_stats_count_the_pairs_and_negatives_the_run_trained(objective):
    # window 1: every reduced window is 1, so the pairs are exactly each node's walk neighbours (padding none)
    walks = torch.tensor([[0, 1, 2, 3, 4], [5, 6, 7, -1, -1], [8, 9, 10, 11, 12]])
    stats = {}
    train_skipgram(walks, 13, dimensions=8, window_size=1, negative=3, epochs=2, batch_size=4, seed=0,
                   objective=objective, stats=stats)
    positions = 5 + 3 + 5  # every non-padding position has a neighbour
    assert stats["pairs"] == 2 * 2 * (4 + 2 + 4)  # epochs x both directions x adjacent pairs
    assert stats["negatives_drawn"] == (2 * positions * 3 if objective == "negative_sampling" else 0)
    assert stats["batches"] >= 2 * -(-(4 + 2 + 4) * 2 // 4)
    sampled = {}
    train_skipgram(walks, 13, dimensions=8, window_size=2, negative=3, epochs=3, batch_size=16, max_pairs=40,
                   negative_sharing=6, seed=0, objective=objective, stats=sampled)
    # 40 pairs an epoch in batches of 16, 16, 8; up to 6 pairs of a batch share a draw of 3 (3 + 3 + 2 groups)
    assert sampled == {"pairs": 120, "batches": 9,
                       "negatives_drawn": 3 * (3 + 3 + 2) * 3 if objective == "negative_sampling" else 0}
