"""Mini-batch training through fit_node_classifier: accuracy on Cora, determinism, argument checks."""
from __future__ import annotations

import pytest
import torch

from gnnlab.nn import GAT, GCN, GraphSAGE
from gnnlab.train import fit_node_classifier


@pytest.mark.training
def test_mini_batch_graphsage_on_cora(cora):
    # README: 81.2 ± 0.6 over 5 seeds at 100 epochs (issue 7 asks >= 79); this is one 50-epoch run, and 78 sits
    # 3.2 points (about five of those standard deviations) below the 100-epoch mean, for the shorter run
    torch.manual_seed(0)
    model = GraphSAGE(cora.num_features, 7)
    history = fit_node_classifier(model, cora, batch_size=64, num_neighbors=[25, 10], epochs=50, seed=0,
                                  verbose=False)
    assert history["best_test_acc"] >= 0.78
    assert history["train_loss"][-1] < history["train_loss"][0]


@pytest.mark.training
@pytest.mark.parametrize("model_cls", [GCN, GAT])
def test_mini_batch_gcn_and_gat_learn(cora, model_cls):
    # measured over seeds 0-5 (model and fit), natively (AVX2) and under ATEN_CPU_CAPABILITY=default (the same
    # figures): best validation accuracy GCN 0.772-0.812, GAT 0.802-0.822; the same models on the graph with its
    # edges removed (features only, i.e. a broken graph path) 0.440-0.608, and a features-only MLP trained to
    # the end gets 0.58. 0.74 sits 3 points (two standard deviations of GCN's spread) below the lowest seed.
    # That the seeds are the training nodes, and only they, is tested exactly (test_node_classification.py).
    torch.manual_seed(0)
    history = fit_node_classifier(model_cls(cora.num_features, 7), cora, batch_size=70, epochs=30, seed=0,
                                  lr=0.01, verbose=False)
    assert history["best_val_acc"] >= 0.74


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


def test_every_epoch_trains_on_each_training_node_once(karate, monkeypatch):
    """The seeds of an epoch's batches (the nodes whose loss is taken) are exactly the ``train_mask`` nodes, each
    once, in a new order every epoch: no validation or test node, no node dropped with a last partial batch."""
    from gnnlab.train import node_classification

    epochs = []

    class RecordingLoader(node_classification.NeighborLoader):
        def __iter__(self):
            seeds = []
            epochs.append(seeds)
            for batch in super().__iter__():
                seeds.append(batch.n_id[:batch.batch_size].clone())
                yield batch

    monkeypatch.setattr(node_classification, "NeighborLoader", RecordingLoader)
    fit_node_classifier(GraphSAGE(34, 2), karate, batch_size=5, num_neighbors=[3, 3], epochs=3, seed=0,
                        verbose=False)
    assert len(epochs) == 3
    train_nodes = karate.train_mask.nonzero().flatten()
    orders = [torch.cat(seeds) for seeds in epochs]
    for order in orders:
        assert torch.equal(order.sort().values, train_nodes)
    assert not torch.equal(orders[0], orders[1])
