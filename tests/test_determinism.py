"""Same seed, same device (CPU), same thread count: identical walks, embeddings, weights and accuracies."""
from __future__ import annotations

import numpy as np
import torch

from gnnlab.data import karate_club
from gnnlab.embedding import DeepWalk, Node2Vec, random_walks
from gnnlab.nn import GAT, GGNN, MLP
from gnnlab.train import fit_classifier, fit_node_classifier

TIMING = ("seconds", "train_time")


def test_walks_and_embeddings_repeat():
    graph = karate_club()
    first = random_walks(graph.edge_index, 34, walk_length=10, p=0.5, q=2.0, seed=5)
    assert torch.equal(first, random_walks(graph.edge_index, 34, walk_length=10, p=0.5, q=2.0, seed=5))
    assert not torch.equal(first, random_walks(graph.edge_index, 34, walk_length=10, p=0.5, q=2.0, seed=6))
    for cls in (DeepWalk, Node2Vec):
        options = dict(dimensions=8, walk_length=10, walks_per_node=4, pairs_per_node=50, seed=3, verbose=False)
        a, b = cls(**options).fit(graph).embedding_, cls(**options).fit(graph).embedding_
        assert np.array_equal(a, b)


def _train(cls, data, seed):
    torch.manual_seed(seed)
    model = cls(data.num_features, 2)
    history = fit_node_classifier(model, data, epochs=15, seed=seed, verbose=False)
    return model, {key: value for key, value in history.items() if key not in TIMING}


def test_gnn_weights_and_accuracies_repeat(karate):
    for cls in (GAT, GGNN):  # attention dropout and GRU gates: every random draw comes from the seed
        (model_a, history_a), (model_b, history_b) = _train(cls, karate, 1), _train(cls, karate, 1)
        assert history_a == history_b
        for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values()):
            assert torch.equal(a, b)


def test_dense_training_repeats():
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 5, generator=generator), torch.randint(0, 3, (200,), generator=generator)
    results = []
    for _ in range(2):
        torch.manual_seed(4)
        model = MLP(5, [16], 3, dropout=0.3)
        history = fit_classifier(model, x, y, epochs=3, batch_size=32, seed=4, verbose=False)
        results.append(([p.detach().clone() for p in model.parameters()], history["train_loss"]))
    assert results[0][1] == results[1][1]
    assert all(torch.equal(a, b) for a, b in zip(results[0][0], results[1][0]))
