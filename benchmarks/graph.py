"""A GIN training epoch on a TU dataset: gnnlab's ``GIN`` against the same architecture built from PyG's layers,
on the same batches, with the same weights, in the same run.

    python benchmarks/graph.py [--dataset nci1] [--batch-size 128] [--hidden 64] [--layers 4] [--epochs 5]
                               [--threads 2] [--json results/graph.json]

The architecture is Xu et al.'s GIN-0 as ``gnnlab.nn.models.GIN`` builds it: ``--layers`` GIN layers, each MLP
Linear-BatchNorm-ReLU-Linear-BatchNorm-ReLU of ``--hidden`` units, eps = 0, sum readout, a linear prediction from
every depth (the input included), dropout 0.5 on each, summed. An epoch is one pass of forward + backward + Adam
step (lr 0.01) over every batch of the dataset, in training mode. The batches come from PyG's ``DataLoader``
(shuffled once, seed 0) and are collated before timing, so both sides train on the very same ``Batch`` objects and
collation is not timed (it is PyG's for both). Epochs alternate between the variants (gnnlab, then each PyG
variant, in an order that rotates each epoch) after one warm-up epoch each; the figure is the median epoch.

What each side does:

- **gnnlab**: ``GINConv`` aggregates the neighbours' sum by one CSR product, its adjacency built from the
  batch's ``edge_index`` (each layer keeps the last one, so the first layer builds it at every step and the later
  layers of the same step reuse it), then ``(1 + eps) x + sum`` and the MLP; the readout is ``global_add_pool``
  (``index_add_``).
- **PyG (edge_index)**: ``torch_geometric.nn.GINConv`` on ``edge_index``: gather the source rows, scatter-add
  into the targets, every step.
- **PyG (adj_t)**: the same layer given PyG's sparse ``adj_t`` (a transposed ``torch.sparse_csr`` adjacency,
  built once per batch before timing), with which ``GINConv`` aggregates by one sparse product
  (``message_and_aggregate``). The faster of the two PyG variants is the reference; ``--json`` keeps both.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def pyg_gin(in_channels: int, out_channels: int, hidden: int, layers: int) -> nn.Module:
    """GIN from PyG's pieces, with gnnlab's parameter names (so a state_dict copies across)."""
    from torch_geometric.nn import GINConv, global_add_pool

    from gnnlab.nn.models.gin import gin_mlp

    class PyGGIN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = [in_channels] + [hidden] * layers
            self.convs = nn.ModuleList(GINConv(gin_mlp(a, b)) for a, b in zip(widths, widths[1:]))
            self.predictions = nn.ModuleList(nn.Linear(w, out_channels) for w in widths)

        def forward(self, x, graph, batch, size):
            h, logits = x, 0
            for depth, prediction in enumerate(self.predictions):
                if depth > 0:
                    h = self.convs[depth - 1](h, graph)
                logits = logits + F.dropout(prediction(global_add_pool(h, batch, size)), 0.5, self.training)
            return logits

    return PyGGIN()


def _adj_t(batch) -> torch.Tensor:
    n = batch.num_nodes
    adj = torch.sparse_coo_tensor(batch.edge_index.flip(0), torch.ones(batch.edge_index.size(1)), (n, n))
    return adj.coalesce().to_sparse_csr()


def _epoch(model: nn.Module, optimizer: torch.optim.Optimizer, batches: list, graphs: list) -> float:
    model.train()
    start = time.perf_counter()
    for batch, graph in zip(batches, graphs):
        optimizer.zero_grad(set_to_none=True)
        logits = model(batch.x, graph, batch.batch, batch.num_graphs)
        F.cross_entropy(logits, batch.y).backward()
        optimizer.step()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="nci1")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per variant")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from torch_geometric.loader import DataLoader

    from gnnlab.data import load_tu
    from gnnlab.nn.models import GIN

    dataset = load_tu(args.dataset)
    batches = list(DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(0)))
    torch.manual_seed(0)
    ours = GIN(dataset.num_features, dataset.num_classes, hidden_channels=args.hidden, num_layers=args.layers)
    variants = {"gnnlab": (ours, [b.edge_index for b in batches])}
    for name, graphs in (("pyg (edge_index)", [b.edge_index for b in batches]),
                         ("pyg (adj_t)", [_adj_t(b) for b in batches])):
        model = pyg_gin(dataset.num_features, dataset.num_classes, args.hidden, args.layers)
        model.load_state_dict(ours.state_dict())
        variants[name] = (model, graphs)
    optimizers = {name: torch.optim.Adam(model.parameters(), lr=0.01) for name, (model, _) in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for epoch in range(args.epochs + 1):
        order = names[epoch % len(names):] + names[:epoch % len(names)]
        for name in order:
            model, graphs = variants[name]
            seconds = _epoch(model, optimizers[name], batches, graphs)
            if epoch > 0:  # the first epoch of each warms up
                times[name].append(seconds)
    median = {name: statistics.median(values) for name, values in times.items()}
    reference = min((n for n in names if n.startswith("pyg")), key=median.__getitem__)
    print(f"GIN epoch on {dataset.name} ({len(dataset)} graphs, batches of {args.batch_size}, {args.layers} layers "
          f"of {args.hidden}, {args.threads} threads, torch {torch.__version__}):")
    for name in names:
        print(f"  {name:18s} {median[name] * 1e3:8.1f} ms")
    print(f"  gnnlab / PyG tuned ({reference}): {median['gnnlab'] / median[reference]:.2f}x")
    if args.json:
        from gnnlab.utils.io import atomic_write

        with atomic_write(args.json) as handle:
            json.dump({"dataset": dataset.name, "median_s": median, "times_s": times, "reference": reference,
                       "ratio": median["gnnlab"] / median[reference], "args": vars(args)}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
