from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest
import torch

from gnnlab.data import from_networkx, karate_club


def test_karate_club():
    data = karate_club()
    assert data.num_nodes == 34
    assert data.edge_index.size(1) == 2 * 78
    assert data.x.shape == (34, 34)
    graph = nx.karate_club_graph()
    expected = [int(graph.nodes[n]["club"] != "Mr. Hi") for n in range(34)]
    assert data.y.tolist() == expected
    assert data.y[0] == 0 and data.y[33] == 1


def test_undirected_edges_both_ways_and_names():
    graph = nx.Graph([("a", "b"), ("b", "c")])
    data = from_networkx(graph)
    pairs = set(map(tuple, data.edge_index.t().tolist()))
    assert pairs == {(0, 1), (1, 0), (1, 2), (2, 1)}
    assert data.node_names == ["a", "b", "c"]


def test_directed_keeps_direction_and_weights():
    graph = nx.DiGraph()
    graph.add_edge(0, 1, w=2.5)
    graph.add_edge(2, 0)
    data = from_networkx(graph, weight="w")
    assert data.edge_index.tolist() == [[0, 2], [1, 0]]
    assert data.edge_weight.tolist() == [2.5, 1.0]


def _graph_with_self_loops(kind):
    """Self-loops (one with a weight, one without), parallel edges for the multigraphs, string node names."""
    graph = kind()
    graph.add_edge("a", "b", weight=2.0)
    graph.add_edge("b", "b", weight=3.0)
    graph.add_edge("b", "c", weight=0.5)
    graph.add_edge("c", "a", weight=1.5)
    graph.add_edge("d", "d", weight=4.0)
    graph.add_edge("c", "d", weight=0.25)
    graph.add_edge("d", "c", weight=5.0)  # the reverse of c -> d for the directed kinds
    if graph.is_multigraph():
        graph.add_edge("a", "b", weight=6.0)
        graph.add_edge("d", "d", weight=7.0)
    return graph


@pytest.mark.parametrize("kind", [nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph])
@pytest.mark.parametrize("weighted", [False, True])
def test_edges_equal_pygs_with_self_loops(kind, weighted):
    # the same multiset of (source, target[, weight]) as PyG's from_networkx: an undirected edge twice, an
    # undirected self-loop once, a directed edge once, a parallel edge as often as it is there
    from torch_geometric.utils import from_networkx as pyg_from_networkx

    graph = _graph_with_self_loops(kind)
    if not weighted:
        for *_, attributes in graph.edges(data=True):
            del attributes["weight"]
    ours = from_networkx(graph, weight="weight" if weighted else None)
    theirs = pyg_from_networkx(graph)
    assert ours.num_nodes == theirs.num_nodes == 4
    if weighted:
        def edges(data, weight):
            return Counter(zip(*data.edge_index.tolist(), weight.tolist()))

        assert edges(ours, ours.edge_weight) == edges(theirs, theirs.weight)
    else:
        assert not hasattr(theirs, "weight")
        assert Counter(zip(*ours.edge_index.tolist())) == Counter(zip(*theirs.edge_index.tolist()))
    loops = int((ours.edge_index[0] == ours.edge_index[1]).sum())
    assert loops == (3 if graph.is_multigraph() else 2)


def test_features_and_labels_from_attributes_mappings_arrays():
    graph = nx.path_graph(3)
    for n in graph.nodes:
        graph.nodes[n]["feat"] = [n, 2 * n]
        graph.nodes[n]["label"] = n % 2
    data = from_networkx(graph, features="feat", labels="label")
    assert torch.equal(data.x, torch.tensor([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]]))
    assert data.y.tolist() == [0, 1, 0]
    data = from_networkx(graph, features=torch.ones(3, 4), labels={0: 1, 1: 1, 2: 0})
    assert data.x.shape == (3, 4) and data.y.tolist() == [1, 1, 0]


def test_bad_inputs():
    graph = nx.path_graph(3)
    with pytest.raises(TypeError, match="'graph'"):
        from_networkx([(0, 1)])
    with pytest.raises(ValueError, match="'features' with one entry per node"):
        from_networkx(graph, features=torch.ones(2, 4))
    with pytest.raises(ValueError, match="'labels' to give a value for every node"):
        from_networkx(graph, labels={0: 1})
    with pytest.raises(ValueError, match="'feat'"):
        from_networkx(graph, features="feat")
