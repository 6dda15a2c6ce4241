"""Accuracy of the GNN models on the Planetoid public split, mean ± std over seeds (papers' settings).

    python experiments/gnn_accuracy.py --seeds 10 [--datasets cora citeseer] [--models gcn gat sage ggnn sage-minibatch]

Prints a Markdown table. The test accuracy is taken at the epoch of best validation accuracy.
``--models gat-pyg`` runs the reference: the same GAT built from PyG's ``GATConv``, trained
by the same ``fit_node_classifier`` with the same seeds, to tell gnnlab's figures from the protocol's.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from gnnlab.data import load_planetoid, num_classes
from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE
from gnnlab.train import fit_node_classifier


class PyGGAT(torch.nn.Module):
    """The reference for ``gat``: the paper's architecture from PyG's ``GATConv`` (as PyG's ``examples/gat.py``)."""

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 8, heads: int = 8,
                 dropout: float = 0.6) -> None:
        from torch_geometric.nn import GATConv

        super().__init__()
        self.dropout = dropout
        self.conv1 = GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout)
        self.conv2 = GATConv(hidden_channels * heads, out_channels, heads=1, concat=False, dropout=dropout)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        # bag-of-words features as a sparse COO tensor (PyG's Linear multiplies it, ~8x faster than dense);
        # dropping only the stored entries is dense dropout's distribution (a dropped zero stays zero)
        x = x if x.is_sparse else x.to_sparse()
        x = torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), self.dropout, self.training), x.shape,
                                    is_coalesced=True, check_invariants=False)
        x = F.elu(self.conv1(x, edge_index))
        return self.conv2(F.dropout(x, self.dropout, self.training), edge_index)


GAT_TRAINING = {"lr": 0.005, "weight_decay": 5e-4, "epochs": 1000, "early_stopping": 100}

#: model, constructor options, training options (the papers' hyper-parameters)
SETTINGS = {
    "gcn": (GCN, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 200}),
    "sage": (GraphSAGE, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 200}),
    "gat": (GAT, {}, GAT_TRAINING),
    "ggnn": (GGNN, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 200}),
    # mini-batches of 64 seeds, 25 then 10 sampled neighbours, layer-wise evaluation (issue 7)
    "sage-minibatch": (GraphSAGE, {}, {"lr": 0.01, "weight_decay": 5e-4, "epochs": 100, "batch_size": 64,
                                       "num_neighbors": [25, 10]}),
    # the reference (not run by default): PyG's layers under the same protocol and seeds
    "gat-pyg": (PyGGAT, {}, {**GAT_TRAINING, "sparse": False}),
}
DEFAULT_MODELS = [name for name in SETTINGS if not name.endswith("-pyg")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(SETTINGS))
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
