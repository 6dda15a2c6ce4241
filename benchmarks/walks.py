"""Biased (node2vec) random walks: gnnlab against the `node2vec` package, for every (p, q) of a grid, same run.

    pip install node2vec   # the reference; not a gnnlab dependency
    python benchmarks/walks.py [--values 0.25 0.5 1 2 4] [--repeats 3] [--large-nodes 1000000]

On Cora, 10 walks of 80 nodes from every node. The package (its best configuration: workers=2) precomputes,
for every edge t -> v, the normalised transition probabilities of v's neighbours (pure Python, O(sum of
squared degrees)) and then walks with numpy draws, one step of one walk at a time, in 2 worker processes;
its time is the construction of its `Node2Vec` object, which does both. gnnlab's time is one
`random_walks` call: building its CSR graph and (on small unweighted graphs) its per-edge class tables,
then every walker stepping at once in torch on 2 threads. Both produce the same number of walks of the same
length; gnnlab's walks are exact (chi-square tests against the exact transition probabilities in
tests/embedding/test_random_walk.py). gnnlab's time is the best of --repeats runs, the package's one run.

--large-nodes then times gnnlab alone on `gnnlab.data.synthetic_graph` with that many nodes and mean
degree 10 (about 10 M directed edges at 1 M nodes), one walk of 80 per node at p = 4, q = 0.25, in a
subprocess: time and peak resident memory over the process's size before the walks.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory  # noqa: E402

WALK_LENGTH, WALKS_PER_NODE = 80, 10


def reference_seconds(graph, p: float, q: float) -> float:
    from node2vec import Node2Vec as PackageNode2Vec

    start = time.perf_counter()
    PackageNode2Vec(graph, walk_length=WALK_LENGTH, num_walks=WALKS_PER_NODE, p=p, q=q, workers=2, quiet=True,
                    seed=0)
    return time.perf_counter() - start


def gnnlab_seconds(data, p: float, q: float, repeats: int) -> float:
    from gnnlab.embedding import random_walks

    best = float("inf")
    for seed in range(repeats):
        start = time.perf_counter()
        random_walks(data.edge_index, data.num_nodes, walk_length=WALK_LENGTH, walks_per_node=WALKS_PER_NODE,
                     p=p, q=q, seed=seed)
        best = min(best, time.perf_counter() - start)
    return best


def run_large(nodes: int) -> dict:
    import torch

    from gnnlab.data import synthetic_graph
    from gnnlab.embedding import random_walks

    torch.set_num_threads(2)
    data = synthetic_graph(nodes, avg_degree=10.0, seed=0)
    with PeakMemory() as peak:
        start = time.perf_counter()
        random_walks(data.edge_index, data.num_nodes, walk_length=WALK_LENGTH, walks_per_node=1, p=4.0, q=0.25,
                     seed=0)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": peak.mib, "edges": data.edge_index.size(1),
            "baseline_mib": peak.start_bytes / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large-nodes", type=int, default=1_000_000, help="0 skips the large graph")
    parser.add_argument("--child-large", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_large:
        print(json.dumps(run_large(args.child_large)))
        return

    import networkx as nx
    import torch

    from gnnlab.data import load_planetoid

    torch.set_num_threads(2)
    data = load_planetoid("cora")
    graph = nx.Graph()
    graph.add_nodes_from(range(data.num_nodes))
    graph.add_edges_from(data.edge_index.t().tolist())
    print(f"Cora, {WALKS_PER_NODE} walks x {WALK_LENGTH} nodes from every node; node2vec package workers=2, "
          "gnnlab 2 threads\n")
    print("| p | q | node2vec package (s) | gnnlab (s) | ratio |")
    print("|---|---|---|---|---|")
    ratios = []
    for p, q in itertools.product(args.values, args.values):
        ours = gnnlab_seconds(data, p, q, args.repeats)
        theirs = reference_seconds(graph, p, q)
        ratios.append(theirs / ours)
        print(f"| {p:g} | {q:g} | {theirs:.2f} | {ours:.3f} | {theirs / ours:.0f}x |", flush=True)
    print(f"\nsmallest ratio {min(ratios):.0f}x, largest {max(ratios):.0f}x")
    if args.large_nodes > 0:
        command = [sys.executable, "-W", "ignore", __file__, "--child-large", str(args.large_nodes)]
        large = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print(f"\ngnnlab, synthetic_graph({args.large_nodes:,} nodes, {large['edges']:,} directed edges), one walk "
              f"x {WALK_LENGTH} per node, p = 4, q = 0.25: {large['seconds']:.1f} s, peak +{large['peak_mib']:.0f} MiB "
              f"over a {large['baseline_mib']:.0f} MiB process")
    print(f"(os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
