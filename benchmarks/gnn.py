"""Per-epoch time and peak memory of gnnlab's GNN models against PyG's, same weights, same data, same run.

    python benchmarks/gnn.py [--datasets cora citeseer] [--models gcn sage gat ggnn] [--steps 30] [--device auto]

A train step is forward + backward + Adam step on the public split's training nodes. Each (library, model,
dataset) runs in its own subprocess so that its peak memory is its own: the high-water mark of the resident
set (CPU: the kernel's high-water mark, reset before the first step) or of CUDA allocations, above what the
process held before its first step (warm-up steps included). gnnlab gets the
bag-of-words features as sparse features (what ``fit_node_classifier`` does by default); PyG the dense matrix
(what its examples do); the column "gnnlab, dense x" gives gnnlab the same dense matrix as PyG, to separate
the sparse-feature path from the rest. Ratios are gnnlab / PyG: below 1 is faster or smaller.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory  # noqa: E402

MODELS = ("gcn", "sage", "gat", "ggnn")


def _pyg_model(name: str, in_channels: int, out_channels: int):
    import torch.nn.functional as F
    from torch import nn
    from torch_geometric import nn as pyg

    class Stack(nn.Module):
        def __init__(self, convs, dropout, activation):
            super().__init__()
            self.convs, self.dropout, self.activation = nn.ModuleList(convs), dropout, activation

        def forward(self, x, edge_index):
            for i, conv in enumerate(self.convs):
                x = F.dropout(self.activation(x) if i else x, self.dropout, self.training)
                x = conv(x, edge_index)
            return x

    class GGNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin_in = nn.Linear(in_channels, 64)
            self.conv = pyg.GatedGraphConv(64, 2, aggr="mean")
            self.lin_out = nn.Linear(64, out_channels)

        def forward(self, x, edge_index):
            h = F.relu(self.lin_in(F.dropout(x, 0.6, self.training)))
            h = self.conv(F.dropout(h, 0.6, self.training), edge_index)
            return self.lin_out(F.dropout(h, 0.6, self.training))

    if name == "gcn":
        return Stack([pyg.GCNConv(in_channels, 16), pyg.GCNConv(16, out_channels)], 0.5, F.relu)
    if name == "sage":
        return Stack([pyg.SAGEConv(in_channels, 64), pyg.SAGEConv(64, out_channels)], 0.5, F.relu)
    if name == "gat":
        return Stack([pyg.GATConv(in_channels, 8, heads=8, dropout=0.6),
                      pyg.GATConv(64, out_channels, heads=1, concat=False, dropout=0.6)], 0.6, F.elu)
    return GGNN()


def _ours_model(name: str, in_channels: int, out_channels: int):
    from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE

    if name == "gcn":
        return GCN(in_channels, out_channels)
    if name == "sage":
        return GraphSAGE(in_channels, out_channels)
    if name == "gat":
        return GAT(in_channels, out_channels)
    return GGNN(in_channels, out_channels, share_weights=False)  # PyG's layer has one matrix per step


def child(library: str, name: str, dataset: str, steps: int, device_name: str) -> dict:
    import torch
    import torch.nn.functional as F

    from gnnlab.data import load_planetoid, num_classes
    from gnnlab.train import sparse_features
    from gnnlab.utils import resolve_device

    torch.set_num_threads(int(os.environ.get("GNNLAB_BENCH_THREADS", "2")))
    device = resolve_device(device_name)
    data = load_planetoid(dataset)
    torch.manual_seed(0)
    reference = _pyg_model(name, data.num_features, num_classes(data))
    if library.startswith("gnnlab"):
        model = _ours_model(name, data.num_features, num_classes(data))
        model.load_state_dict(reference.state_dict())  # same weights
        x = data.x.to(device)
        if library == "gnnlab":
            x = sparse_features(x)
    else:
        model, x = reference, data.x.to(device)
    del reference
    model = model.to(device).train()
    edge_index, y, mask = data.edge_index.to(device), data.y.to(device), data.train_mask.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, edge_index)[mask], y[mask])
        loss.backward()
        optimizer.step()

    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    times = []
    with PeakMemory() as host:
        for index in range(steps + 3):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            if index >= 3:  # the first steps warm up caches and the allocator
                times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() - before if device.type == "cuda" else host.bytes
    return {"ms": 1000 * statistics.median(times), "peak_mib": peak / 2**20, "device": str(device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--child", nargs=3, metavar=("LIBRARY", "MODEL", "DATASET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.steps, args.device)))
        return

    print("| model | dataset | gnnlab ms/epoch | PyG ms/epoch | time ratio | gnnlab, dense x: ms, ratio | "
          "gnnlab peak MiB | PyG peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        for name in args.models:
            result = {}
            for library in ("gnnlab", "gnnlab-dense", "pyg"):
                command = [sys.executable, "-W", "ignore", __file__, "--child", library, name, dataset,
                           "--steps", str(args.steps), "--device", args.device]
                output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                result[library] = json.loads(output.strip().splitlines()[-1])
            ours, dense, pyg = result["gnnlab"], result["gnnlab-dense"], result["pyg"]
            print(f"| {name} | {dataset} | {ours['ms']:.1f} | {pyg['ms']:.1f} | {ours['ms'] / pyg['ms']:.2f}x | "
                  f"{dense['ms']:.1f}, {dense['ms'] / pyg['ms']:.2f}x | {ours['peak_mib']:.0f} | "
                  f"{pyg['peak_mib']:.0f} |", flush=True)
    print(f"\ndevice: {ours['device']}, torch threads: {os.environ.get('GNNLAB_BENCH_THREADS', '2')}")


if __name__ == "__main__":
    main()
