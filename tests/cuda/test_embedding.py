"""Random walks and skip-gram on CUDA: walks drawn on the GPU follow the exact node2vec transition
probabilities (chi-square), and skip-gram trained on the GPU separates two communities."""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
import torch
from scipy.stats import chi2

from gnnlab.data import karate_club
from gnnlab.embedding import DeepWalk, Node2Vec, random_walks, train_skipgram

pytestmark = pytest.mark.cuda

# a triangle 0-1-2 with tails 2-3-4 and 0-5, both directions; a weighted 4-cycle with a chord and a pendant
_TAILS = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (0, 5)]
_WEIGHTED = [(0, 1, 1.0), (1, 2, 3.0), (2, 3, 0.5), (3, 0, 2.0), (0, 2, 4.0), (3, 4, 1.5)]
GRAPHS = {
    "triangle-with-tails": (torch.tensor(_TAILS + [(b, a) for a, b in _TAILS]).t(), 6, None),
    "weighted": (torch.tensor([(a, b) for a, b, _ in _WEIGHTED] + [(b, a) for a, b, _ in _WEIGHTED]).t(), 5,
                 torch.tensor([w for *_, w in _WEIGHTED] * 2)),
}
PQ = [(1.0, 1.0), (4.0, 0.25), (0.25, 4.0), (0.5, 2.0)]


def exact_transitions(edge_index, weight, p, q) -> dict[tuple[int, int], dict[int, float]]:
    """P(next = x | previous = t, current = v), enumerated from node2vec's definition."""
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    weights = [1.0] * edge_index.size(1) if weight is None else weight.tolist()
    for (a, b), w in zip(edge_index.t().tolist(), weights):
        neighbours[a][b] = neighbours[a].get(b, 0.0) + w
    out = {}
    for t in list(neighbours):
        for v in neighbours[t]:
            scores = {x: w * (1 / p if x == t else 1.0 if x in neighbours[t] else 1 / q)
                      for x, w in neighbours[v].items()}
            total = sum(scores.values())
            out[(t, v)] = {x: s / total for x, s in scores.items()}
    return out


@pytest.mark.parametrize("graph", list(GRAPHS))
@pytest.mark.parametrize("p, q", PQ)
def test_walks_on_cuda_follow_exact_probabilities(graph, p, q, cuda):
    edge_index, num_nodes, weight = GRAPHS[graph]
    walks = random_walks(edge_index.to(cuda), num_nodes, walk_length=40, walks_per_node=600, p=p, q=q,
                         edge_weight=None if weight is None else weight.to(cuda), seed=11)
    assert walks.device.type == "cuda" and walks.shape == (600 * num_nodes, 40)
    walks = walks.cpu()
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    triples = zip(walks[:, :-2].reshape(-1).tolist(), walks[:, 1:-1].reshape(-1).tolist(),
                  walks[:, 2:].reshape(-1).tolist())
    for (t, v, x), count in Counter(triples).items():
        counts[(t, v)][x] += count
    exact = exact_transitions(edge_index, weight, p, q)
    statistic, dof = 0.0, 0
    for context, observed in counts.items():
        probabilities = exact[context]
        assert set(observed) <= set(probabilities), f"a step from {context} left the graph"
        total = sum(observed.values())
        if total >= 50 and len(probabilities) > 1:
            statistic += sum((observed.get(x, 0) - total * pr) ** 2 / (total * pr) for x, pr in probabilities.items())
            dof += len(probabilities) - 1
    assert dof > 0
    assert chi2.sf(statistic, dof) > 0.001, f"chi2={statistic:.1f} with {dof} degrees of freedom"


def test_walks_on_cuda_repeat_with_the_seed_and_follow_edges(cuda):
    generator = torch.Generator().manual_seed(3)
    edge_index = torch.randint(0, 500, (2, 3000), generator=generator)
    first, second, other = (random_walks(edge_index, 500, walk_length=20, walks_per_node=2, p=0.5, q=2.0,
                                         seed=seed, device=cuda) for seed in (4, 4, 5))
    assert first.device.type == "cuda"
    assert torch.equal(first, second) and not torch.equal(first, other)
    steps = torch.stack([first[:, :-1].reshape(-1), first[:, 1:].reshape(-1)], 1).cpu()
    edges = set(map(tuple, edge_index.t().tolist()))
    assert set(map(tuple, steps[(steps >= 0).all(1)].tolist())) <= edges


def two_communities(size: int = 30, seed: int = 0):
    """Two dense random communities with no edge between them, undirected."""
    generator = torch.Generator().manual_seed(seed)
    parts = []
    for offset in (0, size):
        pairs = torch.randint(0, size, (2, 6 * size), generator=generator) + offset
        parts.append(pairs[:, pairs[0] != pairs[1]])
    edge_index = torch.cat(parts, dim=1)
    return torch.cat([edge_index, edge_index.flip(0)], dim=1), 2 * size


@pytest.mark.parametrize("objective", ["negative_sampling", "hierarchical_softmax"])
def test_skipgram_on_cuda_separates_communities(cuda, objective):
    edge_index, num_nodes = two_communities()
    walks = random_walks(edge_index.to(cuda), num_nodes, walk_length=20, walks_per_node=10, seed=0)
    # batches of 256 pairs: with the default 4096 the few large summed steps blur a graph this small (on the
    # CPU too: cosine 0.94 within and across communities), while 256 gives about 0.8 within and 0.1 across
    inputs, contexts = train_skipgram(walks, num_nodes, dimensions=16, window_size=4, epochs=3, batch_size=256,
                                      seed=0, objective=objective)
    assert inputs.device.type == "cuda" and contexts.device.type == "cuda"
    assert inputs.shape == (num_nodes, 16) and bool(torch.isfinite(inputs).all())
    unit = torch.nn.functional.normalize(inputs, dim=1).cpu()
    similarity = unit @ unit.t()
    community = torch.arange(num_nodes) < num_nodes // 2
    same = community.view(-1, 1) == community.view(1, -1)
    off_diagonal = ~torch.eye(num_nodes, dtype=torch.bool)
    within, across = similarity[same & off_diagonal].mean(), similarity[~same].mean()
    assert within > across + 0.3, f"within {within:.2f}, across {across:.2f}"


@pytest.mark.parametrize("cls", [DeepWalk, Node2Vec])
def test_estimators_fit_on_cuda(cls):
    data = karate_club()
    options = {"p": 0.5, "q": 2.0} if cls is Node2Vec else {}
    model = cls(dimensions=8, walk_length=10, walks_per_node=5, seed=0, device="cuda", verbose=False, **options)
    assert model.fit(data) is model
    embedding = model.embedding_
    assert isinstance(embedding, np.ndarray) and embedding.shape == (34, 8) and np.isfinite(embedding).all()


def test_hierarchical_softmax_step_on_cuda_equals_cpu(cuda):
    """The same step from the same parameters and pairs, in float64, on both devices."""
    from gnnlab.embedding.hierarchical_softmax import HuffmanTree, hierarchical_softmax_step

    generator = torch.Generator().manual_seed(0)
    tree = HuffmanTree.from_counts(torch.randint(1, 50, (300,), generator=generator).double())
    on_gpu = HuffmanTree.from_counts(torch.randint(1, 50, (300,), generator=generator).double().to(cuda))
    assert on_gpu.points.device.type == on_gpu.codes.device.type == on_gpu.lengths.device.type == "cuda"
    inputs = torch.randn(300, 8, dtype=torch.float64, generator=generator)
    inner = torch.randn(299, 8, dtype=torch.float64, generator=generator)
    centre, context = torch.randint(0, 300, (2, 4096), generator=generator)
    results = []
    for device in ("cpu", cuda):
        u, theta = inputs.clone().to(device), inner.clone().to(device)
        hierarchical_softmax_step(u, theta, centre.to(device), context.to(device), tree.to(device), 0.05)
        results.append((u.cpu(), theta.cpu()))
    for got, expected in zip(results[1], results[0]):
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_group_step_and_window_groups_on_cuda_equal_cpu(cuda):
    """The grouped negative-sampling step from the same parameters and groups, in float64, on both devices;
    and the window groups built on the GPU hold exactly the walks' window pairs."""
    from collections import Counter

    from gnnlab.embedding.skipgram import _group_step, window_groups, window_pairs

    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(300, 8, dtype=torch.float64, generator=generator)
    outputs = torch.randn(300, 8, dtype=torch.float64, generator=generator)
    contexts = torch.randint(0, 300, (500, 7), generator=generator)
    targets = torch.randint(0, 300, (500, 6), generator=generator)
    results = []
    for device in ("cpu", cuda):
        u, v = inputs.clone().to(device), outputs.clone().to(device)
        _group_step(u, v, contexts.to(device), targets.to(device), 0.05)
        results.append((u.cpu(), v.cpu()))
    for got, expected in zip(results[1], results[0]):
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)

    walks = torch.randint(0, 50, (40, 16), generator=generator)
    walks[2, 11:] = -1
    on_gpu = torch.Generator(device=cuda).manual_seed(3)
    centres, grouped, sizes = window_groups(walks.to(cuda), 4, on_gpu)
    pairs = window_pairs(walks.to(cuda), 4, torch.Generator(device=cuda).manual_seed(3))
    assert centres.device.type == grouped.device.type == sizes.device.type == cuda.type
    mine = torch.stack([centres.repeat_interleave(sizes), grouped]).cpu()
    assert Counter(map(tuple, mine.t().tolist())) == Counter(map(tuple, pairs.cpu().t().tolist()))
