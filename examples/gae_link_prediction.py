"""Link prediction on Cora with a graph auto-encoder (Kipf & Welling 2016): hide 5 % / 10 % of the edges for
validation / test, train the GCN encoder on the rest, score the hidden edges against as many non-edges.

    python examples/gae_link_prediction.py [--epochs 200] [--variational] [--seed 0]
"""
from __future__ import annotations

import argparse

from gnnlab.data import link_split, load_planetoid
from gnnlab.nn import GAE, VGAE
from gnnlab.train import fit_link_predictor
from gnnlab.utils import seed_everything


def main(epochs: int = 200, variational: bool = False, seed: int = 0) -> tuple[float, float]:
    data = load_planetoid("cora")
    train, val, test = link_split(data, val=0.05, test=0.1, seed=seed)   # edge_label_index / edge_label
    seed_everything(seed)
    model = (VGAE if variational else GAE).with_gcn(data.num_features)   # GCN 32 -> 16, inner product
    history = fit_link_predictor(model, train, val, test, epochs=epochs, lr=0.01, seed=seed, verbose=False)
    auc, ap = history["best_test_auc"], history["best_test_ap"]
    print(f"{type(model).__name__}: test ROC-AUC {auc:.3f}, average precision {ap:.3f} "
          f"(epoch {history['best_epoch']} of best validation AUC)")
    return auc, ap


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--variational", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
