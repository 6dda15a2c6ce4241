"""gnnlab's DeepWalk/node2vec against the `node2vec` package + gensim: the same pairs, and equal accuracy, same run.

    pip install gensim && pip install --no-deps node2vec   # the reference; not a gnnlab dependency (node2vec
                                                          # 0.5.0's metadata pins numpy<2; it runs on numpy 2)
    python benchmarks/embedding.py [--pq 1 1 --pq 4 0.25] [--seeds 3] [--large-nodes 1000000] [--pyg]
    python benchmarks/embedding.py --pq 1 1 --seeds 1 --budgets 100 --walks-per-node 2 --large-nodes 0  # quick check

On Cora, 128 dimensions, 10 walks of 80 per node, window 10, 5 negatives per pair, one epoch, two settings per
(p, q), each fit (walks + skip-gram) in a fresh subprocess of its own. Every row gives the fit's time, the
pairs and negatives it trained, as counted by the fit itself, its peak memory and the test accuracy of a
logistic regression on the public split.

* **all window pairs**: both sides train every (centre, context) pair of their walks within word2vec's
  reduced window (a window b ~ U{1..10} drawn per position), once: gnnlab ``pairs_per_node=None``, gensim
  ``sample=0`` (no frequent-node downsampling). Each pair is scored against its positive and 5 negatives on
  both sides (6 dot products and 6 gradient terms a pair). What differs, and the output says so with the
  counts: gensim draws 5 fresh negatives for every pair and applies each pair's update before the next (2
  Hogwild threads); gnnlab draws 5 negatives per walk position, shared by every pair of that position's window
  (10.4 pairs on average on Cora), and sums the updates of a batch of about 8,192 pairs, all computed from the
  parameters before the batch. So gnnlab draws about 10 times fewer negatives, correlated within a window: the
  same number of scored pairs, not the same random work.
* **equal accuracy**: the package in its best configuration (workers=2, gensim's defaults, frequent-node
  downsampling ``sample=1e-3`` included, which trains fewer pairs) against gnnlab with the fewest training
  pairs that reach the package's accuracy: ``pairs_per_node`` in --budgets (default 100, 200, 400, 1000; pairs
  drawn from the window pairs' own distribution, 64 pairs sharing a draw of 5 negatives), tried from the
  smallest; both sides averaged over --seeds seeds (a single run's accuracy moves by about 2 points from seed
  to seed, and gensim with 2 workers does not repeat itself even on one seed). The row shows the first budget
  that reaches the package's mean accuracy (or the largest, marked NOT reached).

Counts: gnnlab's pairs and negatives are counted by ``train_skipgram`` as it trains (its ``stats``); gensim
counts only the words it trained (``Word2Vec.train``'s effective words), not pairs, so its pair count is the
expectation of every window pair over its walks' lengths (printed with "~"), and "all, less downsampled
nodes'" where it downsamples. gnnlab's fit is the one ``Node2Vec.fit`` runs (``random_walks`` then
``train_skipgram`` with the estimator's defaults and seeds), called directly so that the counts come back.

Time and memory are measured over the same phases on both sides, walks and skip-gram: the package's
``Node2Vec(...)`` constructor (transition tables and walks; pure Python and numpy, 2 joblib worker processes)
then what its ``fit`` runs (gensim's ``Word2Vec``: vocabulary and training, C, 2 threads); gnnlab's
``random_walks`` and ``train_skipgram`` (torch, 2 threads). Peak memory is the growth of the process's
resident high-water mark over what it held after loading the graph (``_memory.PeakMemory``); for the package
the peak resident sets of its joblib worker processes (whole processes, started for the walks) are added and
shown apart. Ratios are reference / gnnlab.

``--pyg`` adds, for the first (p, q), the PyTorch reference to the all-pairs row: PyG's ``Node2Vec`` skip-gram
(its ``pos_sample``/``neg_sample`` windows and ``loss``, SparseAdam at lr 0.01 with 128 start nodes per batch,
as in PyG's example) for one epoch on gnnlab's walks, ``context_size`` = window + 1: every walk position paired
with the next ``window`` nodes (no reduced window, so 19.0 M pairs on Cora rather than 22.6 M), 5 fresh
negatives per pair drawn uniformly over the nodes. PyG draws its walks with pyg-lib, which is not installable
here, so the model is built around gnnlab's walks (timed into its fit); the skip-gram is PyG's own code.

Then walks alone on a random graph of --large-nodes nodes and --large-edges directed edges (one walk of 80
steps per node, gnnlab only).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HYPER = dict(dimensions=128, walk_length=80, walks_per_node=10, window_size=10)
NEGATIVE = 5
DOWNSAMPLE = 1e-3  # gensim's default ``sample``


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _memory import PeakMemory  # noqa: E402


def expected_window_pairs(lengths: list[int], window: int) -> float:
    """The expected number of word2vec window pairs of walks of these lengths: a position ``i`` of a walk of
    length ``L`` with reduced window ``b ~ U{1..window}`` pairs with ``min(b, i) + min(b, L - 1 - i)`` nodes."""
    from collections import Counter

    total = 0.0
    for length, count in Counter(lengths).items():
        per_walk = sum(min(b, i) + min(b, length - 1 - i) for i in range(length) for b in range(1, window + 1))
        total += count * per_walk / window
    return total


def _children_peak_mib() -> tuple[int, float]:
    """The child processes alive now (the package's joblib workers) and the sum of their peak resident sets."""
    try:
        import psutil
    except ImportError:
        return 0, float("nan")
    count, total = 0, 0
    for child in psutil.Process().children(recursive=True):
        try:
            with open(f"/proc/{child.pid}/status") as handle:
                peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            continue
        count, total = count + 1, total + peak * 1024
    return count, total / 2**20


def fit_reference(p: float, q: float, seed: int, sample: float) -> dict:
    import networkx as nx
    import numpy as np
    from gensim.models import Word2Vec
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
        walk_s = time.perf_counter() - start
        # what walker.fit(...) runs, Word2Vec(walks, **params), which is build_vocab then train; train's
        # counts are kept
        model = Word2Vec(vector_size=HYPER["dimensions"], window=HYPER["window_size"], min_count=1, sg=1, hs=0,
                         negative=NEGATIVE, sample=sample, workers=2, seed=seed, epochs=1)
        model.build_vocab(walker.walks)
        words, raw_words = model.train(walker.walks, total_examples=model.corpus_count,
                                       total_words=model.corpus_total_words, epochs=1)
        fit_s = time.perf_counter() - start
    processes, workers_mib = _children_peak_mib()
    embedding = np.stack([model.wv[str(i)] for i in range(data.num_nodes)])
    pairs = expected_window_pairs([len(walk) for walk in walker.walks], HYPER["window_size"]) if sample == 0 else None
    return {"walk_s": walk_s, "fit_s": fit_s, "peak_mib": peak.mib, "workers": processes, "workers_mib": workers_mib,
            "words": words, "raw_words": raw_words, "expected_pairs": pairs,
            "accuracy": evaluate_embedding(embedding, data)}


def fit_gnnlab(p: float, q: float, seed: int, pairs_per_node: int | None) -> dict:
    import torch

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import Node2Vec, evaluate_embedding, random_walks, train_skipgram

    torch.set_num_threads(2)
    data = load_planetoid("cora")
    estimator = Node2Vec(**HYPER, p=p, q=q, negative=NEGATIVE, pairs_per_node=pairs_per_node, seed=seed,
                         verbose=False, device="cpu")
    stats: dict = {}
    with PeakMemory() as peak:
        # Node2Vec.fit's own calls (gnnlab/embedding/_estimator.py), with the skip-gram's counts kept
        start = time.perf_counter()
        walks = random_walks(data.edge_index, data.num_nodes, walk_length=estimator.walk_length,
                             walks_per_node=estimator.walks_per_node, p=p, q=q, seed=seed, device="cpu")
        walk_s = time.perf_counter() - start
        inputs, _ = train_skipgram(walks, data.num_nodes, dimensions=estimator.dimensions,
                                   window_size=estimator.window_size, negative=estimator.negative,
                                   epochs=estimator.epochs, learning_rate=estimator.learning_rate,
                                   batch_size=estimator.batch_size,
                                   max_pairs=None if pairs_per_node is None else pairs_per_node * data.num_nodes,
                                   objective=estimator.objective, seed=seed + 1, stats=stats)
        fit_s = time.perf_counter() - start
    return {"walk_s": walk_s, "fit_s": fit_s, "peak_mib": peak.mib, "pairs": stats["pairs"],
            "negatives": stats["negatives_drawn"], "pairs_per_node": pairs_per_node,
            "expected_pairs": expected_window_pairs([HYPER["walk_length"]] * walks.size(0), HYPER["window_size"])
            if pairs_per_node is None and bool((walks >= 0).all()) else None,
            "accuracy": evaluate_embedding(inputs.numpy(), data)}


def fit_pyg(p: float, q: float, seed: int) -> dict:
    import torch
    from torch_geometric.nn.models.node2vec import Node2Vec as PyGNode2Vec

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import evaluate_embedding, random_walks

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    data = load_planetoid("cora")
    n, per_node = data.num_nodes, HYPER["walks_per_node"]
    pairs = negatives = 0
    with PeakMemory() as peak:
        start = time.perf_counter()
        walks = random_walks(data.edge_index, n, walk_length=HYPER["walk_length"], walks_per_node=per_node, p=p, q=q,
                             seed=seed).view(per_node, n, -1)  # walk k * n + v starts at node v
        walk_s = time.perf_counter() - start
        # PyG's constructor insists on pyg-lib for its walks; everything after the walks is PyG's code.
        model = PyGNode2Vec.__new__(PyGNode2Vec)
        torch.nn.Module.__init__(model)
        model.num_nodes, model.embedding_dim, model.EPS, model.p, model.q = n, HYPER["dimensions"], 1e-15, p, q
        model.walk_length, model.context_size = HYPER["walk_length"] - 1, HYPER["window_size"] + 1
        model.walks_per_node, model.num_negative_samples = per_node, NEGATIVE
        model.rowptr = model.col = None
        model.random_walk_fn = lambda rowptr, col, batch, *args: walks[
            torch.arange(per_node).repeat_interleave(batch.numel() // per_node), batch]
        model.embedding = torch.nn.Embedding(n, HYPER["dimensions"], sparse=True)
        optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.01)
        for positive, negative in model.loader(batch_size=128, shuffle=True):
            optimizer.zero_grad()
            model.loss(positive, negative).backward()
            optimizer.step()
            pairs += positive.size(0) * (positive.size(1) - 1)
            negatives += negative.size(0) * (negative.size(1) - 1)
        fit_s = time.perf_counter() - start
    return {"walk_s": walk_s, "fit_s": fit_s, "peak_mib": peak.mib, "pairs": pairs, "negatives": negatives,
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


def _mean(runs: list[dict]) -> dict:
    """Mean time and accuracy over seeds, the largest peak, each seed's accuracy, the first run's counts."""
    mean = {key: sum(r[key] for r in runs) / len(runs) for key in ("walk_s", "fit_s", "accuracy")}
    return {**runs[0], **mean, "peak_mib": max(r["peak_mib"] for r in runs),
            "workers_mib": max(r.get("workers_mib", 0.0) for r in runs), "accuracies": [r["accuracy"] for r in runs]}


def _child(*args: str) -> dict:
    """One fit in a fresh interpreter, so that no earlier work in the process shapes its time or memory."""
    command = [sys.executable, "-W", "ignore", __file__, "--walks-per-node", str(HYPER["walks_per_node"]), "--child",
               *args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _accuracy(result: dict) -> str:
    """The accuracy, and with several seeds each seed's after their mean."""
    each = result.get("accuracies", [])
    return f"{result['accuracy']:.3f}" + (f" ({' / '.join(f'{a:.3f}' for a in each)})" if len(each) > 1 else "")


def _millions(count: float | None) -> str:
    return "—" if count is None else f"{count / 1e6:.1f} M" if count >= 1e6 else f"{count / 1e6:.3f} M"


def _memory(result: dict) -> str:
    text = f"{result['peak_mib']:.0f}"
    if result.get("workers"):
        text = (f"{result['peak_mib'] + result['workers_mib']:.0f} ({result['peak_mib']:.0f} + its "
                f"{result['workers']} joblib processes' {result['workers_mib']:.0f})")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pq", type=float, nargs=2, action="append", metavar=("P", "Q"),
                        help="(p, q) pairs to run (default: 1 1 and 4 0.25)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds (from --seed) averaged on both sides in the equal-accuracy rows")
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 200, 400, 1000],
                        help="gnnlab's pairs_per_node tried, smallest first, for the equal-accuracy row")
    parser.add_argument("--large-nodes", type=int, default=1_000_000, help="0 skips the large graph")
    parser.add_argument("--large-edges", type=int, default=10_000_000)
    parser.add_argument("--pyg", action="store_true",
                        help="add PyG's Node2Vec skip-gram (torch) to the first all-pairs row (about 5 minutes)")
    parser.add_argument("--walks-per-node", type=int, default=HYPER["walks_per_node"],
                        help="walks from every node (10; fewer for a quick check of the script)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    HYPER["walks_per_node"] = args.walks_per_node
    if args.child:
        kind, p, q = args.child[0], float(args.child[1]), float(args.child[2])
        if kind == "large":
            result = run_large(int(args.child[3]), int(args.child[4]), p, q)
        elif kind == "reference":
            result = fit_reference(p, q, int(args.child[3]), float(args.child[4]))
        elif kind == "pyg":
            result = fit_pyg(p, q, int(args.child[3]))
        else:
            budget = None if args.child[4] == "all" else int(args.child[4])
            result = fit_gnnlab(p, q, int(args.child[3]), budget)
        print(json.dumps(result))
        return

    seeds = [str(s) for s in range(args.seed, args.seed + args.seeds)]
    print(f"Cora, {HYPER}, {NEGATIVE} negatives per pair, one epoch; all-pairs rows seed {args.seed}, "
          f"equal-accuracy rows seeds {', '.join(seeds)}; gnnlab 2 threads, the package and gensim 2 workers; "
          "each fit in its own subprocess\n")
    print("| p, q | setting | side | walks (s) | whole fit (s) | pairs trained | negatives drawn | peak MiB | "
          "test accuracy | fit ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for index, (p, q) in enumerate(args.pq or [(1.0, 1.0), (4.0, 0.25)]):
        pq = (f"{p:g}", f"{q:g}")
        ref_all = _child("reference", *pq, str(args.seed), "0")
        ref_acc = _mean([_child("reference", *pq, seed, str(DOWNSAMPLE)) for seed in seeds])
        ours_all = _child("gnnlab", *pq, str(args.seed), "all")
        for budget in sorted(args.budgets):
            ours_acc = _mean([_child("gnnlab", *pq, seed, str(budget)) for seed in seeds])
            if ours_acc["accuracy"] >= ref_acc["accuracy"]:
                break
        head = f"| {p:g}, {q:g} | all window pairs"
        if args.pyg and index == 0:
            pyg = _child("pyg", *pq, str(args.seed))
            print(f"{head} | PyG Node2Vec (torch) | {pyg['walk_s']:.2f} | {pyg['fit_s']:.2f} | "
                  f"{_millions(pyg['pairs'])} | {_millions(pyg['negatives'])} (5 per pair, uniform) | "
                  f"{pyg['peak_mib']:.0f} | {pyg['accuracy']:.3f} | {pyg['fit_s'] / ours_all['fit_s']:.1f}x |")
        print(f"{head} | node2vec + gensim | {ref_all['walk_s']:.2f} | {ref_all['fit_s']:.2f} | "
              f"~{_millions(ref_all['expected_pairs'])} (expected) | ~{_millions(5 * ref_all['expected_pairs'])} "
              f"(5 per pair) | {_memory(ref_all)} | {_accuracy(ref_all)} | |")
        per_position = ours_all["pairs"] / (ours_all["negatives"] / NEGATIVE)
        print(f"{head} | gnnlab | {ours_all['walk_s']:.2f} | {ours_all['fit_s']:.2f} | "
              f"{_millions(ours_all['pairs'])} | {_millions(ours_all['negatives'])} (5 per position, "
              f"{per_position:.1f} pairs share them) | "
              f"{_memory(ours_all)} | {_accuracy(ours_all)} | {ref_all['fit_s'] / ours_all['fit_s']:.2f}x |")
        head = f"| {p:g}, {q:g} | equal accuracy ({args.seeds} seed{'s' if args.seeds > 1 else ''})"
        print(f"{head} | node2vec + gensim | {ref_acc['walk_s']:.2f} | {ref_acc['fit_s']:.2f} | "
              f"all, less downsampled nodes' ({ref_acc['words'] / 1e6:.2f} M of {ref_acc['raw_words'] / 1e6:.2f} M "
              f"words kept) | 5 per pair | "
              f"{_memory(ref_acc)} | {_accuracy(ref_acc)} | |")
        reached = " (reached)" if ours_acc["accuracy"] >= ref_acc["accuracy"] else " (NOT reached)"
        print(f"{head} | gnnlab | {ours_acc['walk_s']:.2f} | {ours_acc['fit_s']:.2f} | {_millions(ours_acc['pairs'])} "
              f"({ours_acc['pairs_per_node']} per node) | {_millions(ours_acc['negatives'])} (5 per 64 pairs) | "
              f"{_memory(ours_acc)} | {_accuracy(ours_acc)}{reached} | {ref_acc['fit_s'] / ours_acc['fit_s']:.2f}x |",
              flush=True)
        notes.append(f"p = {p:g}, q = {q:g}: gensim trained {ref_all['words'] / 1e6:.2f} M words (its count), every "
                     f"window pair of its walks, ~{_millions(ref_all['expected_pairs'])} expected; gnnlab counted "
                     f"{ours_all['pairs']:,} pairs (expected {_millions(ours_all['expected_pairs'])}) and "
                     f"{ours_all['negatives']:,} negatives, against gensim's "
                     f"~{5 * ref_all['expected_pairs'] / 1e6:.0f} M "
                     f"({5 * ref_all['expected_pairs'] / ours_all['negatives']:.1f}x as many draws)")
    print("\nAll window pairs: the same pairs, each scored against its positive and 5 negatives on both sides; "
          "gensim draws 5 fresh negatives for every pair and updates pair by pair (2 Hogwild threads), gnnlab draws "
          "5 per walk position, shared by the pairs of its window, and sums each batch's updates.")
    for note in notes:
        print("  " + note)
    print("Peak MiB: growth of the resident high-water mark over the fit (walks + skip-gram) in a fresh process; for "
          "the package plus the peak resident sets of its joblib walk processes (whole processes).")
    if args.large_nodes > 0:
        large = _child("large", "1", "1", str(args.large_nodes), str(args.large_edges))
        print(f"\nwalks on {args.large_nodes:,} nodes / {args.large_edges:,} edges (1 walk x 80 per node, p = q = 1): "
              f"{large['walk_s']:.1f} s, {large['steps_per_s'] / 1e6:.1f} M steps/s, peak +{large['peak_mib']:.0f} MiB "
              f"over a {large['baseline_mib']:.0f} MiB process")
    print(f"\n(os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
