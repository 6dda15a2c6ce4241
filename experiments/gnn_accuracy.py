"""Accuracy of the GNN models on the Planetoid public split, mean ± std over seeds (papers' settings).

    python experiments/gnn_accuracy.py --seeds 10 [--datasets cora citeseer] [--models gcn gat sage ggnn sage-minibatch]

Prints a Markdown table. The test accuracy is taken at the epoch of best validation accuracy.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from gnnlab.data import load_planetoid, num_classes
from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE
from gnnlab.train import fit_node_classifier

#: model, constructor options, training options (the papers' hyper-parameters)
SETTINGS = {
    "gcn": (GCN, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 200}),
    "sage": (GraphSAGE, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 200}),
    "gat": (GAT, {}, {"lr": 0.005, "weight_decay": 5e-4, "epochs": 1000, "early_stopping": 100}),
    "ggnn": (GGNN, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 200}),
    # mini-batches of 64 seeds, 25 then 10 sampled neighbours, layer-wise evaluation (issue 7)
    "sage-minibatch": (GraphSAGE, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 100, "batch_size": 64,
                                       "num_neighbors": [25, 10]}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    parser.add_argument("--models", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    args = parser.parse_args()
    print("| model | dataset | test accuracy (mean ± std) | seeds | seconds per run |")
    print("|---|---|---|---|---|")
    for dataset in args.datasets:
        data = load_planetoid(dataset)
        for name in args.models:
            cls, model_options, train_options = SETTINGS[name]
            scores, seconds = [], []
            for seed in range(args.seeds):
                torch.manual_seed(seed)
                model = cls(data.num_features, num_classes(data), **model_options)
                start = time.perf_counter()
                history = fit_node_classifier(model, data, seed=seed, verbose=False, **train_options)
                seconds.append(time.perf_counter() - start)
                scores.append(100 * history["best_test_acc"])
            std = statistics.stdev(scores) if len(scores) > 1 else 0.0
            print(f"| {name} | {data.name} | {statistics.mean(scores):.1f} ± {std:.1f} | {args.seeds} | "
                  f"{statistics.mean(seconds):.1f} |", flush=True)


if __name__ == "__main__":
    main()
