"""NeighborLoader: sampled edges are real, distinct and within the fanout; uniform k-subsets; exact
neighbourhoods when the fanout covers every degree; seeds, workers and bad arguments."""
from __future__ import annotations

import itertools

import pytest
import torch
from scipy.stats import chisquare
from torch_geometric.data import Data

from gnnlab.data import NeighborLoader, synthetic_graph
from gnnlab.data.neighbor_loader import _floyd
from gnnlab.nn import GAT, GraphSAGE

from ..nn.conv.cases import random_graph


def _edge_keys(data):
    return set((data.edge_index[0] * data.num_nodes + data.edge_index[1]).tolist())


def _check_batch(batch, data, fanouts):
    n_id = batch.n_id
    assert torch.unique(n_id).numel() == n_id.numel()
    # local edges map back to the global edges they came from
    assert torch.equal(n_id[batch.edge_index], data.edge_index[:, batch.e_id])
    assert torch.unique(batch.e_id).numel() == batch.e_id.numel()
    assert torch.equal(batch.x, data.x[n_id]) and torch.equal(batch.y, data.y[n_id])
    assert sum(batch.num_sampled_nodes) == batch.num_nodes
    assert batch.num_sampled_nodes[0] == batch.batch_size
    start, first_node = 0, 0
    for hop, (fanout, count) in enumerate(zip(fanouts, batch.num_sampled_edges)):
        targets = batch.edge_index[1, start:start + count]
        hop_nodes = range(first_node, first_node + batch.num_sampled_nodes[hop])
        assert all(int(t) in hop_nodes for t in targets)  # hop h expands exactly the nodes found at hop h - 1
        per_target = torch.bincount(targets, minlength=batch.num_nodes)
        degree = torch.bincount(data.edge_index[1], minlength=data.num_nodes)[n_id]
        assert bool((per_target[list(hop_nodes)] == degree[list(hop_nodes)].clamp(max=fanout)).all())
        start += count
        first_node += batch.num_sampled_nodes[hop]


def test_batches_are_subgraphs_within_fanout(cora):
    loader = NeighborLoader(cora, [10, 5], batch_size=100, shuffle=True, input_nodes=cora.train_mask, seed=0)
    batches = list(loader)
    assert len(batches) == 2
    seeds = torch.cat([b.n_id[:b.batch_size] for b in batches])
    assert torch.equal(torch.sort(seeds).values, cora.train_mask.nonzero().view(-1))
    for batch in batches:
        assert torch.equal(cora.train_mask.nonzero().view(-1)[batch.input_id], batch.n_id[:batch.batch_size])
    for batch in batches:
        _check_batch(batch, cora, [10, 5])


def test_floyd_draws_every_subset_equally_often():
    generator = torch.Generator().manual_seed(0)
    draws = _floyd(torch.full((30000,), 5), 2, generator)
    assert bool((draws[:, 0] != draws[:, 1]).all()) and int(draws.min()) >= 0 and int(draws.max()) < 5
    subsets = list(itertools.combinations(range(5), 2))
    low, high = draws.min(1).values, draws.max(1).values
    counts = [int(((low == a) & (high == b)).sum()) for a, b in subsets]
    assert chisquare(counts).pvalue > 0.001


def test_neighbour_choice_is_uniform():
    # node 0 has 6 in-neighbours; fanout 3 picks each with probability 1/2
    edge_index = torch.tensor([[1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]])
    data = Data(x=torch.zeros(7, 1), edge_index=edge_index)
    loader = NeighborLoader(data, [3], batch_size=1, input_nodes=torch.tensor([0]), seed=1)
    counts = torch.zeros(7)
    for _ in range(3000):
        batch = loader.sample([0])
        counts[batch.n_id[1:]] += 1
    assert chisquare(counts[1:].numpy()).pvalue > 0.001


@pytest.mark.parametrize("model_cls, options", [
    (GraphSAGE, {"aggr": "mean"}), (GraphSAGE, {"aggr": "max"}), (GraphSAGE, {"aggr": "sum"}),
    (GraphSAGE, {"num_layers": 3}), (GAT, {}),
])
def test_full_fanout_gives_full_graph_outputs(model_cls, options):
    torch.manual_seed(0)
    edge_index = torch.cat([random_graph(60, 300, seed=4), torch.tensor([[5, 5, 7], [5, 9, 9]])], dim=1)
    data = Data(x=torch.randn(60, 8), edge_index=edge_index)  # a self-loop and a duplicate edge included
    model = model_cls(8, 3, **options).eval()
    expected = model(data.x, data.edge_index)
    max_degree = int(torch.bincount(edge_index[1]).max())
    depth = options.get("num_layers", 2)
    loader = NeighborLoader(data, [max_degree] * depth, batch_size=7, shuffle=True, seed=2)
    for batch in loader:
        out = model(batch.x, batch.edge_index)[:batch.batch_size]
        torch.testing.assert_close(out, expected[batch.n_id[:batch.batch_size]], atol=1e-5, rtol=0)
    loader_all = NeighborLoader(data, [-1] * depth, batch_size=60)
    batch = next(iter(loader_all))
    torch.testing.assert_close(model(batch.x, batch.edge_index)[:60], expected[batch.n_id[:60]], atol=1e-5, rtol=0)


def test_full_fanout_on_cora(cora):
    torch.manual_seed(1)
    model = GraphSAGE(cora.num_features, 7).eval()
    expected = model(cora.x, cora.edge_index)
    batch = NeighborLoader(cora, [-1, -1], batch_size=256, shuffle=True, seed=0).sample(torch.arange(0, 2708, 11))
    torch.testing.assert_close(model(batch.x, batch.edge_index)[:batch.batch_size],
                               expected[batch.n_id[:batch.batch_size]], atol=1e-5, rtol=0)


def test_seeded_loader_repeats_and_workers_agree():
    data = synthetic_graph(2000, seed=0)
    runs = []
    for workers in (0, 0, 2, 2):
        loader = NeighborLoader(data, [5, 3], batch_size=300, shuffle=True, seed=11, num_workers=workers)
        runs.append([(b.n_id, b.edge_index, b.batch_size) for b in loader])
    for same in ((0, 1), (2, 3)):
        for (n0, e0, _), (n1, e1, _) in zip(runs[same[0]], runs[same[1]]):
            assert torch.equal(n0, n1) and torch.equal(e0, e1)
    # workers draw neighbours from their own streams, but the same seed gives the same seeds per batch
    for (n0, _, size), (n2, _, _) in zip(runs[0], runs[2]):
        assert torch.equal(n0[:size], n2[:size])
    for batch in NeighborLoader(data, [5, 3], batch_size=300, seed=11, num_workers=2):
        _check_batch(batch, data, [5, 3])


def test_workers_draw_from_their_own_streams():
    # hubs 0 and 1 have 20 in-neighbours each (2..21 and 22..41, in the same CSR order); a batch each, one per
    # worker: were the workers' streams the same, hub 1's sample would be hub 0's shifted by 20 in every epoch
    sources = torch.arange(2, 42)
    data = Data(x=torch.zeros(42, 1), edge_index=torch.stack([sources, (sources >= 22).long()]))
    loader = NeighborLoader(data, [3], batch_size=1, input_nodes=torch.tensor([0, 1]), seed=5, num_workers=2)
    for _ in range(2):
        first, second = (set(batch.n_id[1:].tolist()) for batch in loader)
        assert first <= set(range(2, 22)) and second <= set(range(22, 42)) and len(first) == len(second) == 3
        assert {node - 20 for node in second} != first


@pytest.mark.filterwarnings("ignore:.*pin_memory.*:UserWarning")  # "no accelerator is found" on CPU-only torch
def test_pin_memory_gives_the_same_batches():
    """``pin_memory=True`` (what the trainer passes when it trains on a GPU from a graph on the host) only
    changes where the batch's memory lives: the same seed gives the same batches, pinned where pinning
    exists."""
    data = synthetic_graph(500, seed=1)
    plain = list(NeighborLoader(data, [4, 2], batch_size=128, shuffle=True, seed=3))
    pinned_loader = NeighborLoader(data, [4, 2], batch_size=128, shuffle=True, seed=3, pin_memory=True)
    assert pinned_loader.pin_memory is True
    pinned = list(pinned_loader)
    assert len(plain) == len(pinned) == 4
    for a, b in zip(plain, pinned):
        for key in ("x", "y", "edge_index", "n_id", "e_id"):
            assert torch.equal(a[key], b[key])
        if torch.cuda.is_available():
            assert b.x.is_pinned() and b.edge_index.is_pinned()


def test_edge_attributes_follow_the_edges():
    edge_index = random_graph(20, 80, seed=3)
    data = Data(x=torch.randn(20, 2), edge_index=edge_index, edge_weight=torch.arange(80.0))
    batch = NeighborLoader(data, [4, 4], batch_size=5, seed=0).sample(torch.tensor([0, 3, 5]))
    assert torch.equal(batch.edge_weight, batch.e_id.float())


def test_repr():
    data = synthetic_graph(100, seed=0)
    expected = "NeighborLoader(num_neighbors=[5], batch_size=8, input_nodes=100)"
    assert repr(NeighborLoader(data, [5], batch_size=8)) == expected


@pytest.mark.parametrize("kwargs, word", [
    ({"num_neighbors": []}, "num_neighbors"), ({"num_neighbors": [0]}, "num_neighbors"),
    ({"num_neighbors": [2.5]}, "num_neighbors"), ({"num_neighbors": 5}, "num_neighbors"),
    ({"batch_size": 0}, "batch_size"), ({"batch_size": -3}, "batch_size"),
    ({"input_nodes": torch.tensor([0, 100])}, "input_nodes"), ({"input_nodes": torch.tensor([-1])}, "input_nodes"),
    ({"input_nodes": torch.zeros(99, dtype=torch.bool)}, "input_nodes"),
    ({"input_nodes": torch.zeros(100, dtype=torch.bool)}, "input_nodes"),
    ({"input_nodes": torch.tensor([1, 1])}, "input_nodes"), ({"input_nodes": torch.tensor([0.5])}, "input_nodes"),
    ({"num_workers": -1}, "num_workers"),
])
def test_bad_arguments(kwargs, word):
    data = synthetic_graph(100, seed=0)
    options = {"num_neighbors": [5], "batch_size": 8, **kwargs}
    with pytest.raises(ValueError, match=word):
        NeighborLoader(data, **options)


def test_bad_graph():
    with pytest.raises(ValueError, match="edge_index"):
        NeighborLoader(Data(x=torch.zeros(3, 1), edge_index=torch.tensor([[0, 5], [1, 2]])), [2])
    with pytest.raises(TypeError, match="data"):
        NeighborLoader({"x": 1}, [2])


def test_distinct_nodes_are_torch_unique_and_leave_the_flags_clean():
    from gnnlab.data.neighbor_loader import _distinct

    generator = torch.Generator().manual_seed(0)
    mark = torch.zeros(1000, dtype=torch.bool)
    for count in (0, 5, 60, 500, 5000):  # below and above the length where the flags are scanned
        nodes = torch.randint(0, 1000, (count,), generator=generator)
        assert torch.equal(_distinct(nodes, mark), torch.unique(nodes))
        assert not mark.any()


def test_batches_equal_those_of_a_sorting_deduplication(monkeypatch):
    """Finding a hop's new nodes by scanning flags gives the batches torch.unique gave, bit for bit (the same
    node order, so the same draws afterwards)."""
    from gnnlab.data import neighbor_loader

    data = synthetic_graph(3000, seed=1)

    def batches():
        loader = NeighborLoader(data, [8, 4], batch_size=400, shuffle=True, seed=3)
        return [(b.n_id, b.edge_index, b.e_id, b.num_sampled_nodes) for b in loader]

    scanned = batches()
    monkeypatch.setattr(neighbor_loader, "_distinct", lambda nodes, mark: torch.unique(nodes))
    for ours, reference in zip(scanned, batches(), strict=True):
        assert all(torch.equal(a, b) for a, b in zip(ours[:3], reference[:3])) and ours[3] == reference[3]
