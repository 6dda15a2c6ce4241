from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import torch

from gnnlab.embedding import skipgram, train_skipgram
from gnnlab.embedding.skipgram import _sgd_step, sample_window_pairs, window_pairs


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


@pytest.mark.parametrize("size, sharing", [(12, 4), (10, 4), (7, 16)])
def test_sgd_step_is_the_gradient_with_negative_negatives_per_pair(size, sharing):
    # the hand-written step against autograd in float64: every pair gets exactly `negative` negatives with
    # weight 1 (those of its group of `sharing` pairs), repeated rows sum their updates; the last group may
    # be short (10 pairs in groups of 4)
    negative, lr, num_nodes, dimensions = 3, 0.1, 9, 5
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(num_nodes, dimensions, dtype=torch.float64, generator=generator)
    contexts = torch.randn(num_nodes, dimensions, dtype=torch.float64, generator=generator)
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


def test_every_window_pair_is_trained_once_per_epoch(monkeypatch):
    # with max_pairs=None, an epoch's batches are exactly window_pairs of the walks (in some order)
    walks = torch.randint(0, 50, (30, 12), generator=torch.Generator().manual_seed(1))
    walks[3, 7:] = -1
    seen = []
    monkeypatch.setattr(skipgram, "_sgd_step", lambda inputs, contexts, centre, context, *rest:
                        seen.append(torch.stack([centre, context])))
    train_skipgram(walks, 50, window_size=3, batch_size=64, seed=5)
    trained = torch.cat(seen, 1)
    # the reduced windows are random: every trained pair lies within the window, and there are as many as
    # the reduced windows give in expectation (the sum of the weights (w - d + 1) / w)
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
