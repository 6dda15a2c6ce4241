from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from gnnlab.data import link_split, synthetic_graph
from gnnlab.embedding import edge_features, evaluate_link_embedding, link_scores
from gnnlab.utils import negative_sampling


@pytest.fixture(scope="module")
def splits():
    return link_split(synthetic_graph(200, num_classes=4, avg_degree=8, num_features=8, seed=0), 0.1, 0.2, seed=0)


def test_operators_equal_their_definitions():
    vectors = np.random.default_rng(0).normal(size=(6, 3))
    pairs = torch.tensor([[0, 2, 5], [1, 3, 4]])
    u, v = vectors[[0, 2, 5]], vectors[[1, 3, 4]]
    assert np.allclose(edge_features(vectors, pairs, "hadamard"), u * v)
    assert np.allclose(edge_features(vectors, pairs, "average"), (u + v) / 2)
    assert np.allclose(edge_features(vectors, pairs, "l1"), np.abs(u - v))
    assert np.allclose(edge_features(vectors, pairs, "l2"), (u - v) ** 2)


def test_inner_product_scores_and_metrics(splits):
    train, _, test = splits
    vectors = np.random.default_rng(1).normal(size=(train.num_nodes, 4))
    pairs = test.edge_label_index.numpy()
    expected = 1 / (1 + np.exp(-(vectors[pairs[0]] * vectors[pairs[1]]).sum(1)))
    assert np.allclose(link_scores(vectors, train, test.edge_label_index), expected)
    labels = test.edge_label.numpy()
    assert evaluate_link_embedding(vectors, train, test) == pytest.approx(
        (roc_auc_score(labels, expected), average_precision_score(labels, expected)))


def test_classifier_is_trained_on_training_edges_against_sampled_non_edges(splits):
    """The same logistic regression by hand: training positives vs as many non-edges of the training graph."""
    train, _, test = splits
    vectors = np.random.default_rng(2).normal(size=(train.num_nodes, 5))
    positives = train.edge_label_index
    negatives = negative_sampling(train.edge_index, train.num_nodes, positives.size(1), seed=7)
    features = np.concatenate([edge_features(vectors, positives, "hadamard"),
                               edge_features(vectors, negatives, "hadamard")])
    labels = np.r_[np.ones(positives.size(1)), np.zeros(negatives.size(1))]
    model = LogisticRegression(max_iter=2000).fit(features, labels)
    expected = model.predict_proba(edge_features(vectors, test.edge_label_index, "hadamard"))[:, 1]
    assert np.allclose(link_scores(vectors, train, test.edge_label_index, "hadamard", seed=7), expected)


def test_an_informative_embedding_separates_edges(splits):
    """Community one-hots as vectors (80% of this graph's edges stay inside a community, a quarter of the
    non-edges do): the operators that compare the two ends rank held-out edges above non-edges. (The average
    cannot: "same community" is not linear in u + v.)"""
    train, _, test = splits
    vectors = np.eye(4)[train.y.numpy()]
    for operator in ("inner", "hadamard", "l1", "l2"):
        auc, ap = evaluate_link_embedding(vectors, train, test, operator)
        assert auc > 0.7 and ap > 0.6, operator


def test_bad_input(splits):
    train, _, test = splits
    with pytest.raises(ValueError, match="'operator' to be one of"):
        link_scores(np.ones((train.num_nodes, 2)), train, test.edge_label_index, "cosine")
    with pytest.raises(ValueError, match=r"one row per node of 'train' \(200\)"):
        link_scores(np.ones((10, 2)), train, test.edge_label_index)
    with pytest.raises(ValueError, match="finite values"):
        link_scores(np.full((train.num_nodes, 2), np.nan), train, test.edge_label_index)
    with pytest.raises(ValueError, match="'test' with 'edge_label_index' and 'edge_label'"):
        evaluate_link_embedding(np.ones((train.num_nodes, 2)), train, train.clone().update({"edge_label": None}))
