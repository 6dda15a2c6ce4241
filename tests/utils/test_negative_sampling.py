from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

from gnnlab.utils import negative_sampling


def _random_graph(num_nodes: int, num_edges: int, seed: int, undirected: bool = True) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(num_nodes, (2, num_edges), generator=generator)
    return torch.cat([edge_index, edge_index.flip(0)], dim=1) if undirected else edge_index


def _pairs(edge_index: torch.Tensor, undirected: bool) -> set[tuple[int, int]]:
    out = set()
    for i, j in edge_index.t().tolist():
        out.add((min(i, j), max(i, j)) if undirected else (i, j))
    return out


@given(num_nodes=st.integers(2, 40), density=st.floats(0.0, 0.95), share=st.floats(0.0, 1.0),
       seed=st.integers(0, 2**31), undirected=st.booleans())
def test_guarantees_on_random_graphs(num_nodes, density, share, seed, undirected):
    """Never an edge, never a self-loop, no repeats (no pair in both directions when undirected), exactly
    num_samples pairs, any density up to asking for every non-edge."""
    num_edges = int(density * num_nodes * (num_nodes - 1) / 2)
    edge_index = _random_graph(num_nodes, num_edges, seed, undirected)
    edges = _pairs(edge_index, undirected)
    pairs = num_nodes * (num_nodes - 1) // (2 if undirected else 1)
    available = pairs - len({p for p in edges if p[0] != p[1]})
    num_samples = int(share * available)
    sample = negative_sampling(edge_index, num_nodes, num_samples, seed=seed, undirected=undirected)
    assert sample.shape == (2, num_samples) and sample.dtype == torch.long
    drawn = [tuple(p) for p in sample.t().tolist()]
    assert all(i != j for i, j in drawn)
    if undirected:
        assert all(i < j for i, j in drawn)
    assert len(set(drawn)) == len(drawn)
    assert not set(drawn) & edges


@given(num_nodes=st.integers(3, 30), seed=st.integers(0, 1000))
def test_exclude_is_never_drawn(num_nodes, seed):
    """Draw some non-edges, then every other one with those excluded: the two never meet and together they
    are all the non-edges."""
    edge_index = _random_graph(num_nodes, num_nodes, seed)
    edges = {p for p in _pairs(edge_index, True) if p[0] != p[1]}
    available = num_nodes * (num_nodes - 1) // 2 - len(edges)
    first = negative_sampling(edge_index, num_nodes, available // 2, seed=seed)
    rest = negative_sampling(edge_index, num_nodes, available - available // 2, seed=seed + 1, exclude=first)
    assert not _pairs(first, True) & _pairs(rest, True)
    everything = {(i, j) for i in range(num_nodes) for j in range(i + 1, num_nodes)} - edges
    assert _pairs(first, True) | _pairs(rest, True) == everything


def test_uniform_over_non_edges():
    """Chi-square: every non-edge of a small graph is drawn equally often (rejection path, and listing path
    when most non-edges are asked for)."""
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    num_nodes = 6
    non_edges = [(i, j) for i in range(num_nodes) for j in range(i + 1, num_nodes)
                 if (i, j) not in {(0, 1), (1, 2), (3, 4)}]
    for num_samples in (2, 10):  # 2 of 12: rejection; 10 of 12: listing
        counts = dict.fromkeys(non_edges, 0)
        generator = torch.Generator().manual_seed(0)
        for _ in range(600):
            for pair in negative_sampling(edge_index, num_nodes, num_samples, seed=generator).t().tolist():
                counts[tuple(pair)] += 1
        assert set(counts) == set(non_edges)
        assert chisquare(list(counts.values())).pvalue > 1e-3


def test_ordered_pairs_of_a_directed_graph():
    edge_index = torch.tensor([[0, 1], [1, 2]])  # 0->1, 1->2: the reverses are non-edges
    sample = negative_sampling(edge_index, 3, 4, seed=0, undirected=False)
    assert {tuple(p) for p in sample.t().tolist()} == {(1, 0), (2, 1), (0, 2), (2, 0)}


def test_deterministic_for_a_seed_and_default_count(cora):
    a = negative_sampling(cora.edge_index, cora.num_nodes, seed=3)
    b = negative_sampling(cora.edge_index, cora.num_nodes, seed=3)
    assert torch.equal(a, b) and a.size(1) == cora.edge_index.size(1) // 2
    assert not torch.equal(a, negative_sampling(cora.edge_index, cora.num_nodes, seed=4))
    # a generator continues its stream
    generator = torch.Generator().manual_seed(0)
    assert not torch.equal(negative_sampling(cora.edge_index, cora.num_nodes, 10, seed=generator),
                           negative_sampling(cora.edge_index, cora.num_nodes, 10, seed=generator))


def test_too_many_samples_names_the_argument():
    complete = torch.tensor([[0, 0, 1], [1, 2, 2]])
    assert negative_sampling(complete, 4, 3, seed=0).size(1) == 3  # (0,3), (1,3), (2,3)
    with pytest.raises(ValueError, match=r"'num_samples' at most the 3 non-edges.*\(got 4\)"):
        negative_sampling(complete, 4, 4, seed=0)
    with pytest.raises(ValueError, match="'num_samples' at most the 0 non-edges"):
        negative_sampling(complete, 3, 1, seed=0)


@pytest.mark.parametrize("call, match", [
    (lambda: negative_sampling(torch.tensor([[0], [5]]), 3, 1), "indices below num_nodes=3"),
    (lambda: negative_sampling(torch.tensor([0, 1]), 3, 1), r"'edge_index' of shape \(2, E\)"),
    (lambda: negative_sampling(torch.tensor([[0], [1]]), 3, -1), "'num_samples' to be an integer >= 0"),
    (lambda: negative_sampling(torch.tensor([[0], [1]]), 0, 1), "'num_nodes' to be an integer >= 1"),
    (lambda: negative_sampling(torch.tensor([[0], [1]]), 3, 1, undirected="yes"), "'undirected' to be a bool"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_large_sparse_graph_is_fast_enough_to_sample():
    """Rejection sampling on a million-node graph touches only the candidates, never N^2 (no N x N table could
    be allocated here), and its draws keep every guarantee at that size: distinct unordered non-edges,
    ``row < col``, spread over all the ids as uniform pairs are."""
    num_nodes = 1_000_000
    edge_index = _random_graph(num_nodes, 100_000, 0)
    sample = negative_sampling(edge_index, num_nodes, 50_000, seed=0)
    assert sample.shape == (2, 50_000) and sample.dtype == torch.long
    assert bool((sample[0] < sample[1]).all()) and int(sample.min()) >= 0 and int(sample.max()) < num_nodes
    keys = sample[0] * num_nodes + sample[1]
    assert torch.unique(keys).numel() == 50_000
    edge_keys = torch.minimum(edge_index[0], edge_index[1]) * num_nodes + torch.maximum(edge_index[0], edge_index[1])
    assert not bool(torch.isin(keys, edge_keys).any())
    # the smaller end of a uniform unordered pair has mean N/3, the larger 2N/3 (standard error 0.001 N here)
    assert float(sample[0].double().mean()) / num_nodes == pytest.approx(1 / 3, abs=0.01)
    assert float(sample[1].double().mean()) / num_nodes == pytest.approx(2 / 3, abs=0.01)
