"""gnnlab's DeepWalk/node2vec against the `node2vec` package + gensim: equal work and equal accuracy, same run.

    pip install node2vec gensim   # the reference; not a gnnlab dependency
    python benchmarks/embedding.py [--pq 1 1 --pq 4 0.25] [--large-nodes 1000000 --large-edges 10000000] [--pyg]

On Cora, 128 dimensions, 10 walks of 80 per node, window 10, 5 negatives per pair, one epoch, two rows per
(p, q), with each side's whole fit time (walks + skip-gram), its peak memory and the test accuracy of a
logistic regression on the public split:

* **equal work**: the same walk settings and the same pairs for both: every (centre, context) pair of the
  walks within word2vec's reduced window, once (gnnlab ``pairs_per_node=None``, grouped by walk position as
  gensim's loop visits them; gensim ``sample=0``, so that it drops no frequent nodes), 5 negatives per pair
  on both sides.
* **equal accuracy**: the time each side needs to reach the package's test accuracy, both averaged over
  --seeds seeds (3; a single run's accuracy moves by about 2 points from seed to seed, and gensim with 2
  workers does not repeat itself even on one seed). The package in its
  best configuration (workers=2, gensim's defaults, frequent-node downsampling ``sample=1e-3`` included,
  which trains fewer pairs) against gnnlab with the fewest training pairs that reach that accuracy:
  ``pairs_per_node`` in --budgets (default 100, 200, 400, 1000; pairs drawn from the window pairs' own
  distribution), tried from the smallest, each a whole fit of its own; the row shows the first that reaches
  the package's mean accuracy (or the largest, marked NOT reached) with its mean fit time.

The package builds its transition tables and walks (pure Python and numpy, 2 worker processes), then
gensim trains (C, 2 threads); gnnlab walks and trains in torch on 2 threads. The package's walks are built
once per (p, q) and seed, the first seed's shared by both rows and timed into both. Each side runs in its own subprocess; peak memory is the growth of
the resident set's high-water mark over what the process held before the timed work. Ratios are
reference / gnnlab.

``--pyg`` adds, for the first (p, q), the PyTorch reference to the equal-work row: PyG's ``Node2Vec``
skip-gram (its ``pos_sample``/``neg_sample`` windows and ``loss``, SparseAdam at lr 0.01 with 128 start
nodes per batch, as in PyG's example) for one epoch on gnnlab's walks, ``context_size`` = window + 1 and 5
negatives per pair: every walk position paired with the next ``window`` nodes (no reduced window, so 19.0 M
pairs on Cora rather than 22.6 M). PyG draws its walks with pyg-lib, which is not installable here, so the
model is built around gnnlab's walks instead; the skip-gram is PyG's own code.

Then walks alone on a random graph of --large-nodes nodes and --large-edges directed edges (one walk of 80
steps per node).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HYPER = dict(dimensions=128, walk_length=80, walks_per_node=10, window_size=10)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory  # noqa: E402


def run_reference(p: float, q: float, seed: int, seeds: int) -> dict:
    import networkx as nx
    import numpy as np
    from node2vec import Node2Vec as PackageNode2Vec

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import evaluate_embedding

    data = load_planetoid("cora")
    graph = nx.Graph()
    graph.add_nodes_from(range(data.num_nodes))
    graph.add_edges_from(data.edge_index.t().tolist())

    def fit(walk_seed: int, sample: float, walker=None) -> dict:
        walk_s = 0.0  # a walker passed in was built (and timed) once for both rows
        if walker is None:
            start = time.perf_counter()
            walker = PackageNode2Vec(graph, dimensions=HYPER["dimensions"], walk_length=HYPER["walk_length"],
                                     num_walks=HYPER["walks_per_node"], p=p, q=q, workers=2, quiet=True,
                                     seed=walk_seed)
            walk_s = time.perf_counter() - start
        with PeakMemory() as peak:
            start = time.perf_counter()
            model = walker.fit(window=HYPER["window_size"], min_count=1, workers=2, seed=walk_seed, epochs=1,
                               negative=5, sample=sample)
            train_s = time.perf_counter() - start
        embedding = np.stack([model.wv[str(i)] for i in range(data.num_nodes)])
        return {"walker": walker, "walk_s": walk_s, "fit_s": walk_s + train_s, "peak_mib": peak.mib,
                "accuracy": evaluate_embedding(embedding, data)}

    work = fit(seed, 0.0)
    walker, walk_s = work.pop("walker"), work["walk_s"]
    runs = [fit(seed, 1e-3, walker)] + [fit(other, 1e-3) for other in range(seed + 1, seed + seeds)]
    runs[0]["walk_s"] = walk_s  # the first seed's walks, built once for both rows
    runs[0]["fit_s"] += walk_s
    return {"equal work": work, "equal accuracy": _mean(runs)}


def _mean(runs: list[dict]) -> dict:
    """Mean time and accuracy of fits over seeds, the largest peak, and each seed's accuracy."""
    return {"walk_s": sum(r["walk_s"] for r in runs) / len(runs), "fit_s": sum(r["fit_s"] for r in runs) / len(runs),
            "peak_mib": max(r["peak_mib"] for r in runs), "accuracies": [r["accuracy"] for r in runs],
            "accuracy": sum(r["accuracy"] for r in runs) / len(runs),
            **{k: v for k, v in runs[0].items() if k in ("pairs", "pairs_per_node")}}


def run_gnnlab(p: float, q: float, seed: int, seeds: int, target: float, budgets: list[int]) -> dict:
    import torch

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import Node2Vec, evaluate_embedding, random_walks
    from gnnlab.embedding.skipgram import window_pairs

    torch.set_num_threads(2)
    data = load_planetoid("cora")
    start = time.perf_counter()
    walks = random_walks(data.edge_index, data.num_nodes, walk_length=HYPER["walk_length"],
                         walks_per_node=HYPER["walks_per_node"], p=p, q=q, seed=seed)
    walk_s = time.perf_counter() - start
    all_pairs = window_pairs(walks, HYPER["window_size"], torch.Generator().manual_seed(seed)).size(1)
    def fit(pairs_per_node: int | None, fit_seed: int) -> dict:
        with PeakMemory() as peak:
            start = time.perf_counter()
            model = Node2Vec(**HYPER, p=p, q=q, negative=5, pairs_per_node=pairs_per_node, seed=fit_seed,
                             verbose=False, device="cpu").fit(data)
            fit_s = time.perf_counter() - start
        pairs = all_pairs if pairs_per_node is None else pairs_per_node * data.num_nodes
        return {"walk_s": walk_s, "fit_s": fit_s, "peak_mib": peak.mib, "pairs": pairs,
                "accuracy": evaluate_embedding(model, data), "pairs_per_node": pairs_per_node}

    results = {"equal work": fit(None, seed)}
    for pairs_per_node in sorted(budgets):
        results["equal accuracy"] = _mean([fit(pairs_per_node, other) for other in range(seed, seed + seeds)])
        if results["equal accuracy"]["accuracy"] >= target:
            break
    return results


def run_pyg(p: float, q: float, seed: int) -> dict:
    import torch
    from torch_geometric.nn.models.node2vec import Node2Vec as PyGNode2Vec

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import evaluate_embedding, random_walks

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    data = load_planetoid("cora")
    n, per_node = data.num_nodes, HYPER["walks_per_node"]
    start = time.perf_counter()
    walks = random_walks(data.edge_index, n, walk_length=HYPER["walk_length"], walks_per_node=per_node, p=p, q=q,
                         seed=seed).view(per_node, n, -1)  # walk k * n + v starts at node v
    walk_s = time.perf_counter() - start
    # PyG's constructor insists on pyg-lib for its walks; everything after the walks is PyG's code.
    model = PyGNode2Vec.__new__(PyGNode2Vec)
    torch.nn.Module.__init__(model)
    model.num_nodes, model.embedding_dim, model.EPS, model.p, model.q = n, HYPER["dimensions"], 1e-15, p, q
    model.walk_length, model.context_size = HYPER["walk_length"] - 1, HYPER["window_size"] + 1
    model.walks_per_node, model.num_negative_samples = per_node, 5
    model.rowptr = model.col = None
    model.random_walk_fn = lambda rowptr, col, batch, *args: walks[
        torch.arange(per_node).repeat_interleave(batch.numel() // per_node), batch]
    model.embedding = torch.nn.Embedding(n, HYPER["dimensions"], sparse=True)
    optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.01)
    pairs = 0
    with PeakMemory() as peak:
        start = time.perf_counter()
        for positive, negative in model.loader(batch_size=128, shuffle=True):
            optimizer.zero_grad()
            model.loss(positive, negative).backward()
            optimizer.step()
            pairs += positive.size(0) * (positive.size(1) - 1)
        train_s = time.perf_counter() - start
    return {"walk_s": walk_s, "fit_s": walk_s + train_s, "peak_mib": peak.mib, "pairs": pairs,
            "accuracy": evaluate_embedding(model.embedding.weight.detach(), data)}


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


def _accuracy(result: dict) -> str:
    """The accuracy, and with several seeds each seed's after their mean."""
    each = result.get("accuracies", [])
    return f"{result['accuracy']:.3f}" + (f" ({' / '.join(f'{a:.3f}' for a in each)})" if len(each) > 1 else "")


def _child(*args: str) -> dict:
    command = [sys.executable, "-W", "ignore", __file__, "--child", *args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pq", type=float, nargs=2, action="append", metavar=("P", "Q"),
                        help="(p, q) pairs to run (default: 1 1 and 4 0.25)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds (from --seed) averaged on both sides in the equal-accuracy rows")
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 200, 400, 1000],
                        help="gnnlab's pairs_per_node tried, smallest first, for the equal-accuracy row")
    parser.add_argument("--large-nodes", type=int, default=1_000_000)
    parser.add_argument("--large-edges", type=int, default=10_000_000)
    parser.add_argument("--pyg", action="store_true",
                        help="add PyG's Node2Vec skip-gram (torch) to the first equal-work row (about 5 minutes)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, p, q, extra = args.child[0], float(args.child[1]), float(args.child[2]), int(args.child[3])
        if kind == "large":
            result = run_large(int(args.child[3]), int(args.child[4]), p, q)
        elif kind == "reference":
            result = run_reference(p, q, extra, int(args.child[4]))
        elif kind == "pyg":
            result = run_pyg(p, q, extra)
        else:
            result = run_gnnlab(p, q, extra, int(args.child[4]), float(args.child[5]), [int(b) for b in args.child[6:]])
        print(json.dumps(result))
        return

    print(f"Cora, {HYPER}, 5 negatives per pair, one epoch, seed {args.seed}; gnnlab 2 threads, the package "
          "and gensim 2 workers\n")
    print("| p, q | setting | side | walks (s) | whole fit (s) | pairs trained | peak MiB | test accuracy | "
          "fit ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for index, (p, q) in enumerate(args.pq or [(1.0, 1.0), (4.0, 0.25)]):
        theirs = _child("reference", str(p), str(q), str(args.seed), str(args.seeds))
        target = theirs["equal accuracy"]["accuracy"]
        ours = _child("gnnlab", str(p), str(q), str(args.seed), str(args.seeds), str(target), *map(str, args.budgets))
        if args.pyg and index == 0:
            pyg, mine = _child("pyg", str(p), str(q), str(args.seed)), ours["equal work"]
            print(f"| {p:g}, {q:g} | equal work | PyG Node2Vec (torch) | {pyg['walk_s']:.2f} | {pyg['fit_s']:.2f} | "
                  f"{pyg['pairs'] / 1e6:.1f} M | {pyg['peak_mib']:.0f} | {pyg['accuracy']:.3f} | "
                  f"{pyg['fit_s'] / mine['fit_s']:.1f}x |", flush=True)
        label = {"equal work": "equal work", "equal accuracy": f"equal accuracy ({args.seeds} seeds)"}
        for setting in ("equal work", "equal accuracy"):
            mine, ref = ours[setting], theirs[setting]
            ref_pairs = "same as gnnlab's" if setting == "equal work" else "all, less downsampled nodes'"
            print(f"| {p:g}, {q:g} | {label[setting]} | node2vec + gensim | {ref['walk_s']:.2f} | {ref['fit_s']:.2f} | "
                  f"{ref_pairs} | {ref['peak_mib']:.0f} | {_accuracy(ref)} | |")
            reached = "" if setting == "equal work" else (" (reached)" if mine["accuracy"] >= ref["accuracy"]
                                                          else " (NOT reached)")
            budget = "" if setting == "equal work" else f" ({mine['pairs_per_node']} per node)"
            print(f"| {p:g}, {q:g} | {label[setting]} | gnnlab | {mine['walk_s']:.2f} | {mine['fit_s']:.2f} | "
                  f"{mine['pairs'] / 1e6:.1f} M{budget} | {mine['peak_mib']:.0f} | {_accuracy(mine)}{reached} | "
                  f"{ref['fit_s'] / mine['fit_s']:.2f}x |", flush=True)
    if args.large_nodes > 0:
        large = _child("large", "1", "1", str(args.large_nodes), str(args.large_edges))
        print(f"\nwalks on {args.large_nodes:,} nodes / {args.large_edges:,} edges (1 walk x 80 per node, p = q = 1): "
              f"{large['walk_s']:.1f} s, {large['steps_per_s'] / 1e6:.1f} M steps/s, peak +{large['peak_mib']:.0f} MiB "
              f"over a {large['baseline_mib']:.0f} MiB process")
    print(f"\n(os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
