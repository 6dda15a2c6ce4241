"""gnnlab's DeepWalk/node2vec against the `node2vec` package (with gensim), same hyper-parameters, same run.

    pip install node2vec gensim   # the reference; not a gnnlab dependency
    python benchmarks/embedding.py [--p 1 --q 1] [--seeds 3] [--large-nodes 1000000 --large-edges 10000000]

On Cora: walk time (for the package, building its transition tables plus walking), total fit time, peak
memory and test accuracy of a logistic regression on the public split. Then walks alone on a synthetic graph
of --large-nodes nodes and --large-edges directed edges (one walk of 80 steps per node), its time and peak
memory. Each measurement runs in its own subprocess; peak memory is the growth of the resident set's
high-water mark over what the process held before the timed work. Ratios are reference / gnnlab.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HYPER = dict(dimensions=128, walk_length=80, walks_per_node=10, window_size=10)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory  # noqa: E402


def run_reference(p: float, q: float, seed: int, epochs: int = 1) -> dict:
    import networkx as nx
    from node2vec import Node2Vec as PackageNode2Vec

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import evaluate_embedding

    data = load_planetoid("cora")
    graph = nx.Graph()
    graph.add_nodes_from(range(data.num_nodes))
    graph.add_edges_from(data.edge_index.t().tolist())
    with PeakMemory() as peak:
        start = time.perf_counter()
        walker = PackageNode2Vec(graph, dimensions=HYPER["dimensions"], walk_length=HYPER["walk_length"],
                                 num_walks=HYPER["walks_per_node"], p=p, q=q, workers=2, quiet=True, seed=seed)
        walked = time.perf_counter()
        # gensim's default is 5 epochs; gnnlab's (and this benchmark's) is 1
        model = walker.fit(window=HYPER["window_size"], min_count=1, workers=2, seed=seed, epochs=epochs)
        end = time.perf_counter()
    import numpy as np

    embedding = np.stack([model.wv[str(i)] for i in range(data.num_nodes)])
    return {"walk_s": walked - start, "fit_s": end - start, "peak_mib": peak.mib,
            "accuracy": evaluate_embedding(embedding, data)}


def run_gnnlab(p: float, q: float, seed: int) -> dict:
    import torch

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import Node2Vec, evaluate_embedding, random_walks

    torch.set_num_threads(2)
    data = load_planetoid("cora")
    start = time.perf_counter()
    random_walks(data.edge_index, data.num_nodes, walk_length=HYPER["walk_length"],
                 walks_per_node=HYPER["walks_per_node"], p=p, q=q, seed=seed)
    walk_s = time.perf_counter() - start
    with PeakMemory() as peak:
        start = time.perf_counter()
        model = Node2Vec(**HYPER, p=p, q=q, seed=seed, verbose=False, device="cpu").fit(data)
        fit_s = time.perf_counter() - start
    return {"walk_s": walk_s, "fit_s": fit_s, "peak_mib": peak.mib, "accuracy": evaluate_embedding(model, data)}


def run_large(nodes: int, edges: int, p: float, q: float) -> dict:
    import torch

    from gnnlab.embedding import random_walks

    torch.set_num_threads(2)
    generator = torch.Generator().manual_seed(0)
    half = torch.randint(0, nodes, (2, edges // 2), generator=generator)
    edge_index = torch.cat([half, half.flip(0)], dim=1)  # undirected: both directions
    with PeakMemory() as peak:
        start = time.perf_counter()
        walks = random_walks(edge_index, nodes, walk_length=80, walks_per_node=1, p=p, q=q, seed=0)
        seconds = time.perf_counter() - start
    return {"walk_s": seconds, "peak_mib": peak.mib, "steps_per_s": walks.numel() / seconds,
            "baseline_mib": peak.start_bytes / 2**20}


def _child(*args: str) -> dict:
    command = [sys.executable, "-W", "ignore", __file__, "--child", *args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=1.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--large-nodes", type=int, default=1_000_000)
    parser.add_argument("--large-edges", type=int, default=10_000_000)
    parser.add_argument("--skip-reference", action="store_true", help="gnnlab only (no node2vec package)")
    parser.add_argument("--reference-epochs", type=int, default=1, help="gensim epochs (its own default is 5)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "large":
            result = run_large(int(rest[0]), int(rest[1]), args.p, args.q)
        elif kind == "reference":
            result = run_reference(args.p, args.q, int(rest[0]), args.reference_epochs)
        else:
            result = run_gnnlab(args.p, args.q, int(rest[0]))
        print(json.dumps(result))
        return

    libraries = ["gnnlab"] + ([] if args.skip_reference else ["reference"])
    results = {name: [] for name in libraries}
    for seed in range(args.seeds):
        for name in libraries:
            results[name].append(_child(name, str(seed), "--p", str(args.p), "--q", str(args.q),
                                        "--reference-epochs", str(args.reference_epochs)))

    def mean(name, key):
        return statistics.mean(r[key] for r in results[name])

    print(f"Cora, p={args.p}, q={args.q}, {HYPER}, epochs 1 (gensim: {args.reference_epochs}), mean of "
          f"{args.seeds} seeds, 2 threads / 2 workers\n")
    print("| | walks (s) | whole fit (s) | peak MiB | test accuracy |")
    print("|---|---|---|---|---|")
    for name in libraries:
        label = "gnnlab" if name == "gnnlab" else "node2vec package + gensim"
        print(f"| {label} | {mean(name, 'walk_s'):.2f} | {mean(name, 'fit_s'):.2f} | {mean(name, 'peak_mib'):.0f} | "
              f"{mean(name, 'accuracy'):.3f} |")
    if "reference" in results:
        print(f"\nwalks: {mean('reference', 'walk_s') / mean('gnnlab', 'walk_s'):.1f}x faster; whole fit: "
              f"{mean('reference', 'fit_s') / mean('gnnlab', 'fit_s'):.1f}x faster; peak memory "
              f"{mean('gnnlab', 'peak_mib') / max(mean('reference', 'peak_mib'), 1e-9):.2f}x")
    if args.large_nodes > 0:
        large = _child("large", str(args.large_nodes), str(args.large_edges), "--p", str(args.p), "--q", str(args.q))
        print(f"\nwalks on {args.large_nodes:,} nodes / {args.large_edges:,} edges (1 walk x 80 per node): "
              f"{large['walk_s']:.1f} s, {large['steps_per_s'] / 1e6:.1f} M steps/s, peak +{large['peak_mib']:.0f} MiB "
              f"over a {large['baseline_mib']:.0f} MiB process")
    print(f"\n(os.cpu_count() = {os.cpu_count()})")


if __name__ == "__main__":
    main()
