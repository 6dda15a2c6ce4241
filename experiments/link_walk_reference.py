"""DeepWalk for link prediction: gnnlab against the `node2vec` package + gensim, negative sampling and
hierarchical softmax, on the same splits and scored the same way.

    pip install gensim && pip install --no-deps node2vec   # the reference; not a gnnlab dependency
    python experiments/link_walk_reference.py [--seeds 1] [--datasets cora]

Per seed, :func:`gnnlab.experiments.link_methods.link_data` (the VGAE protocol's 85/5/10 split of the link
comparison); every method sees the training graph only, and its embedding scores the test pairs by the inner
product (as ``configs/link/deepwalk.toml`` scores DeepWalk), test ROC-AUC and average precision (%).

- gnnlab: ``gnnlab compare --task link``'s own ``deepwalk`` method and config (walk length 80, 10 walks per
  node, window 10, 128 dimensions, 1000 pairs per node), with ``objective`` hierarchical softmax (the
  config's) and negative sampling (the estimator's default, 5 negatives).
- the package: the `node2vec` package's walks at p = q = 1 (uniform: DeepWalk's), 10 walks of 80 per node,
  2 workers, then gensim's skip-gram as the package's ``fit`` runs it (128 dimensions, window 10,
  ``min_count=1``, one epoch, gensim's other defaults), ``hs=0, negative=5`` and ``hs=1, negative=0``.

Prints a Markdown table, mean ± std over the seeds where there are several.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def package_scores(train, test, seed: int, hierarchical: bool) -> tuple[float, float, float]:
    import networkx as nx
    from gensim.models import Word2Vec
    from node2vec import Node2Vec as PackageNode2Vec

    from gnnlab.embedding.link_features import link_scores

    start = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(range(train.num_nodes))
    graph.add_edges_from(train.edge_index.t().tolist())
    walker = PackageNode2Vec(graph, dimensions=128, walk_length=80, num_walks=10, p=1, q=1, workers=2, quiet=True,
                             seed=seed)
    model = Word2Vec(walker.walks, vector_size=128, window=10, min_count=1, sg=1, workers=2, seed=seed, epochs=1,
                     hs=int(hierarchical), negative=0 if hierarchical else 5)
    vectors = np.stack([model.wv[str(i)] for i in range(train.num_nodes)])
    seconds = time.perf_counter() - start
    return (*_metrics(link_scores(vectors, train, test.edge_label_index, "inner", seed=seed), test), seconds)


def gnnlab_scores(splits, seed: int, objective: str) -> tuple[float, float, float]:
    from gnnlab.experiments.config import load_config
    from gnnlab.experiments.link_methods import LINK_METHODS

    config = load_config("deepwalk", task="link", overrides={"deepwalk.objective": objective})
    result = LINK_METHODS["deepwalk"](splits, config, seed, torch.device("cpu"), False)
    return 100 * result.scores["auc"], 100 * result.scores["ap"], result.train_time


def _metrics(scores, test) -> tuple[float, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = test.edge_label.numpy()
    return 100 * float(roc_auc_score(labels, scores)), 100 * float(average_precision_score(labels, scores))


def _cell(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1, help="splits (and fits) of seeds 0 .. N-1 (default 1)")
    parser.add_argument("--datasets", nargs="+", default=["cora"], choices=["cora", "citeseer"])
    args = parser.parse_args()
    torch.set_num_threads(2)

    from gnnlab.experiments.link_methods import link_data

    runs = {
        ("gnnlab DeepWalk", "negative sampling"): lambda splits, seed: gnnlab_scores(splits, seed, "negative_sampling"),
        ("gnnlab DeepWalk", "hierarchical softmax"): lambda splits, seed: gnnlab_scores(splits, seed,
                                                                                         "hierarchical_softmax"),
        ("node2vec package + gensim", "negative sampling"): lambda splits, seed: package_scores(splits[0], splits[2],
                                                                                                seed, False),
        ("node2vec package + gensim", "hierarchical softmax"): lambda splits, seed: package_scores(
            splits[0], splits[2], seed, True),
    }
    seeds = "seed 0" if args.seeds == 1 else f"seeds 0-{args.seeds - 1}"
    print(f"test AUC / AP (%) by the inner product, the splits of {seeds}, p = q = 1 walks, 2 threads\n")
    print("| dataset | method | skip-gram | test AUC | test AP | fit + scoring (s) |\n|---|---|---|---|---|---|")
    for dataset in args.datasets:
        results: dict = {key: [] for key in runs}
        for seed in range(args.seeds):
            splits = link_data(dataset, seed=seed)
            for key, run in runs.items():
                results[key].append(run(splits, seed))
        for (method, objective), values in results.items():
            auc, ap, seconds = zip(*values)
            print(f"| {dataset} | {method} | {objective} | {_cell(list(auc))} | {_cell(list(ap))} | "
                  f"{statistics.mean(seconds):.1f} |", flush=True)


if __name__ == "__main__":
    main()
