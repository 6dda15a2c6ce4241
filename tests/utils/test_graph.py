"""gnnlab.utils' graph helpers against torch_geometric.utils on random graphs (self-loops and duplicates
included)."""
from __future__ import annotations

import pytest
import torch
import torch_geometric.utils as pyg
from hypothesis import given, settings
from hypothesis import strategies as st

from gnnlab import utils


def _graph(num_nodes: int, num_edges: int, seed: int, width: int = 3):
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    edge_attr = torch.randn(num_edges, width, generator=generator, dtype=torch.float64)
    return edge_index, edge_attr


GRAPHS = dict(num_nodes=st.integers(1, 12), num_edges=st.integers(0, 40), seed=st.integers(0, 10_000))


def _same(ours, expected):
    if isinstance(expected, tuple):
        assert len(ours) == len(expected)
        for a, b in zip(ours, expected):
            _same(a, b)
    elif expected is None:
        assert ours is None
    else:
        assert ours.dtype == expected.dtype
        torch.testing.assert_close(ours, expected)


@settings(max_examples=30)
@given(**GRAPHS, fill=st.sampled_from([None, 2.0, "mean", "add", "max", "min", "mul"]))
def test_self_loop_helpers(num_nodes, num_edges, seed, fill):
    edge_index, edge_attr = _graph(num_nodes, num_edges, seed)
    for attr in (None, edge_attr, edge_attr[:, 0]):
        _same(utils.add_self_loops(edge_index, attr, fill, num_nodes),
              pyg.add_self_loops(edge_index, attr, fill, num_nodes))
        _same(utils.add_remaining_self_loops(edge_index, attr, fill, num_nodes),
              pyg.add_remaining_self_loops(edge_index, attr, fill, num_nodes))
        _same(utils.remove_self_loops(edge_index, attr), pyg.remove_self_loops(edge_index, attr))
    _same(utils.add_self_loops(edge_index, edge_attr, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), num_nodes),
          pyg.add_self_loops(edge_index, edge_attr, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), num_nodes))
    # bipartite: loops on the first min(N_src, N_dst) nodes
    _same(utils.add_self_loops(edge_index, None, None, (num_nodes, num_nodes + 2)),
          pyg.add_self_loops(edge_index, None, None, (num_nodes, num_nodes + 2)))


@settings(max_examples=30)
@given(**GRAPHS)
def test_degree_softmax_and_undirected(num_nodes, num_edges, seed):
    edge_index, edge_attr = _graph(num_nodes, num_edges, seed)
    for dtype in (None, torch.long, torch.float64):
        _same(utils.degree(edge_index[1], num_nodes, dtype), pyg.degree(edge_index[1], num_nodes, dtype))
    scores = edge_attr * 20  # large scores: the max shift matters
    _same(utils.softmax(scores, edge_index[1], num_nodes=num_nodes),
          pyg.softmax(scores, edge_index[1], num_nodes=num_nodes))
    _same(utils.softmax(scores.t(), edge_index[1], num_nodes=num_nodes, dim=1),
          pyg.softmax(scores.t(), edge_index[1], num_nodes=num_nodes, dim=1))
    order = torch.argsort(edge_index[1])
    ptr = torch.zeros(num_nodes + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(torch.bincount(edge_index[1], minlength=num_nodes), 0)
    _same(utils.softmax(scores[order], ptr=ptr), pyg.softmax(scores[order], ptr=ptr))
    _same(utils.to_undirected(edge_index, num_nodes=num_nodes), pyg.to_undirected(edge_index, num_nodes=num_nodes))
    for reduce in ("add", "mean", "max"):
        _same(utils.to_undirected(edge_index, edge_attr, num_nodes, reduce),
              pyg.to_undirected(edge_index, edge_attr, num_nodes, reduce))
    _same(utils.to_undirected(edge_index, None, num_nodes), pyg.to_undirected(edge_index, None, num_nodes))
    undirected, attr = pyg.to_undirected(edge_index, edge_attr, num_nodes)
    assert utils.is_undirected(undirected, num_nodes=num_nodes)
    assert utils.is_undirected(undirected, attr, num_nodes) == pyg.is_undirected(undirected, attr, num_nodes)
    assert utils.is_undirected(edge_index, num_nodes=num_nodes) == pyg.is_undirected(edge_index, num_nodes=num_nodes)
    assert utils.is_undirected(edge_index, edge_attr, num_nodes) == pyg.is_undirected(edge_index, edge_attr, num_nodes)


def test_is_undirected_sees_asymmetric_attributes():
    edge_index = torch.tensor([[0, 1], [1, 0]])
    assert utils.is_undirected(edge_index)
    assert not utils.is_undirected(edge_index, torch.tensor([1.0, 2.0]))
    assert not utils.is_undirected(torch.tensor([[0], [1]]))


@settings(max_examples=20)
@given(**GRAPHS, p=st.sampled_from([0.0, 0.3, 0.7]), force_undirected=st.booleans(), training=st.booleans())
def test_dropout_edge_draws_as_pyg(num_nodes, num_edges, seed, p, force_undirected, training):
    edge_index, _ = _graph(num_nodes, num_edges, seed)
    torch.manual_seed(seed)
    expected = pyg.dropout_edge(edge_index, p, force_undirected, training)
    torch.manual_seed(seed)
    _same(utils.dropout_edge(edge_index, p, force_undirected, training), expected)


def test_dropout_edge_keeps_each_edge_with_probability_one_minus_p():
    edge_index = torch.randint(0, 100, (2, 20_000), generator=torch.Generator().manual_seed(0))
    kept = utils.dropout_edge(edge_index, 0.3, generator=torch.Generator().manual_seed(1))[1]
    # binomial(20000, 0.7): standard deviation about 65
    assert abs(int(kept.sum()) - 14_000) < 5 * 65
    with pytest.raises(ValueError, match="'p'"):
        utils.dropout_edge(edge_index, 1.5)


@settings(max_examples=30)
@given(**GRAPHS, relabel=st.booleans(), as_mask=st.booleans())
def test_subgraph(num_nodes, num_edges, seed, relabel, as_mask):
    edge_index, edge_attr = _graph(num_nodes, num_edges, seed)
    generator = torch.Generator().manual_seed(seed + 1)
    subset = torch.randperm(num_nodes, generator=generator)[: max(1, num_nodes // 2)]
    if as_mask:
        mask = torch.zeros(num_nodes, dtype=torch.bool)
        mask[subset] = True
        subset = mask
    _same(utils.subgraph(subset, edge_index, edge_attr, relabel, num_nodes, return_edge_mask=True),
          pyg.subgraph(subset, edge_index, edge_attr, relabel, num_nodes, return_edge_mask=True))
    _same(utils.subgraph(subset, edge_index, None, relabel, num_nodes),
          pyg.subgraph(subset, edge_index, None, relabel, num_nodes))


def test_exported_with_all():
    for name in ("add_self_loops", "add_remaining_self_loops", "remove_self_loops", "degree", "softmax",
                 "to_undirected", "is_undirected", "dropout_edge", "subgraph"):
        assert name in utils.__all__ and callable(getattr(utils, name))
