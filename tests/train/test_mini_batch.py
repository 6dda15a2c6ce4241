"""Mini-batch training through fit_node_classifier: accuracy on Cora, determinism, argument checks."""
from __future__ import annotations

import pytest
import torch

from gnnlab.nn import GAT, GCN, GraphSAGE
from gnnlab.train import fit_node_classifier


def test_mini_batch_graphsage_on_cora(cora):
    # README: 81.2 ± 0.6 over 5 seeds at 100 epochs (issue 7 asks >= 79); this is one 50-epoch run, and 78 sits
    # 3.2 points (about five of those standard deviations) below the 100-epoch mean, for the shorter run
    torch.manual_seed(0)
    model = GraphSAGE(cora.num_features, 7)
    history = fit_node_classifier(model, cora, batch_size=64, num_neighbors=[25, 10], epochs=50, seed=0,
                                  verbose=False)
    assert history["best_test_acc"] >= 0.78
    assert history["train_loss"][-1] < history["train_loss"][0]


@pytest.mark.parametrize("model_cls", [GCN, GAT])
def test_mini_batch_gcn_and_gat_learn(cora, model_cls):
    torch.manual_seed(0)
    history = fit_node_classifier(model_cls(cora.num_features, 7), cora, batch_size=70, epochs=12, seed=0,
                                  lr=0.01, verbose=False)
    assert history["best_val_acc"] >= 0.6


def test_mini_batch_is_deterministic_with_a_seed(cora):
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = GraphSAGE(cora.num_features, 7)
        history = fit_node_classifier(model, cora, batch_size=50, num_neighbors=[5, 5], epochs=3, seed=4,
                                      verbose=False)
        runs.append((history["train_loss"], [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


@pytest.mark.parametrize("kwargs, word", [
    ({"batch_size": 0}, "batch_size"), ({"batch_size": 10, "num_neighbors": []}, "num_neighbors"),
    ({"num_neighbors": [5]}, "num_neighbors"), ({"batch_size": 10, "eval_batch_size": 0}, "eval_batch_size"),
    ({"distributed": True, "batch_size": 10}, "distributed"),
])
def test_bad_mini_batch_arguments(karate, kwargs, word):
    with pytest.raises(ValueError, match=word):
        fit_node_classifier(GraphSAGE(34, 2), karate, epochs=1, verbose=False, **kwargs)
