"""Biased (node2vec) random walks: gnnlab against the `node2vec` package, for every (p, q) of a grid, same run.

    pip install gensim && pip install --no-deps node2vec   # the reference (it imports gensim); not a gnnlab
                                                          # dependency (0.5.0's metadata pins numpy<2; it runs on 2)
    python benchmarks/walks.py [--values 0.25 0.5 1 2 4 | --pq 1 1 --pq 4 0.25] [--repeats 3] [--large-nodes 1000000]

On Cora, 10 walks of 80 nodes from every node. The package (its best configuration: workers=2) precomputes,
for every edge t -> v, the normalised transition probabilities of v's neighbours (pure Python, O(sum of
squared degrees)) and then walks with Python's ``random.choices``, one step of one walk at a time, in 2 joblib
worker processes; its time is the construction of its `Node2Vec` object, which does both. gnnlab's time is one
`random_walks` call: building its CSR graph and (on small unweighted graphs) its per-edge class tables,
then every walker stepping at once in torch on 2 threads. Both produce the same number of walks of the same
length; gnnlab's walks are exact (chi-square tests against the exact transition probabilities in
tests/embedding/test_random_walk.py).

Both sides are measured alike: one untimed warm-up call each before the first (p, q) (the package's starts
its joblib worker processes, which later calls reuse; gnnlab's warms torch's thread pool and allocator), then
for every (p, q) --repeats timed calls each, interleaved (gnnlab, package, gnnlab, ... with seeds 0, 1, ...);
the table gives each side's median and its fastest call, and the ratio of the medians.

--large-nodes then times gnnlab alone on `gnnlab.data.synthetic_graph` with that many nodes and mean
degree 10 (about 10 M directed edges at 1 M nodes), one walk of 80 per node at p = 4, q = 0.25, in a
subprocess: time and peak resident memory over the process's size before the walks.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory  # noqa: E402

WALK_LENGTH, WALKS_PER_NODE = 80, 10


def reference_call(graph, p: float, q: float, seed: int) -> None:
    from node2vec import Node2Vec as PackageNode2Vec

    PackageNode2Vec(graph, walk_length=WALK_LENGTH, num_walks=WALKS_PER_NODE, p=p, q=q, workers=2, quiet=True,
                    seed=seed)


def gnnlab_call(data, p: float, q: float, seed: int) -> None:
    from gnnlab.embedding import random_walks

    random_walks(data.edge_index, data.num_nodes, walk_length=WALK_LENGTH, walks_per_node=WALKS_PER_NODE,
                 p=p, q=q, seed=seed)


def timed_alike(calls: dict[str, Callable[[int], None]], repeats: int) -> dict[str, list[float]]:
    """Seconds of ``repeats`` calls of each side, interleaved: call ``i`` of every side (with seed ``i``) in turn."""
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for seed in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call(seed)
            seconds[name].append(time.perf_counter() - start)
    return seconds


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
    parser.add_argument("--values", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0, 4.0],
                        help="p and q values: every (p, q) of their grid")
    parser.add_argument("--pq", type=float, nargs=2, action="append", metavar=("P", "Q"),
                        help="run these (p, q) pairs instead of the grid (repeatable)")
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
          f"gnnlab 2 threads; each side: median (and fastest) of {args.repeats} interleaved calls after one warm-up "
          "call\n")
    print("| p | q | node2vec package median (s) | gnnlab median (s) | ratio of medians | "
          "fastest: package / gnnlab (s) |")
    print("|---|---|---|---|---|---|")
    reference_call(graph, 1.0, 1.0, 0)  # warm-up, untimed
    gnnlab_call(data, 1.0, 1.0, 0)
    ratios = []
    for p, q in args.pq or itertools.product(args.values, args.values):
        seconds = timed_alike({"gnnlab": lambda seed, p=p, q=q: gnnlab_call(data, p, q, seed),
                               "package": lambda seed, p=p, q=q: reference_call(graph, p, q, seed)}, args.repeats)
        ours, theirs = statistics.median(seconds["gnnlab"]), statistics.median(seconds["package"])
        ratios.append(theirs / ours)
        print(f"| {p:g} | {q:g} | {theirs:.2f} | {ours:.3f} | {theirs / ours:.0f}x | "
              f"{min(seconds['package']):.2f} / {min(seconds['gnnlab']):.3f} |", flush=True)
    print(f"\nratio of medians: smallest {min(ratios):.0f}x, median {statistics.median(ratios):.0f}x, "
          f"largest {max(ratios):.0f}x")
    if args.large_nodes > 0:
        command = [sys.executable, "-W", "ignore", __file__, "--child-large", str(args.large_nodes)]
        large = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print(f"\ngnnlab, synthetic_graph({args.large_nodes:,} nodes, {large['edges']:,} directed edges), one walk "
              f"x {WALK_LENGTH} per node, p = 4, q = 0.25: {large['seconds']:.1f} s, peak +{large['peak_mib']:.0f} MiB "
              f"over a {large['baseline_mib']:.0f} MiB process")
    print(f"(os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
