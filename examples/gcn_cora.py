"""GCN on Cora with gnnlab's trainer: Kipf & Welling's model and settings, test accuracy at the best epoch.

    python examples/gcn_cora.py [--epochs 200] [--seed 0]
"""
from __future__ import annotations

import argparse

from gnnlab.data import load_planetoid
from gnnlab.nn import GCN
from gnnlab.train import fit_node_classifier
from gnnlab.utils import seed_everything


def main(epochs: int = 200, seed: int = 0) -> float:
    data = load_planetoid("cora")                # bundled: 2708 papers, 7 classes, the public split
    seed_everything(seed)                        # the initial weights
    model = GCN(data.num_features, 7, hidden_channels=16, dropout=0.5)
    history = fit_node_classifier(model, data, epochs=epochs, lr=0.01, weight_decay=5e-4, seed=seed,
                                  verbose=False)
    print(f"best epoch {history['best_epoch']}: validation {history['best_val_acc']:.3f}, "
          f"test {history['best_test_acc']:.3f}")
    return history["best_test_acc"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
