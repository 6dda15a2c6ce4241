from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from gnnlab.data import karate_club
from gnnlab.embedding import DeepWalk, Node2Vec, evaluate_embedding

FAST = dict(dimensions=16, walk_length=10, walks_per_node=5, window_size=3, verbose=False)


@pytest.mark.parametrize("cls", [DeepWalk, Node2Vec])
def test_sklearn_contract(cls):
    model = cls(**FAST, seed=0)
    with pytest.raises(NotFittedError):
        _ = model.embedding_
    assert not hasattr(model, "embedding_")
    assert model.fit(karate_club()) is model
    assert model.embedding_.shape == (34, 16) and model.embedding_.dtype == np.float32
    params = model.get_params()
    assert params["dimensions"] == 16 and params["seed"] == 0
    copy = clone(model)
    assert copy.get_params() == params and not hasattr(copy, "embedding_")
    model.set_params(dimensions=8)
    assert model.dimensions == 8


def test_repr():
    assert repr(Node2Vec()) == "Node2Vec(dimensions=128, p=1.0, q=1.0)"
    assert repr(DeepWalk(window_size=5)) == "DeepWalk(dimensions=128, window_size=5)"


@pytest.mark.parametrize("cls", [DeepWalk, Node2Vec])
def test_inputs_networkx_data_and_tensor_agree(cls):
    graph = nx.karate_club_graph()
    data = karate_club()
    from_nx = cls(**FAST, seed=1).fit(nx.Graph(graph.edges())).embedding_
    from_data = cls(**FAST, seed=1).fit(data).embedding_
    from_tensor = cls(**FAST, seed=1).fit(data.edge_index, num_nodes=34).embedding_
    np.testing.assert_array_equal(from_data, from_tensor)
    assert from_nx.shape == (34, 16)


def test_same_seed_same_embedding():
    first = Node2Vec(**FAST, p=4.0, q=0.25, seed=3).fit(karate_club()).embedding_
    again = Node2Vec(**FAST, p=4.0, q=0.25, seed=3).fit(karate_club()).embedding_
    np.testing.assert_array_equal(first, again)


def test_networkx_names_and_weights():
    graph = nx.Graph()
    graph.add_edge("a", "b", weight=2.0)
    graph.add_edge("b", "c", weight=0.5)
    model = DeepWalk(**FAST, seed=0).fit(graph)
    assert model.node_names_ == ["a", "b", "c"] and model.embedding_.shape == (3, 16)


@pytest.mark.parametrize("kwargs, name", [
    (dict(p=0.0), "p"), (dict(q=-1.0), "q"), (dict(walk_length=1), "walk_length"),
    (dict(window_size=0), "window_size"), (dict(dimensions=0), "dimensions"), (dict(negative=0), "negative"),
    (dict(learning_rate=0.0), "learning_rate"),
])
def test_bad_parameters_raise_at_fit(kwargs, name):
    model = Node2Vec(**(FAST | kwargs))
    with pytest.raises(ValueError, match=f"'Node2Vec' expected '{name}'"):
        model.fit(karate_club())


def test_bad_graphs():
    with pytest.raises(ValueError, match="'DeepWalk' expected 'graph' with at least one node and one edge"):
        DeepWalk(**FAST).fit(nx.empty_graph(5))
    with pytest.raises(ValueError, match="'DeepWalk' expected 'edge_index' indices below num_nodes=3"):
        DeepWalk(**FAST).fit(torch.tensor([[0, 1], [1, 3]]), num_nodes=3)
    with pytest.raises(TypeError, match="'DeepWalk' expected 'graph'"):
        DeepWalk(**FAST).fit([(0, 1)])


def test_evaluate_embedding_checks_shape(cora):
    with pytest.raises(ValueError, match="'evaluate_embedding' expected 'embedding' of shape"):
        evaluate_embedding(np.zeros((10, 4)), cora)
    # one-hot labels as "embedding": a perfect classifier
    perfect = np.eye(7)[cora.y.numpy()]
    assert evaluate_embedding(perfect, cora) == 1.0


# Fixed-seed runs on the real data with the default hyper-parameters; means over 5 seeds are in README
# (DeepWalk Cora 0.71x, node2vec Cora 0.7xx, CiteSeer 0.5xx); thresholds leave two standard deviations.
@pytest.mark.parametrize("dataset, cls, threshold", [
    ("cora", DeepWalk, 0.69),
    ("citeseer", Node2Vec, 0.47),
])
def test_accuracy_on_planetoid(request, dataset, cls, threshold):
    data = request.getfixturevalue(dataset)
    model = cls(seed=0, verbose=False).fit(data)
    assert evaluate_embedding(model, data) >= threshold
