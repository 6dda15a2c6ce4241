"""Train-step time of gnnlab's GNN models against PyG's, both PyG's default and its best configuration, with the
same weights on the same data in the same run.

    python benchmarks/gnn.py [--datasets cora citeseer] [--models gcn sage gat ggnn] [--steps 40] [--threads 2]
                             [--device auto] [--json results/gnn.json]

A train step is forward + backward + Adam step (lr 0.01, weight decay 5e-4) in training mode (dropout on) with
the cross-entropy of the public split's training nodes. The models are the paper architectures that gnnlab's
defaults build: GCN 2 layers of 16 hidden (dropout 0.5), GraphSAGE 2 layers of 64 with mean aggregation
(dropout 0.5), GAT 8 heads of 8 then 1 head (dropout 0.6 on inputs and attention), GGNN input projection to
64, 2 gated steps with mean aggregation and one matrix per step, output layer (dropout 0.6). Every variant of a
row starts from the same weights. All variants of a row run in one process, their steps interleaved (step
``i`` of every variant, in an order that rotates with ``i``) so that none gains from a warmer cache, allocator
or CPU clock; after 3 warm-up steps each, the figure is the median of ``--steps`` timed steps (on CUDA with a
synchronisation before and after each step). Ratios are gnnlab / PyG: below 1 is faster.

What each side does:

- **gnnlab**: ``gnnlab.nn.GCN`` / ``GraphSAGE`` / ``GAT`` / ``GGNN`` on sparse features, as
  ``fit_node_classifier`` passes Planetoid's bag-of-words (``gnnlab.train.sparse_features``: CSR with its
  transpose): input dropout on the stored entries only, the first layer's product ``X W`` as a CSR x dense
  product (and ``X^T G`` for the weight gradient). GCN's normalised adjacency and GraphSAGE's / GGNN's mean
  as CSR products, built on the first step and reused (the cache is keyed on the ``edge_index`` tensor);
  GraphSAGE projects before aggregating; GAT attends per edge (gather, segment softmax, ``index_add_``).
- **PyG default**: PyG's layers as its examples use them: the dense feature matrix (``F.dropout`` on every
  entry, a dense first-layer product), ``edge_index``, ``GCNConv(cached=False)`` (normalises every step).
- **PyG tuned**: the fastest, per row and in this run, of PyG's own options applied to the same model:
  ``GCNConv(cached=True)``; the same sparse features as gnnlab as a ``torch.sparse`` tensor (COO or CSR,
  whichever is faster) with ``F.dropout`` on its stored values, fed to PyG's layers, whose ``Linear`` is
  ``F.linear`` and takes it as is (GCN, GAT, GGNN's input ``nn.Linear``); for GraphSAGE, whose ``SAGEConv``
  aggregates its input before projecting it, the first layer applies its own ``lin_l``/``lin_r`` weights to
  the sparse ``x`` with ``F.linear`` and aggregates the 64-wide projection with the layer's own
  ``propagate`` (the same reordering gnnlab does); and the graph as ``edge_index`` or as PyG's sparse
  ``adj_t`` (a transposed ``torch.sparse_csr`` adjacency, with which ``GCNConv``, ``SAGEConv`` and
  ``GatedGraphConv`` aggregate by one sparse product, ``message_and_aggregate``). The column names the
  configuration that won; ``--json`` keeps every candidate's time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MODELS = ("gcn", "sage", "gat", "ggnn")
NAMES = {"gcn": "GCN", "sage": "GraphSAGE", "gat": "GAT", "ggnn": "GGNN"}
DATASETS = {"cora": "Cora", "citeseer": "CiteSeer"}
WARMUP = 3


class PyGModel(nn.Module):
    """gnnlab's default architectures built from PyG's layers; parameter names match gnnlab's models.

    ``forward(x, graph)`` takes a dense or ``torch.sparse`` ``x`` and an ``edge_index`` or ``adj_t``.
    """

    def __init__(self, name: str, in_channels: int, out_channels: int, cached: bool = False) -> None:
        super().__init__()
        from torch_geometric import nn as pyg

        self.name = name
        if name == "gcn":
            self.convs = nn.ModuleList([pyg.GCNConv(in_channels, 16, cached=cached),
                                        pyg.GCNConv(16, out_channels, cached=cached)])
            self.dropout, self.activation = 0.5, F.relu
        elif name == "sage":
            self.convs = nn.ModuleList([pyg.SAGEConv(in_channels, 64), pyg.SAGEConv(64, out_channels)])
            self.dropout, self.activation = 0.5, F.relu
        elif name == "gat":
            self.convs = nn.ModuleList([pyg.GATConv(in_channels, 8, heads=8, dropout=0.6),
                                        pyg.GATConv(64, out_channels, heads=1, concat=False, dropout=0.6)])
            self.dropout, self.activation = 0.6, F.elu
        else:
            self.lin_in = nn.Linear(in_channels, 64)
            self.conv = pyg.GatedGraphConv(64, 2, aggr="mean")
            self.lin_out = nn.Linear(64, out_channels)
            self.dropout = 0.6

    def forward(self, x: Tensor, graph: Tensor) -> Tensor:
        x = input_dropout(x, self.dropout, self.training)
        if self.name == "ggnn":
            h = F.relu(self.lin_in(x))  # nn.Linear is F.linear: a sparse x goes through as is
            h = self.conv(F.dropout(h, self.dropout, self.training), graph)
            return self.lin_out(F.dropout(h, self.dropout, self.training))
        first, second = self.convs
        if self.name == "sage" and x.layout != torch.strided:
            # SAGEConv would aggregate the 3703-wide x before projecting: project first, with its own weights
            projected = F.linear(x, first.lin_l.weight)
            h = first.propagate(graph, x=(projected, projected), size=None) + first.lin_l.bias + first.lin_r(x)
        else:
            h = first(x, graph)
        return second(F.dropout(self.activation(h), self.dropout, self.training), graph)


def input_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """``F.dropout`` on a dense ``x``; on a ``torch.sparse`` one, on its stored values only (same distribution)."""
    if x.layout == torch.strided or not training:
        return F.dropout(x, p, training)
    if x.layout == torch.sparse_coo:
        return torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), p, True), x.shape, is_coalesced=True)
    return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), F.dropout(x.values(), p, True), x.shape)


def gnnlab_model(name: str, in_channels: int, out_channels: int) -> nn.Module:
    from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE

    if name == "gcn":
        return GCN(in_channels, out_channels)
    if name == "sage":
        return GraphSAGE(in_channels, out_channels)
    if name == "gat":
        return GAT(in_channels, out_channels)
    return GGNN(in_channels, out_channels, share_weights=False)  # PyG's layer has one matrix per step


def variants(name: str, data, device: torch.device) -> dict[str, tuple[nn.Module, Tensor, Tensor]]:
    """``{label: (model, x, graph)}``: gnnlab, PyG default and PyG's tuned candidates, all with one set of
    weights."""
    from torch_geometric.utils import to_torch_csr_tensor

    from gnnlab.data import num_classes
    from gnnlab.train import sparse_features

    in_channels, out_channels = data.num_features, num_classes(data)
    torch.manual_seed(0)
    reference = PyGModel(name, in_channels, out_channels)
    state = reference.state_dict()
    x, edge_index = data.x.to(device), data.edge_index.to(device)
    adj_t = to_torch_csr_tensor(edge_index.flip(0), size=(data.num_nodes, data.num_nodes))
    ours = gnnlab_model(name, in_channels, out_channels)
    ours.load_state_dict(state)
    out = {"gnnlab": (ours, sparse_features(x), edge_index), "PyG default": (reference, x, edge_index)}
    layouts = {"COO": x.to_sparse_coo(), "CSR": x.to_sparse_csr()}
    graphs = {"edge_index": edge_index} if name == "gat" else {"edge_index": edge_index, "adj_t": adj_t}
    for layout, sparse_x in layouts.items():
        for graph_name, graph in graphs.items():
            tuned = PyGModel(name, in_channels, out_channels, cached=True)
            tuned.load_state_dict(state)
            out[f"sparse x {layout}, {graph_name}" + (", cached" if name == "gcn" else "")] = (tuned, sparse_x, graph)
    return {label: (model.to(device).train(), features, graph) for label, (model, features, graph) in out.items()}


def time_row(name: str, data, device: torch.device, steps: int) -> dict[str, list[float]]:
    """Milliseconds of each timed step of every variant, steps interleaved across variants."""
    y, mask = data.y.to(device), data.train_mask.to(device)
    runs = {}
    for label, (model, x, graph) in variants(name, data, device).items():
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        runs[label] = (model, x, graph, optimizer)
    times: dict[str, list[float]] = {label: [] for label in runs}
    failed: dict[str, str] = {}
    labels = list(runs)
    for index in range(WARMUP + steps):
        turn = index % len(labels)
        for label in labels[turn:] + labels[:turn]:
            if label in failed:
                continue
            model, x, graph, optimizer = runs[label]
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            try:
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(x, graph)[mask], y[mask]).backward()
                optimizer.step()
            except (RuntimeError, NotImplementedError, ValueError, TypeError) as error:
                if label in ("gnnlab", "PyG default"):
                    raise
                failed[label] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
                continue
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if index >= WARMUP:
                times[label].append(1000 * (time.perf_counter() - start))
    for label, reason in failed.items():
        times.pop(label)
        print(f"({NAMES[name]}: PyG candidate '{label}' does not run here: {reason})", file=sys.stderr, flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per variant (after 3 warm-up steps)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--json", help="also write every variant's step times here")
    args = parser.parse_args()

    from gnnlab.data import load_planetoid
    from gnnlab.utils import resolve_device

    warnings.filterwarnings("ignore")  # PyG's and torch.sparse's beta/conversion notices
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device: {device}{' (' + torch.cuda.get_device_name(device) + ')' if device.type == 'cuda' else ''}, "
          f"torch {torch.__version__}, {args.threads} threads, median of {args.steps} interleaved steps\n")
    print("| model | dataset | gnnlab ms | PyG default ms | PyG tuned ms | PyG tuned configuration | "
          "gnnlab / PyG tuned | gnnlab / PyG default |")
    print("|---|---|---|---|---|---|---|---|", flush=True)
    record = []
    for dataset in args.datasets:
        data = load_planetoid(dataset)
        for name in args.models:
            times = time_row(name, data, device, args.steps)
            median = {label: statistics.median(values) for label, values in times.items()}
            ours, default = median.pop("gnnlab"), median.pop("PyG default")
            best = min(median, key=median.get)
            print(f"| {NAMES[name]} | {DATASETS[dataset]} | {ours:.1f} | {default:.1f} | {median[best]:.1f} | {best} | "
                  f"{ours / median[best]:.2f}x | {ours / default:.2f}x |", flush=True)
            record.append({"model": name, "dataset": dataset, "device": str(device), "threads": args.threads,
                           "gnnlab_ms": ours, "pyg_default_ms": default, "pyg_tuned_ms": median[best],
                           "pyg_tuned": best, "candidates_ms": median, "steps_ms": times})
    if args.json:
        from gnnlab.utils.io import atomic_write

        with atomic_write(args.json) as handle:
            json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()
