"""Accuracy of the GNN models on the Planetoid public split, mean ± std over seeds (the papers' settings).

    python experiments/gnn_accuracy.py --seeds 10 [--datasets cora citeseer] [--models gcn gat sage ggnn sage-minibatch]

Runs ``gnnlab.experiments.compare`` (resumable: results/gnn_accuracy/) over the node-classification task's GNNs
and prints its Markdown table; the test accuracy is taken at the epoch of best validation accuracy. The
hyper-parameters are the package's configs (``gnnlab/experiments/configs/node/<model>.toml``). Two more models:
``sage-minibatch``, GraphSAGE's config trained in mini-batches (64 seeds, 25 then 10 sampled neighbours,
layer-wise evaluation, 100 epochs), and ``gat-pyg`` (not run by default), the reference: the same GAT built
from PyG's ``GATConv`` with gat's config, trained by the same ``fit_node_classifier`` with the same seeds, to
tell gnnlab's figures from the protocol's.
"""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import torch
import torch.nn.functional as F

from gnnlab.experiments import NODE, Task, compare, load_config
from gnnlab.experiments.methods import GNN_MODELS, gnn_method


class PyGGAT(torch.nn.Module):
    """The reference for ``gat``: the paper's architecture from PyG's ``GATConv`` (as PyG's ``examples/gat.py``)."""

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 8, heads: int = 8,
                 out_heads: int = 1, dropout: float = 0.6) -> None:
        from torch_geometric.nn import GATConv

        super().__init__()
        self.dropout = dropout
        self.conv1 = GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout)
        self.conv2 = GATConv(hidden_channels * heads, out_channels, heads=out_heads, concat=False, dropout=dropout)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        # bag-of-words features as a sparse COO tensor (PyG's Linear multiplies it, ~8x faster than dense);
        # dropping only the stored entries is dense dropout's distribution (a dropped zero stays zero)
        x = x if x.is_sparse else x.to_sparse()
        x = torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), self.dropout, self.training), x.shape,
                                    is_coalesced=True, check_invariants=False)
        x = F.elu(self.conv1(x, edge_index))
        return self.conv2(F.dropout(x, self.dropout, self.training), edge_index)


#: the models beyond the task's GNNs: name -> (config they start from, changes to its [train] table, method)
EXTRA_MODELS = {
    # mini-batches of 64 seeds, 25 then 10 sampled neighbours, layer-wise evaluation (issue 7)
    "sage-minibatch": ("sage", {"epochs": 100, "batch_size": 64, "num_neighbors": [25, 10]}, NODE.methods["sage"]),
    # the reference (not run by default): PyG's layers under the same protocol and seeds; it takes dense x
    "gat-pyg": ("gat", {"sparse": False}, gnn_method(PyGGAT)),
}
DEFAULT_MODELS = [*GNN_MODELS, "sage-minibatch"]


def task_and_configs() -> tuple[Task, dict[str, dict[str, Any]]]:
    """The node-classification task with :data:`EXTRA_MODELS` added, and the extra models' configs."""
    task = dataclasses.replace(NODE, methods={**{name: NODE.methods[name] for name in GNN_MODELS},
                                              **{name: method for name, (_, _, method) in EXTRA_MODELS.items()}})
    configs = {}
    for name, (base, changes, _) in EXTRA_MODELS.items():
        config = load_config(base)
        config["train"].update(changes)
        configs[name] = config
    return task, configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=[*GNN_MODELS, *EXTRA_MODELS])
    parser.add_argument("--out-dir", default="results", help="parent folder of the results (default: results)")
    parser.add_argument("--run-name", default="gnn_accuracy", help="reuse to resume (default: gnn_accuracy)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    task, configs = task_and_configs()
    result = compare(args.models, args.datasets, seeds=args.seeds, run_name=args.run_name, out_dir=args.out_dir,
                     verbose=not args.quiet, tsne=False, task=task, configs=configs)
    print(result["table"])


if __name__ == "__main__":
    main()
