"""Link prediction with graph auto-encoders: gnnlab's GAE/VGAE beside PyG's, mean ± std over seeds.

    python experiments/link_reference.py --seeds 10 [--datasets cora citeseer] [--models gae vgae gae-pyg vgae-pyg]

Every model sees the same :func:`gnnlab.data.link_split` (85/5/10, the VGAE protocol) for a seed, raw binary
features (as the paper's code), a GCN encoder 32 → 16, Adam with lr 0.01 and 200 epochs; the test AUC/AP are
taken at the epoch of best validation AUC. ``gae``/``vgae`` are gnnlab's models trained by
``fit_link_predictor`` with the paper's loss (weighted BCE over the whole adjacency). ``gae-pyg``/``vgae-pyg``
(the reference, not run by default by anything else) are ``torch_geometric.nn.GAE``/``VGAE`` with PyG's
``GCNConv`` and PyG's loss (BCE on the training edges and as many sampled non-edges, a fresh sample every
epoch; for the VGAE plus ``kl_loss / N``), trained as PyG's ``examples/autoencoder.py`` does.
``--loss sampled`` trains gnnlab's models with PyG's loss instead, to separate the model from the loss.
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from gnnlab.data import link_split, load_planetoid
from gnnlab.nn import GAE, VGAE
from gnnlab.train import fit_link_predictor

EPOCHS, LR = 200, 0.01


class PyGEncoder(torch.nn.Module):
    """PyG's example encoder: GCNConv 32 → ReLU → GCNConv 16 (two output convs for the VGAE)."""

    def __init__(self, in_channels: int, variational: bool) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.variational = variational
        self.conv1 = GCNConv(in_channels, 32)
        self.conv_mu = GCNConv(32, 16)
        self.conv_logstd = GCNConv(32, 16) if variational else None

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor):
        hidden = self.conv1(x, edge_index).relu()
        if self.variational:
            return self.conv_mu(hidden, edge_index), self.conv_logstd(hidden, edge_index)
        return self.conv_mu(hidden, edge_index)


def run_pyg(variational: bool, train, val, test, seed: int) -> tuple[float, float, float]:
    """PyG's GAE/VGAE trained as in its example; test figures at the best validation AUC."""
    from torch_geometric.nn import GAE as PyGGAE
    from torch_geometric.nn import VGAE as PyGVGAE

    torch.manual_seed(seed)
    model = (PyGVGAE if variational else PyGGAE)(PyGEncoder(train.num_features, variational))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    best, start = (-1.0, 0.0, 0.0), time.perf_counter()
    for _ in range(EPOCHS):
        model.train()
        optimizer.zero_grad()
        z = model.encode(train.x, train.edge_index)
        loss = model.recon_loss(z, train.edge_label_index)
        if variational:
            loss = loss + model.kl_loss() / train.num_nodes
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            z = model.encode(train.x, train.edge_index)
            val_auc, _ = model.test(z, *_split_labels(val))
            if val_auc > best[0]:
                best = (val_auc, *model.test(z, *_split_labels(test)))
    return best[1], best[2], time.perf_counter() - start


def _split_labels(part):
    positive = part.edge_label == 1
    return part.edge_label_index[:, positive], part.edge_label_index[:, ~positive]


def run_gnnlab(variational: bool, train, val, test, seed: int, loss: str) -> tuple[float, float, float]:
    torch.manual_seed(seed)
    model = (VGAE if variational else GAE).with_gcn(train.num_features, 32, 16, recon=loss)
    history = fit_link_predictor(model, train, val, test, epochs=EPOCHS, lr=LR, seed=seed, verbose=False)
    return history["best_test_auc"], history["best_test_ap"], history["train_time"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    parser.add_argument("--models", nargs="+", default=["gae", "vgae", "gae-pyg", "vgae-pyg"],
                        choices=["gae", "vgae", "gae-pyg", "vgae-pyg"])
    parser.add_argument("--loss", default="adjacency", choices=["adjacency", "sampled"])
    args = parser.parse_args()
    print("| model | dataset | AUC (%) | AP (%) | seconds/run | seeds |\n|---|---|---|---|---|---|")
    for dataset in args.datasets:
        data = load_planetoid(dataset, normalize_features=False)
        splits = [link_split(data, seed=seed) for seed in range(args.seeds)]
        for name in args.models:
            variational = name.startswith("vgae")
            results = []
            for seed, (train, val, test) in enumerate(splits):
                if name.endswith("-pyg"):
                    results.append(run_pyg(variational, train, val, test, seed))
                else:
                    results.append(run_gnnlab(variational, train, val, test, seed, args.loss))
            auc, ap = [100 * r[0] for r in results], [100 * r[1] for r in results]
            seconds = [r[2] for r in results]
            print(f"| {name} | {dataset} | {_fmt(auc)} | {_fmt(ap)} | {statistics.mean(seconds):.1f} | "
                  f"{len(results)} |", flush=True)


def _fmt(values: list[float]) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {std:.1f}"


if __name__ == "__main__":
    main()
