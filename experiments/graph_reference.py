"""GIN on a TU dataset under gnnlab's graph protocol: gnnlab's GIN beside the reference, PyG's layers assembled as
Errica et al.'s code assembles them, on the same folds, hold-outs, grid and seeds.

    python experiments/graph_reference.py [--dataset nci1] [--folds 0 1 2] [--models gin gin-pyg] [--epochs N]
                                          [--out FILE]

``gin`` is the comparison's own method (``gnnlab compare --task graph --methods gin``: the config of
``gnnlab/experiments/configs/graph/gin.toml`` for the dataset, every ``[grid]`` point trained on the fold's inner
graphs, the best hold-out accuracy selected, the test fold measured once). ``gin-pyg`` runs the same selection and
trainer (``fit_graph_classifier``) on the reference model of Errica et al. (``models/graph_classifiers/GIN.py`` of
their repository): an MLP on the input (Linear, BatchNorm, ReLU, twice), then ``num_layers`` of PyG's ``GINConv``
with the same MLP, a linear prediction from every depth (the input's per node before the readout, the others after
it), dropout on each (in training only; their code also drops the input's prediction at evaluation). It
separates the model from the protocol: where the two agree and both miss a published figure, the budget (epochs,
grid, retraining) is what differs.
Prints a Markdown table of test accuracy per fold and writes every figure as JSON to ``--out``.
"""
from __future__ import annotations

import argparse
import json
import statistics

import torch
import torch.nn.functional as F
from torch import nn

from gnnlab.experiments import for_dataset, load_config
from gnnlab.experiments.graph_methods import _selected, graph_fold
from gnnlab.utils.io import atomic_write


class ErricaGIN(nn.Module):
    """Errica et al.'s GIN on PyG's ``GINConv`` and readouts, with gnnlab's GIN's arguments."""

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 32, num_layers: int = 4,
                 dropout: float = 0.5, train_eps: bool = False, readout: str = "sum") -> None:
        from torch_geometric.nn import GINConv, global_add_pool, global_mean_pool

        super().__init__()

        def mlp(width_in: int) -> nn.Sequential:
            return nn.Sequential(nn.Linear(width_in, hidden_channels), nn.BatchNorm1d(hidden_channels), nn.ReLU(),
                                 nn.Linear(hidden_channels, hidden_channels), nn.BatchNorm1d(hidden_channels),
                                 nn.ReLU())

        self.first = mlp(in_channels)
        self.convs = nn.ModuleList(GINConv(mlp(hidden_channels), train_eps=train_eps) for _ in range(num_layers))
        self.predictions = nn.ModuleList(nn.Linear(hidden_channels, out_channels) for _ in range(num_layers + 1))
        self.pool = global_add_pool if readout == "sum" else global_mean_pool
        self.dropout = dropout

    def forward(self, x, edge_index, batch=None, size=None):
        x = self.first(x)
        # as their code: the input's prediction is made per node, then pooled (a sum counts its bias per node)
        out = F.dropout(self.pool(self.predictions[0](x), batch, size), self.dropout, self.training)
        for conv, prediction in zip(self.convs, self.predictions[1:]):
            x = conv(x, edge_index)
            out = out + F.dropout(prediction(self.pool(x, batch, size)), self.dropout, self.training)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="nci1")
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["gin", "gin-pyg"], choices=["gin", "gin-pyg"])
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs (a smoke test)")
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    from gnnlab.nn.models import GIN

    torch.set_num_threads(1)
    config = for_dataset(load_config("gin", task="graph"), args.dataset)
    if args.epochs is not None:
        config["train"]["epochs"] = args.epochs
    builders = {"gin": GIN, "gin-pyg": ErricaGIN}
    results: dict[str, dict[int, float]] = {model: {} for model in args.models}
    for fold_index in args.folds:
        fold = graph_fold(args.dataset, "folds", fold_index)
        for model in args.models:
            result = _selected(model, fold, config, fold_index, torch.device("cpu"), False, builders[model])
            results[model][fold_index] = 100 * result.scores["accuracy"]
            print(f"fold {fold_index} {model}: {results[model][fold_index]:.2f} ({result.train_time:.0f} s)",
                  flush=True)
    print(f"\n| model | {' | '.join(f'fold {f}' for f in args.folds)} | mean |\n|---|"
          + "---|" * (len(args.folds) + 1))
    for model, figures in results.items():
        mean = statistics.mean(figures.values())
        print(f"| {model} | {' | '.join(f'{figures[f]:.1f}' for f in args.folds)} | {mean:.1f} |")
    if args.out:
        with atomic_write(args.out) as handle:
            json.dump({"dataset": args.dataset, "config": config, "results": results}, handle, indent=1)


if __name__ == "__main__":
    main()
