"""Mini-batch GraphSAGE on synthetic graphs of growing size: time, throughput, peak memory, and a plot.

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--avg-degree 10] [--features 64] [--threads 2]

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

**Side by side with another checkout** (``--compare-with PATH``, e.g. a worktree of main:
``git worktree add /tmp/main-before main``)::

    python benchmarks/scale.py --compare-with /tmp/main-before [--sizes 100000 1000000] [--repeats 2]
                               [--accuracy-size 100000 --accuracy-epochs 10 --accuracy-seeds 0 1 2]
                               [--profile-size 100000] [--threads 2]

For each size, two long-lived worker processes, one importing ``gnnlab`` from ``PATH`` ("before") and one from
this checkout ("after"), each generate the same graph, then take turns (the order alternating every round, one
side idle while the other runs, so both meet the same machine): a sampler epoch, a training epoch (the sampler's
batches plus the model steps, as ``fit_node_classifier`` runs them), and the model steps alone on the same 20
pre-sampled batches. Figures are the fastest of ``--repeats`` rounds (the median beside it), each side's peak
resident memory and its growth during the training epoch (``--sizes 0``: no timings). ``--accuracy-size`` trains
GraphSAGE with ``fit_node_classifier`` on that graph, the same seeds on both sides (initial weights, shuffling,
sampling, dropout), and reports both sides' validation and test accuracy; ``--profile-size`` prints both sides'
``torch.profiler`` top operators over the model steps and the sampler. Written to ``results/scale/compare.json``.
On a machine shared with other jobs, ``--threads 1`` measures the work; with two threads every parallel operator
also waits at its barriers for a core.
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
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="graph sizes (default: 10k 100k 1M; with --compare-with: 100k 1M)")
    parser.add_argument("--avg-degree", type=float, default=10.0)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--reference-batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out-dir", default="results/scale")
    parser.add_argument("--compare-with", metavar="PATH",
                        help="a checkout of gnnlab (its root) to time side by side with this one")
    parser.add_argument("--repeats", type=int, default=2, help="rounds per side with --compare-with")
    parser.add_argument("--accuracy-size", type=int, default=100_000,
                        help="graph of the accuracy check with --compare-with (0: none)")
    parser.add_argument("--accuracy-epochs", type=int, default=10)
    parser.add_argument("--accuracy-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--profile-size", type=int, default=0,
                        help="print both sides' profiler top operators at this size (0: none)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    parser.add_argument("--serve", metavar="ROOT", help=argparse.SUPPRESS)  # internal: a --compare-with worker
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.threads)
        return
    if args.compare_with is not None:
        compare(args)
        return
    if args.one is not None:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(measure(args.one, args.avg_degree, args.features, args.reference_batches, args.seed)))
        return

    from gnnlab.utils.io import atomic_write

    results = []
    for size in args.sizes or [10_000, 100_000, 1_000_000]:
        command = [sys.executable, __file__, "--one", str(size), "--avg-degree", str(args.avg_degree),
                   "--features", str(args.features), "--reference-batches", str(args.reference_batches),
                   "--seed", str(args.seed), "--threads", str(args.threads)]
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


# -- side by side with another checkout -------------------------------------------------------------------------
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this checkout's root


def serve(root: str, threads: int) -> None:
    """A --compare-with worker: gnnlab imported from ``root``; one JSON command per line on stdin, one JSON
    reply per line on the original stdout (anything else printed goes to stderr)."""
    sys.path.insert(0, os.path.abspath(root))
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import torch

    import gnnlab

    torch.set_num_threads(threads)
    worker = _Worker()
    replies.write(json.dumps({"gnnlab": os.path.dirname(gnnlab.__file__)}) + "\n")
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            break
        replies.write(json.dumps(getattr(worker, command["op"])(**command.get("args", {}))) + "\n")


class _Worker:
    """What each side of --compare-with runs, on its own gnnlab."""

    def graph(self, num_nodes: int, avg_degree: float, num_features: int, seed: int) -> dict:
        import torch

        from gnnlab.data import synthetic_graph

        torch.manual_seed(seed)
        start = time.perf_counter()
        self.data = synthetic_graph(num_nodes, num_classes=10, avg_degree=avg_degree, num_features=num_features,
                                    seed=seed)
        self.seed, self.num_features = seed, num_features
        self.fixed = None
        return {"generate_s": time.perf_counter() - start, "num_edges": self.data.num_edges,
                "num_seeds": int(self.data.train_mask.sum())}

    def _loader(self):
        from gnnlab.data import NeighborLoader

        return NeighborLoader(self.data, [25, 10], batch_size=1024, shuffle=True, input_nodes=self.data.train_mask,
                              seed=self.seed)

    def _model(self):
        import torch

        from gnnlab.nn import GraphSAGE

        torch.manual_seed(self.seed)
        model = GraphSAGE(self.num_features, 10, hidden_channels=64, dropout=0.5)
        return model, torch.optim.Adam(model.parameters(), lr=0.01)

    @staticmethod
    def _step(model, optimizer, batch) -> None:
        import torch.nn.functional as F

        optimizer.zero_grad(set_to_none=True)
        size = batch.batch_size
        F.cross_entropy(model(batch.x, batch.edge_index, **hops(batch))[:size], batch.y[:size]).backward()
        optimizer.step()

    def sampler(self) -> dict:
        loader = self._loader()  # its CSR is built outside the timing, as the sweep's "sampler alone"
        start = time.perf_counter()
        batches = edges = 0
        for batch in loader:
            batches += 1
            edges += batch.num_edges
        return {"seconds": time.perf_counter() - start, "batches": batches, "sampled_edges": edges}

    def train(self) -> dict:
        import torch

        model, optimizer = self._model()
        model.train()
        with PeakMemory() as peak:
            start = time.perf_counter()
            for batch in self._loader():  # building the loader included, as in the sweep's training epoch
                self._step(model, optimizer, batch)
            seconds = time.perf_counter() - start
        checksum = float(sum(p.detach().double().abs().sum() for p in model.parameters()))
        return {"seconds": seconds, "growth_mib": peak.mib, "process_peak_mib": _status("VmHWM") / 2**20,
                "weights_checksum": checksum, "threads": torch.get_num_threads()}

    def _fixed(self, count: int) -> list:
        if self.fixed is None or len(self.fixed) != count:
            self.fixed = []
            for batch in self._loader():
                self.fixed.append(batch)
                if len(self.fixed) == count:
                    break
        return self.fixed

    def steps(self, count: int) -> dict:
        batches = self._fixed(count)
        model, optimizer = self._model()
        model.train()
        for batch in batches[:3]:  # warm-up
            self._step(model, optimizer, batch)
        start = time.perf_counter()
        for batch in batches:
            self._step(model, optimizer, batch)
        return {"seconds_per_step": (time.perf_counter() - start) / len(batches)}

    def accuracy(self, epochs: int, seed: int) -> dict:
        import torch

        from gnnlab.nn import GraphSAGE
        from gnnlab.train import fit_node_classifier

        torch.manual_seed(seed)
        model = GraphSAGE(self.num_features, 10)
        history = fit_node_classifier(model, self.data, batch_size=1024, num_neighbors=[25, 10], epochs=epochs,
                                      seed=seed, device="cpu", verbose=False)
        return {key: history[key] for key in ("best_epoch", "best_val_acc", "best_test_acc", "final_test_acc")} | {
            "val_acc": history["val_acc"], "train_loss": history["train_loss"]}

    def profile(self, count: int, rows: int) -> dict:
        from torch.profiler import ProfilerActivity, profile

        batches = self._fixed(count)
        model, optimizer = self._model()
        model.train()
        for batch in batches[:3]:
            self._step(model, optimizer, batch)
        tables = {}
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for batch in batches:
                self._step(model, optimizer, batch)
        tables["model steps"] = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)
        loader = self._loader()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for i, _ in enumerate(loader):
                if i + 1 == count:
                    break
        tables["sampler"] = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)
        return tables


class _Side:
    """One side of --compare-with: a worker process importing gnnlab from ``root``."""

    def __init__(self, name: str, root: str, threads: int) -> None:
        self.name = name
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", root, "--threads",
                                         str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        cwd=os.path.abspath(root))
        self.gnnlab = self._reply()["gnnlab"]

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the '{self.name}' worker exited (exit status {self.process.wait()})")
        return json.loads(line)

    def __call__(self, op: str, **args) -> dict:
        self.process.stdin.write(json.dumps({"op": op, "args": args}) + "\n")
        self.process.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.process.stdin.close()
            self.process.wait()


def _summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"min": ordered[0], "median": ordered[len(ordered) // 2], "all": values}


def compare(args) -> None:
    from gnnlab.utils.io import atomic_write

    report: dict = {"before": os.path.abspath(args.compare_with), "after": HERE, "threads": args.threads,
                    "load_average_at_start": os.getloadavg(), "sizes": []}
    sizes = [size for size in (args.sizes or [100_000, 1_000_000]) if size > 0]  # --sizes 0: accuracy alone
    wanted = sorted(set(sizes) | {size for size in (args.accuracy_size, args.profile_size) if size})
    for size in wanted:
        sides = [_Side("before", args.compare_with, args.threads), _Side("after", HERE, args.threads)]
        try:
            entry = {"num_nodes": size, "gnnlab": {side.name: side.gnnlab for side in sides}}
            for side in sides:
                entry[f"graph_{side.name}"] = side("graph", num_nodes=size, avg_degree=args.avg_degree,
                                                   num_features=args.features, seed=args.seed)
            if size in sizes:
                entry.update(_timed_rounds(sides, args.repeats, args.reference_batches))
                _print_timings(entry)
            if size == args.profile_size:
                for side in sides:
                    tables = side("profile", count=args.reference_batches, rows=15)
                    for what, table in tables.items():
                        print(f"\n== {side.name}: {what}, {args.reference_batches} batches at {size:,} nodes ==\n"
                              f"{table}", flush=True)
                    entry[f"profile_{side.name}"] = tables
            if size == args.accuracy_size:
                entry["accuracy"] = {side.name: [side("accuracy", epochs=args.accuracy_epochs, seed=seed)
                                                 for seed in args.accuracy_seeds] for side in sides}
                for name, runs in entry["accuracy"].items():
                    for seed, run in zip(args.accuracy_seeds, runs):
                        print(f"accuracy at {size:,} nodes, {name:6s} seed {seed}: best val {run['best_val_acc']:.4f} "
                              f"(epoch {run['best_epoch']}), test there {run['best_test_acc']:.4f}, test at the end "
                              f"{run['final_test_acc']:.4f}", flush=True)
        finally:
            for side in sides:
                side.close()
        report["sizes"].append(entry)
    report["load_average_at_end"] = os.getloadavg()
    os.makedirs(args.out_dir, exist_ok=True)
    with atomic_write(os.path.join(args.out_dir, "compare.json")) as handle:
        json.dump(report, handle, indent=1)
    print(f"written {args.out_dir}/compare.json")


def _timed_rounds(sides: list, repeats: int, num_batches: int) -> dict:
    """Each round: sampler epoch, training epoch and model steps on each side in turn, the first side
    alternating from round to round."""
    runs = {side.name: {"sampler": [], "train": [], "steps": []} for side in sides}
    for round_ in range(repeats):
        for side in (sides if round_ % 2 == 0 else sides[::-1]):
            runs[side.name]["sampler"].append(side("sampler"))
            runs[side.name]["train"].append(side("train"))
            runs[side.name]["steps"].append(side("steps", count=num_batches))
    out = {}
    for name, run in runs.items():
        out[name] = {"sampler_epoch_s": _summary([r["seconds"] for r in run["sampler"]]),
                     "train_epoch_s": _summary([r["seconds"] for r in run["train"]]),
                     "model_step_s": _summary([r["seconds_per_step"] for r in run["steps"]]),
                     "train_growth_mib": max(r["growth_mib"] for r in run["train"]),
                     "process_peak_mib": max(r["process_peak_mib"] for r in run["train"]),
                     "batches": run["sampler"][0]["batches"],
                     "weights_checksum": run["train"][0]["weights_checksum"]}
    return out


def _print_timings(entry: dict) -> None:
    before, after = entry["before"], entry["after"]
    print(f"{entry['num_nodes']:>9,} nodes, {before['batches']} batches per epoch (fastest of the rounds; median)")
    for key, label in (("train_epoch_s", "training epoch, s"), ("sampler_epoch_s", "sampler alone, s"),
                       ("model_step_s", "model step, s")):
        b, a = before[key], after[key]
        print(f"  {label:20s} before {b['min']:8.3f} ({b['median']:8.3f})  after {a['min']:8.3f} ({a['median']:8.3f})"
              f"  after/before {a['min'] / b['min']:.2f}x", flush=True)
    for key, label in (("process_peak_mib", "process peak, MiB"), ("train_growth_mib", "epoch growth, MiB")):
        print(f"  {label:20s} before {before[key]:8,.0f}  after {after[key]:8,.0f}")


if __name__ == "__main__":
    main()
