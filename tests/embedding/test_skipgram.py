from __future__ import annotations

from collections import Counter, defaultdict

import torch

from gnnlab.embedding import train_skipgram
from gnnlab.embedding.skipgram import sample_window_pairs, window_pairs


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


def test_embedding_separates_two_communities():
    # two 20-node cliques joined by one edge: same-clique vectors must be more alike
    nodes = torch.arange(20)
    clique = torch.cartesian_prod(nodes, nodes)
    clique = clique[clique[:, 0] != clique[:, 1]]
    edges = torch.cat([clique, clique + 20, torch.tensor([[0, 20], [20, 0]])]).t()
    from gnnlab.embedding import random_walks

    walks = random_walks(edges, 40, walk_length=20, walks_per_node=10, seed=0)
    vectors, _ = train_skipgram(walks, 40, dimensions=16, window_size=3, epochs=3, batch_size=512, seed=0)
    vectors = torch.nn.functional.normalize(vectors, dim=1)
    similarity = vectors @ vectors.t()
    same = torch.block_diag(torch.ones(20, 20), torch.ones(20, 20)).bool() & ~torch.eye(40, dtype=torch.bool)
    assert similarity[same].mean() > similarity[~same & ~torch.eye(40, dtype=torch.bool)].mean() + 0.3
    assert torch.isfinite(vectors).all()
