"""GIN on a TU benchmark under 10-fold cross-validation: each fold's model selected by its best epoch on a
held-out 10% of the fold's training graphs, then measured once on the fold's test graphs.

    python examples/gin_tu.py [--dataset MUTAG] [--folds 10] [--epochs 100] [--seed 0]
"""
from __future__ import annotations

import argparse
import statistics

import torch

from gnnlab.data import holdout_split, load_tu, stratified_folds
from gnnlab.nn.models import GIN
from gnnlab.train import evaluate_graph_classifier, fit_graph_classifier


def main(dataset: str = "MUTAG", folds: int = 10, epochs: int = 100, seed: int = 0) -> float:
    graphs = load_tu(dataset)                          # bundled: MUTAG, PROTEINS, ENZYMES, NCI1, IMDB-BINARY
    accuracies = []
    for fold, (train, test) in enumerate(stratified_folds(graphs, num_folds=10, seed=seed)[:folds]):
        inner, holdout = holdout_split(train, graphs, fraction=0.1, seed=fold)
        torch.manual_seed(seed)                        # the initial weights
        model = GIN(graphs.num_features, graphs.num_classes, hidden_channels=32, num_layers=4)
        fit_graph_classifier(model, graphs[inner], graphs[holdout], epochs=epochs, lr=0.01, lr_step=50,
                             seed=seed, verbose=False)  # ends with the best hold-out epoch's weights
        accuracies.append(evaluate_graph_classifier(model, graphs[test])[1])
        print(f"fold {fold}: test accuracy {accuracies[-1]:.3f}")
    spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    print(f"{graphs.name}: {100 * statistics.mean(accuracies):.1f} ± {100 * spread:.1f} over {len(accuracies)} folds")
    return statistics.mean(accuracies)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="MUTAG")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
