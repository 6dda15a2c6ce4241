"""The Weisfeiler-Lehman subtree kernel: gnnlab against grakel on a TU dataset, same run, same kernel matrix.

    python benchmarks/kernels.py [--dataset NCI1] [--iterations 5] [--repeats 3] [--no-normalize]

Both sides compute the (n, n) training kernel matrix of ``fit_transform`` on every graph of the dataset (NCI1:
4110 graphs, 122,747 nodes), with ``--iterations`` refinement steps and, unless ``--no-normalize``,
k(x, y) / sqrt(k(x, x) k(y, y)); the script checks that the two matrices are equal before timing.

What each side does:

- **grakel** (``grakel.kernels.WeisfeilerLehman(n_iter=h, normalize=True)``, its default ``VertexHistogram``
  base kernel): for each iteration, every node's signature is built as a Python string (its label and the
  sorted list of its neighbours' labels) from edge dictionaries, the distinct strings are sorted and numbered
  in a dict, and a ``VertexHistogram`` builds that iteration's histogram matrix and its kernel (a dense or
  sparse product); the h + 1 kernels are summed and normalised. Its input, per graph an edge dictionary and
  a node-label dictionary, is built once before timing (the time of that conversion is printed apart).
- **gnnlab** (``gnnlab.kernels.WeisfeilerLehman(num_iterations=h, normalize=True)``) takes the PyG ``Data``
  graphs as ``load_tu`` gives them: it checks them and reads them into one CSR disjoint union, then each
  iteration sorts all neighbour labels with one ``np.sort`` and compresses the signatures of the nodes of
  each degree with one lexicographic sort; the concatenated histograms form one sparse feature matrix whose
  Gram matrix is the kernel (columns that most graphs share by a dense BLAS product, the rest sparse). Its
  ``fit`` alone (input, relabelling, features) is timed apart too.

Calls are interleaved (gnnlab, grakel, gnnlab, ...) after one untimed warm-up call each; the figures are the
fastest of ``--repeats`` calls of each side, and the ratio is grakel's over gnnlab's.
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np


def grakel_input(graphs) -> list[list[dict]]:
    """grakel's input: per graph [edge dictionary {target: {source: 1.0}}, node labels {node: label}]."""
    converted = []
    for graph in graphs:
        edges = {node: {} for node in range(graph.num_nodes)}
        for source, target in graph.edge_index.t().tolist():
            edges[target][source] = 1.0
        converted.append([edges, dict(enumerate(graph.x.argmax(dim=1).tolist()))])
    return converted


def fastest(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` interleaved calls of each side, in seconds."""
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    return {name: min(times) for name, times in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="NCI1", help="a TU dataset with node labels (MUTAG, PROTEINS, ...)")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-normalize", dest="normalize", action="store_false")
    args = parser.parse_args()

    from grakel.kernels import WeisfeilerLehman as GrakelWeisfeilerLehman

    from gnnlab.data import load_tu
    from gnnlab.kernels import WeisfeilerLehman

    graphs = list(load_tu(args.dataset))
    start = time.perf_counter()
    converted = grakel_input(graphs)
    conversion = time.perf_counter() - start

    def ours():
        return WeisfeilerLehman(num_iterations=args.iterations, normalize=args.normalize).fit_transform(graphs)

    def theirs():
        return GrakelWeisfeilerLehman(n_iter=args.iterations, normalize=args.normalize).fit_transform(converted)

    def ours_fit():
        return WeisfeilerLehman(num_iterations=args.iterations, normalize=args.normalize).fit(graphs)

    difference = np.abs(ours() - theirs()).max()  # also the warm-up calls
    ours_fit()
    seconds = fastest({"gnnlab": ours, "grakel": theirs, "gnnlab fit": ours_fit}, args.repeats)
    nodes = sum(graph.num_nodes for graph in graphs)
    features = ours_fit().features_
    print(f"{args.dataset}: {len(graphs)} graphs, {nodes:,} nodes; Weisfeiler-Lehman subtree kernel, "
          f"{args.iterations} iterations, normalize={args.normalize}; {features.shape[1]:,} subtree patterns; "
          f"largest |gnnlab - grakel| entry {difference:.1e}\n")
    print(f"| side | fit_transform, fastest of {args.repeats} (s) |")
    print("|---|---|")
    print(f"| grakel | {seconds['grakel']:.2f} |")
    print(f"| gnnlab | {seconds['gnnlab']:.2f} (fit alone: {seconds['gnnlab fit']:.2f}) |")
    print(f"\nratio grakel / gnnlab: {seconds['grakel'] / seconds['gnnlab']:.1f}x; building grakel's input "
          f"dictionaries (not timed above): {conversion:.2f} s")
    print(f"(os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
