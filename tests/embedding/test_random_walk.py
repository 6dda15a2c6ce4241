"""Random walks against the exact node2vec transition probabilities (chi-square), and their invariants."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import torch
from scipy.stats import chi2

from gnnlab.embedding import random_walk, random_walks

# A triangle 0-1-2 with tails 2-3-4 and 0-5 (undirected, both directions listed).
_TRIANGLE_TAILS = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (0, 5)]
_UNDIRECTED = torch.tensor(_TRIANGLE_TAILS + [(b, a) for a, b in _TRIANGLE_TAILS]).t()
# A weighted graph: a 4-cycle with a chord and a pendant, weights on both directions.
_W_EDGES = [(0, 1, 1.0), (1, 2, 3.0), (2, 3, 0.5), (3, 0, 2.0), (0, 2, 4.0), (3, 4, 1.5)]
_WEIGHTED = torch.tensor([(a, b) for a, b, _ in _W_EDGES] + [(b, a) for a, b, _ in _W_EDGES]).t()
_WEIGHTS = torch.tensor([w for *_, w in _W_EDGES] * 2, dtype=torch.float64)
# A directed graph with a 2-cycle, a 3-cycle and a chord (no dead ends).
_DIRECTED = torch.tensor([(0, 1), (1, 0), (1, 2), (2, 3), (3, 1), (2, 0), (3, 0), (0, 3)]).t()

# A multigraph: a doubled edge 0-1 (so going back to 0 from 1 has two edges), a self-loop at 2, a 4-clique 2-3-4-5.
_MULTI_EDGES = [(0, 1), (0, 1), (1, 2), (2, 2), (2, 3), (2, 4), (2, 5), (3, 4), (3, 5), (4, 5), (5, 6)]
_MULTI = torch.tensor(_MULTI_EDGES + [(b, a) for a, b in _MULTI_EDGES if a != b]).t()

GRAPHS = {
    "triangle_with_tails": (_UNDIRECTED, 6, None),
    "weighted": (_WEIGHTED, 5, _WEIGHTS),
    "directed": (_DIRECTED, 4, None),
    "multigraph": (_MULTI, 7, None),
}
GRID = [0.25, 0.5, 1.0, 2.0, 4.0]
PQ = [(1.0, 1.0), (4.0, 0.25), (0.25, 4.0), (2.0, 0.5), (0.5, 1.0)]
# How a biased step is drawn: class tables (small unweighted graphs), folded rejection sampling with a dense
# edge table, and rejection sampling with binary searches (large graphs); the limits are lowered to force each.
SAMPLERS = {
    "tables": {},
    "rejection": {"CLASS_TABLE_LIMIT": -1},
    "rejection_search": {"CLASS_TABLE_LIMIT": -1, "DENSE_ADJACENCY_LIMIT": -1},
}


def exact_transition(edge_index, num_nodes, weight, p, q):
    """P(x | t, v) from the node2vec definition, by enumeration."""
    out = defaultdict(dict)
    weights = weight.tolist() if weight is not None else [1.0] * edge_index.size(1)
    neighbours = defaultdict(dict)
    for (a, b), w in zip(edge_index.t().tolist(), weights):
        neighbours[a][b] = neighbours[a].get(b, 0.0) + w
    for t in range(num_nodes):
        for v in neighbours[t]:
            scores = {}
            for x, w in neighbours[v].items():
                alpha = 1 / p if x == t else (1.0 if x in neighbours[t] else 1 / q)
                scores[x] = alpha * w
            total = sum(scores.values())
            out[(t, v)] = {x: s / total for x, s in scores.items()}
    return out


def _chi_square_case(graph, p, q, sampler, monkeypatch):
    for name, value in SAMPLERS[sampler].items():
        monkeypatch.setattr(random_walk, name, value)
    edge_index, num_nodes, weight = GRAPHS[graph]
    tables = random_walk.CSRGraph(edge_index, num_nodes, weight).class_tables(p, q)
    assert (tables is not None) == (sampler == "tables"), "the sampler under test is not the one used"
    walks = random_walks(edge_index, num_nodes, walk_length=30, walks_per_node=400, p=p, q=q,
                         edge_weight=weight, seed=11)
    _assert_matches_exact(walks, edge_index, num_nodes, weight, p, q)


# every (p, q) of the grid, on every graph, with every sampler that applies to it
@pytest.mark.parametrize("graph", list(GRAPHS))
@pytest.mark.parametrize("p", GRID)
@pytest.mark.parametrize("q", GRID)
@pytest.mark.parametrize("sampler", ["tables", "rejection"])
def test_second_order_frequencies_match_exact_probabilities(graph, p, q, sampler, monkeypatch):
    if sampler == "tables" and GRAPHS[graph][2] is not None:
        pytest.skip("class tables are for unweighted graphs")
    _chi_square_case(graph, p, q, sampler, monkeypatch)


@pytest.mark.parametrize("graph", list(GRAPHS))
@pytest.mark.parametrize("p, q", PQ)
def test_second_order_with_binary_search_edge_test(graph, p, q, monkeypatch):
    _chi_square_case(graph, p, q, "rejection_search", monkeypatch)


def _assert_matches_exact(walks, edge_index, num_nodes, weight, p, q):
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    t, v, x = walks[:, :-2].reshape(-1), walks[:, 1:-1].reshape(-1), walks[:, 2:].reshape(-1)
    for key, value in Counter(zip(t.tolist(), v.tolist(), x.tolist())).items():
        counts[key[:2]][key[2]] += value
    exact = exact_transition(edge_index, num_nodes, weight, p, q)
    statistic, dof = 0.0, 0
    for context, observed in counts.items():
        probabilities = exact[context]
        assert set(observed) <= set(probabilities), f"a step from {context} left the graph"
        total = sum(observed.values())
        if total < 50 or len(probabilities) < 2:
            continue
        statistic += sum((observed.get(x, 0) - total * pr) ** 2 / (total * pr) for x, pr in probabilities.items())
        dof += len(probabilities) - 1
    assert dof > 0
    assert chi2.sf(statistic, dof) > 0.001, f"chi2={statistic:.1f} with {dof} degrees of freedom"


@pytest.mark.parametrize("p, q", PQ)
def test_every_step_is_an_edge_on_a_random_graph(p, q):
    generator = torch.Generator().manual_seed(3)
    edge_index = torch.randint(0, 200, (2, 600), generator=generator)
    walks = random_walks(edge_index, 200, walk_length=30, walks_per_node=3, p=p, q=q, seed=4)
    edges = set(map(tuple, edge_index.t().tolist()))
    steps = torch.stack([walks[:, :-1].reshape(-1), walks[:, 1:].reshape(-1)], 1)
    real = steps[(steps >= 0).all(1)]
    assert set(map(tuple, real.tolist())) <= edges
    # padding only after a dead end, and only at the end of a walk
    padded = walks == -1
    assert (padded[:, :-1] <= padded[:, 1:]).all()
    out_degree = torch.bincount(edge_index[0], minlength=200)
    last = walks.gather(1, ((~padded).sum(1) - 1).view(-1, 1)).view(-1)
    assert (out_degree[last[padded[:, -1]]] == 0).all()


def test_layout_and_dead_ends():
    edge_index = torch.tensor([[0, 1], [1, 2]])  # 0 -> 1 -> 2, node 3 isolated
    walks = random_walks(edge_index, 4, walk_length=4, walks_per_node=2, seed=0)
    assert walks.shape == (8, 4) and walks.dtype == torch.long
    assert walks[:, 0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert walks[0].tolist() == [0, 1, 2, -1] and walks[3].tolist() == [3, -1, -1, -1]
    empty = random_walks(torch.zeros(2, 0, dtype=torch.long), 3, walk_length=3, walks_per_node=1)
    assert empty.tolist() == [[0, -1, -1], [1, -1, -1], [2, -1, -1]]


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (4.0, 0.25)])
def test_start_nodes_are_the_walks_starts(p, q):
    # only the given nodes start walks, row r at start_nodes[r % 3] (the layout of the full run), and the
    # walks from them are walks of the graph
    edge_index, num_nodes, _ = GRAPHS["triangle_with_tails"]
    starts = torch.tensor([4, 0, 2])
    walks = random_walks(edge_index, num_nodes, walk_length=6, walks_per_node=50, p=p, q=q, seed=1,
                         start_nodes=starts)
    assert walks.shape == (150, 6) and walks[:, 0].tolist() == starts.tolist() * 50
    edges = set(map(tuple, edge_index.t().tolist()))
    assert all((a, b) in edges for row in walks.tolist() for a, b in zip(row, row[1:]))
    # node 0's neighbours are 1, 2, 5: each first step from 0 goes to each about a third of the time
    from_zero = Counter(walks[1::3, 1].tolist())
    assert set(from_zero) == {1, 2, 5} and min(from_zero.values()) >= 8


def test_zero_weight_edges_are_never_taken():
    edge_index = torch.tensor([[0, 0, 1, 2], [1, 2, 0, 0]])
    walks = random_walks(edge_index, 3, walk_length=20, walks_per_node=50, edge_weight=torch.tensor([1.0, 0, 1, 1]))
    assert not ((walks[:, :-1] == 0) & (walks[:, 1:] == 2)).any()


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (4.0, 0.25)])
def test_same_seed_same_walks(cora, p, q):
    first = random_walks(cora.edge_index, cora.num_nodes, walk_length=10, walks_per_node=2, p=p, q=q, seed=5)
    again = random_walks(cora.edge_index, cora.num_nodes, walk_length=10, walks_per_node=2, p=p, q=q, seed=5)
    other = random_walks(cora.edge_index, cora.num_nodes, walk_length=10, walks_per_node=2, p=p, q=q, seed=6)
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize("kwargs, name", [
    (dict(p=0.0), "'p'"), (dict(q=-1.0), "'q'"), (dict(walk_length=1), "'walk_length'"),
    (dict(walks_per_node=0), "'walks_per_node'"), (dict(num_nodes=2), "'edge_index' indices below num_nodes=2"),
    (dict(edge_weight=torch.tensor([1.0, -1.0])), "'edge_weight'"),
])
def test_bad_arguments(kwargs, name):
    options = dict(num_nodes=3) | kwargs
    with pytest.raises(ValueError, match=f"'random_walks' expected {name}"):
        random_walks(torch.tensor([[0, 1], [1, 2]]), **options)


def test_wrong_edge_index():
    with pytest.raises(ValueError, match=r"'random_walks' expected 'edge_index' of shape \(2, E\)"):
        random_walks(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="'random_walks' expected 'edge_index' to hold non-negative"):
        random_walks(torch.tensor([[0, -1], [1, 0]]))
