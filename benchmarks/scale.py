"""Mini-batch GraphSAGE on synthetic graphs of growing size: time, throughput, peak memory, and a plot.

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--avg-degree 10] [--features 64]

For each size (one subprocess each, so memory figures do not mix): generate ``synthetic_graph`` (10 classes,
60/20/20 split), then

- the sampler alone: one epoch of ``NeighborLoader(num_neighbors=[25, 10], batch_size=1024)`` over the
  training nodes (seconds, seeds per second);
- one training epoch of a 2-layer GraphSAGE (64 hidden) on those batches, each layer skipping the hops its
  outputs no longer need (as ``fit_node_classifier`` does) (seconds, seeds per second, peak
  memory of the process and its growth during the epoch);
- layer-wise full-neighbourhood inference over all nodes;
- the reference: PyG's ``GraphSAGE`` with the same weights doing the same forward/backward/step on the first
  --reference-batches of the same batches (both trimming the hops), timed against gnnlab's model on those
  batches (ratio gnnlab / PyG).
  (PyG's own ``NeighborLoader`` needs pyg-lib or torch-sparse, which gnnlab avoids, so the sampler has no
  reference here.)

Results go to results/scale/scale.json and a plot of cost against the number of edges to
results/scale/scale.png. Cost per million edges at each size shows how close to linear the growth is.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory, _status  # noqa: E402


def hops(batch) -> dict:
    """Both libraries skip the outer hops in later layers (PyG's trim_to_layer) given these counts."""
    return {"num_sampled_nodes_per_hop": batch.num_sampled_nodes, "num_sampled_edges_per_hop": batch.num_sampled_edges}


def measure(num_nodes: int, avg_degree: float, num_features: int, reference_batches: int, seed: int) -> dict:
    import torch
    import torch.nn.functional as F
    from torch_geometric.nn import GraphSAGE as PyGGraphSAGE

    from gnnlab.data import NeighborLoader, synthetic_graph
    from gnnlab.nn import GraphSAGE

    torch.manual_seed(seed)
    result: dict = {"num_nodes": num_nodes}
    start = time.perf_counter()
    data = synthetic_graph(num_nodes, num_classes=10, avg_degree=avg_degree, num_features=num_features, seed=seed)
    result["generate_s"] = time.perf_counter() - start
    result["num_edges"] = data.num_edges
    num_seeds = int(data.train_mask.sum())
    result["num_seeds"] = num_seeds

    def loader():
        return NeighborLoader(data, [25, 10], batch_size=1024, shuffle=True, input_nodes=data.train_mask, seed=seed)

    start = time.perf_counter()
    batches = loader()
    result["loader_build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    sampled_nodes = sampled_edges = 0
    for batch in batches:
        sampled_nodes += batch.num_nodes
        sampled_edges += batch.num_edges
    result["sampler_epoch_s"] = time.perf_counter() - start
    result["sampler_seeds_per_s"] = num_seeds / result["sampler_epoch_s"]
    result["sampled_edges_per_batch"] = sampled_edges / len(batches)
    result["sampled_edges_per_epoch"] = sampled_edges

    model = GraphSAGE(num_features, 10, hidden_channels=64, dropout=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    with PeakMemory() as peak:
        start = time.perf_counter()
        for batch in loader():
            optimizer.zero_grad()
            size = batch.batch_size
            F.cross_entropy(model(batch.x, batch.edge_index, **hops(batch))[:size], batch.y[:size]).backward()
            optimizer.step()
        result["train_epoch_s"] = time.perf_counter() - start
    result["train_seeds_per_s"] = num_seeds / result["train_epoch_s"]
    result["train_peak_growth_mib"] = peak.mib
    result["train_peak_process_mib"] = (peak.start_bytes + peak.bytes) / 2**20

    with PeakMemory() as peak:
        start = time.perf_counter()
        logits = model.inference(data.x, data.edge_index, batch_size=4096)
        result["inference_s"] = time.perf_counter() - start
    result["inference_peak_growth_mib"] = peak.mib
    result["val_acc_after_1_epoch"] = float((logits.argmax(1)[data.val_mask] == data.y[data.val_mask]).float().mean())

    # the same model steps, gnnlab's layers against PyG's, on the same batches
    reference = PyGGraphSAGE(num_features, 64, num_layers=2, out_channels=10, dropout=0.5)
    for ours, theirs in zip(model.convs, reference.convs):
        theirs.load_state_dict(ours.state_dict())
    fixed = []
    for i, batch in enumerate(loader()):
        if i == reference_batches:
            break
        fixed.append(batch)
    times = {"gnnlab": [], "pyg": []}
    optimizers = {"gnnlab": torch.optim.Adam(model.parameters(), lr=0.01),
                  "pyg": torch.optim.Adam(reference.parameters(), lr=0.01)}
    for _ in range(2):  # alternate, and keep each one's faster pass (the first warms the allocator)
        for name, net in (("gnnlab", model), ("pyg", reference)):
            opt = optimizers[name]
            net.train()
            start = time.perf_counter()
            for batch in fixed:
                opt.zero_grad()
                size = batch.batch_size
                F.cross_entropy(net(batch.x, batch.edge_index, **hops(batch))[:size], batch.y[:size]).backward()
                opt.step()
            times[name].append(time.perf_counter() - start)
    times = {name: min(values) for name, values in times.items()}
    result["model_steps_ratio_vs_pyg"] = times["gnnlab"] / times["pyg"]
    result["reference_batches"] = len(fixed)
    result["process_peak_mib"] = _status("VmHWM") / 2**20
    return result


def plot(results: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = [r["num_edges"] for r in results]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("train_epoch_s", "training epoch"), ("sampler_epoch_s", "sampler alone"),
                       ("inference_s", "layer-wise inference"), ("generate_s", "graph generation")):
        axes[0].loglog(edges, [r[key] for r in results], "o-", label=label)
    line = [results[0]["train_epoch_s"] * e / edges[0] for e in edges]
    axes[0].loglog(edges, line, "k:", label="linear in edges")
    axes[0].set_xlabel("edges")
    axes[0].set_ylabel("seconds")
    axes[0].set_title("cost against graph size (2 CPU cores)")
    axes[0].legend()
    axes[1].loglog(edges, [r["process_peak_mib"] for r in results], "o-", label="process peak")
    axes[1].loglog(edges, [r["train_peak_growth_mib"] for r in results], "o-", label="growth during an epoch")
    axes[1].set_xlabel("edges")
    axes[1].set_ylabel("MiB")
    axes[1].set_title("memory")
    axes[1].legend()
    fig.tight_layout()
    from gnnlab.utils.io import atomic_write

    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--avg-degree", type=float, default=10.0)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--reference-batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="results/scale")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one is not None:
        import torch

        torch.set_num_threads(2)
        print(json.dumps(measure(args.one, args.avg_degree, args.features, args.reference_batches, args.seed)))
        return

    from gnnlab.utils.io import atomic_write

    results = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size), "--avg-degree", str(args.avg_degree),
                   "--features", str(args.features), "--reference-batches", str(args.reference_batches),
                   "--seed", str(args.seed)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{r['num_nodes']:>9,} nodes {r['num_edges']:>11,} edges | generate {r['generate_s']:6.1f} s | "
              f"sampler {r['sampler_epoch_s']:6.1f} s ({r['sampler_seeds_per_s']:8,.0f} seeds/s) | "
              f"train epoch {r['train_epoch_s']:6.1f} s ({r['train_seeds_per_s']:7,.0f} seeds/s) | "
              f"inference {r['inference_s']:5.1f} s | peak {r['process_peak_mib']:7,.0f} MiB "
              f"(+{r['train_peak_growth_mib']:,.0f} in the epoch) | model steps vs PyG "
              f"{r['model_steps_ratio_vs_pyg']:.2f}x | {1e6 * r['train_epoch_s'] / r['num_edges']:.2f} s per M edges | "
              f"{1e6 * r['train_epoch_s'] / r['sampled_edges_per_epoch']:.2f} µs per sampled edge",
              flush=True)
    os.makedirs(args.out_dir, exist_ok=True)
    with atomic_write(os.path.join(args.out_dir, "scale.json")) as handle:
        json.dump(results, handle, indent=1)
    plot(results, os.path.join(args.out_dir, "scale.png"))
    print(f"written {args.out_dir}/scale.json and scale.png")


if __name__ == "__main__":
    main()
