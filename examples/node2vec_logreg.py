"""node2vec embeddings of Cora, then scikit-learn's logistic regression on the public split's training nodes.

    python examples/node2vec_logreg.py [--p 1.0] [--q 0.5] [--walks-per-node 10] [--seed 0]
"""
from __future__ import annotations

import argparse

from sklearn.linear_model import LogisticRegression

from gnnlab.data import load_planetoid
from gnnlab.embedding import Node2Vec


def main(p: float = 1.0, q: float = 0.5, walks_per_node: int = 10, dimensions: int = 128,
         pairs_per_node: int = 1000, learning_rate: float = 0.025, seed: int = 0) -> float:
    data = load_planetoid("cora")
    model = Node2Vec(dimensions=dimensions, walk_length=80, walks_per_node=walks_per_node, window_size=10, p=p,
                     q=q, pairs_per_node=pairs_per_node, learning_rate=learning_rate, seed=seed, verbose=False)
    embedding = model.fit(data).embedding_          # (2708, 128) numpy array; the graph only, no labels
    y = data.y.numpy()
    train, test = data.train_mask.numpy(), data.test_mask.numpy()
    classifier = LogisticRegression(max_iter=1000).fit(embedding[train], y[train])
    score = classifier.score(embedding[test], y[test])
    print(f"node2vec (p={p}, q={q}) + logistic regression: test accuracy {score:.3f}")
    return score


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=0.5)
    parser.add_argument("--walks-per-node", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
