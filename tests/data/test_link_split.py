from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch_geometric.data import Data

from gnnlab.data import link_split


def _undirected(num_nodes: int, num_edges: int, seed: int) -> Data:
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(num_nodes, (2, num_edges), generator=generator)
    edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)  # duplicates and self-loops included
    return Data(x=torch.randn(num_nodes, 3), edge_index=edge_index, num_nodes=num_nodes)


def _pairs(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    return {(min(i, j), max(i, j)) for i, j in edge_index.t().tolist()}


def _check_protocol(data: Data, train: Data, val: Data, test: Data, val_fraction: float, test_fraction: float):
    full = {p for p in _pairs(data.edge_index) if p[0] != p[1]}
    num_edges = len(full)
    parts = {}
    for name, part in (("val", val), ("test", test)):
        label = part.edge_label
        assert part.edge_label_index.size(1) == label.numel()
        positives = [tuple(p) for p in part.edge_label_index[:, label == 1].t().tolist()]
        negatives = [tuple(p) for p in part.edge_label_index[:, label == 0].t().tolist()]
        assert len(positives) == len(negatives)  # as many negatives as positives
        assert set(positives) <= full  # positives are edges of the full graph
        assert len({(min(p), max(p)) for p in negatives}) == len(negatives)  # no repeated negatives
        assert not {(min(p), max(p)) for p in negatives} & full  # never an edge of the full graph
        assert all(i != j for i, j in negatives)  # never a self-loop
        parts[name] = (set(positives), {(min(p), max(p)) for p in negatives})
    assert len(parts["test"][0]) == int(test_fraction * num_edges)
    assert len(parts["val"][0]) == int(val_fraction * num_edges)
    assert not parts["val"][1] & parts["test"][1]  # negatives disjoint between val and test
    assert not parts["val"][0] & parts["test"][0]
    train_edges = [tuple(p) for p in train.edge_index.t().tolist()]
    assert len(set(train_edges)) == len(train_edges)
    assert {(j, i) for i, j in train_edges} == set(train_edges)  # both directions
    hidden = parts["val"][0] | parts["test"][0]
    assert _pairs(train.edge_index) == full - hidden  # hidden edges absent in both directions, the rest kept
    assert _pairs(train.edge_label_index) == full - hidden and bool((train.edge_label == 1).all())
    for part in (train, val, test):
        assert torch.equal(part.edge_index, train.edge_index) and part.x is data.x


@given(num_nodes=st.integers(6, 40), density=st.floats(0.1, 0.8), val=st.sampled_from([0.0, 0.05, 0.1, 0.2]),
       test=st.sampled_from([0.1, 0.15, 0.3]), seed=st.integers(0, 2**31))
def test_protocol_on_random_graphs(num_nodes, density, val, test, seed):
    data = _undirected(num_nodes, int(density * num_nodes * (num_nodes - 1) / 2), seed)
    num_edges = len({p for p in _pairs(data.edge_index) if p[0] != p[1]})
    num_hidden = int(val * num_edges) + int(test * num_edges)
    non_edges = num_nodes * (num_nodes - 1) // 2 - num_edges
    if int(test * num_edges) < 1 or (val > 0 and int(val * num_edges) < 1) or num_hidden > non_edges:
        with pytest.raises(ValueError, match="'link_split' expected 'data' with"):
            link_split(data, val=val, test=test, seed=seed)
        return
    train, val_data, test_data = link_split(data, val=val, test=test, seed=seed)
    _check_protocol(data, train, val_data, test_data, val, test)


def test_cora_sizes_and_determinism(cora):
    train, val, test = link_split(cora, seed=0)
    assert val.edge_label_index.shape == (2, 2 * 263) and test.edge_label_index.shape == (2, 2 * 527)
    assert train.edge_index.size(1) == 2 * (5278 - 263 - 527)
    again = link_split(cora, seed=0)
    other = link_split(cora, seed=1)
    for a, b in zip((train, val, test), again):
        assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.edge_label_index, b.edge_label_index)
    assert not torch.equal(test.edge_label_index, other[2].edge_label_index)
    _check_protocol(cora, train, val, test, 0.05, 0.10)
    assert cora.edge_index.size(1) == 10556  # the input is left as it was


def test_per_edge_attributes_are_dropped():
    data = _undirected(10, 20, 0)
    data.edge_weight = torch.ones(data.edge_index.size(1))
    train, val, test = link_split(data, val=0.1, test=0.2)
    assert "edge_weight" not in train and "edge_weight" in data


@pytest.mark.parametrize("kwargs, match", [
    ({"val": 0.5, "test": 0.5}, r"'val' \+ 'test' below 1"),
    ({"val": 0.3, "test": 0.9}, r"'val' \+ 'test' below 1"),
    ({"val": -0.1}, r"'val' to be a fraction in \[0, 1\)"),
    ({"test": 0.0}, r"'test' to be a fraction in \(0, 1\)"),
    ({"test": True}, r"'test' to be a fraction"),
    ({"seed": -1}, "'seed' to be an integer >= 0"),
])
def test_bad_fractions(cora, kwargs, match):
    with pytest.raises(ValueError, match=match):
        link_split(cora, **kwargs)


def test_too_few_edges():
    data = Data(edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), num_nodes=3)
    with pytest.raises(ValueError, match=r"enough undirected edges .* \(got 2 undirected edges\)"):
        link_split(data)


def test_too_dense_for_the_negatives():
    complete = torch.combinations(torch.arange(5)).t()
    data = Data(edge_index=torch.cat([complete, complete.flip(0)], 1), num_nodes=5)
    with pytest.raises(ValueError, match="non-edges for the validation and test negatives"):
        link_split(data, val=0.1, test=0.2)


def test_directed_graph_is_refused():
    data = Data(edge_index=torch.tensor([[0, 1, 2, 2], [1, 0, 3, 0]]), num_nodes=4)
    with pytest.raises(ValueError, match=r"undirected graph .* \(got 2 of 4 directed edges without their reverse\)"):
        link_split(data)


def test_not_data():
    with pytest.raises(TypeError, match="'data' to be a torch_geometric.data.Data"):
        link_split(torch.tensor([[0, 1], [1, 0]]))
