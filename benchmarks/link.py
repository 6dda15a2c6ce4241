"""Link prediction against PyG, in one run: the 85/5/10 edge split, and one training epoch of a graph auto-encoder.

    python benchmarks/link.py [--datasets cora] [--repeats 30] [--threads 1] [--json results/link.json]

Every row's variants run in one process, interleaved (repeat ``i`` of every variant, in an order that rotates
with ``i``) so that none gains from a warmer cache, allocator or CPU clock; after 3 warm-up calls each, the figure
is the median of ``--repeats`` timed calls (the fastest call is printed beside it: on a shared, loaded machine
the median also measures how often the process was preempted). Ratios are gnnlab / PyG: below 1 is faster.

What each side does:

- **split**: ``gnnlab.data.link_split(data, val=0.05, test=0.10, seed=i)``: the undirected edges as sorted keys,
  one shuffle, validation and test negatives drawn among the non-edges of the full graph (no self-loop, no
  repeat, disjoint between val and test), three ``Data`` sharing the training graph. PyG:
  ``RandomLinkSplit(num_val=0.05, num_test=0.1, is_undirected=True, add_negative_train_samples=False)(data)``
  under ``torch.manual_seed(i)``: the same fractions, negatives for validation and test by PyG's
  ``negative_sampling`` (which may repeat pairs and may draw a pair from the other split), three ``Data``.
- **GAE epoch**: zero_grad, encode, loss, backward, Adam step (lr 0.01) on the training graph of one gnnlab split,
  the paper's encoder (GCN 32 -> 16). gnnlab: ``GAE.with_gcn`` on sparse features (``sparse_features``, as
  ``fit_link_predictor`` passes Planetoid's bag of words), its normalised adjacency cached after the first call.
  PyG: ``torch_geometric.nn.GAE`` with two ``GCNConv(cached=True)`` on the dense features, as PyG's
  ``examples/autoencoder.py``. Each with its own default loss: gnnlab's is the paper's (weighted BCE over all
  N^2 pairs, ``recon="adjacency"``: every pair scored), PyG's ``recon_loss`` is BCE on the E training edges and
  E sampled non-edges (``negative_sampling`` every call). Then both with the same loss, PyG's: gnnlab's
  ``recon="sampled"`` (BCE on the training edges once each and as many non-edges from
  ``gnnlab.utils.negative_sampling``) against PyG's ``recon_loss``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch

WARMUP = 3
DATASETS = {"cora": "Cora", "citeseer": "CiteSeer"}


def interleaved(variants: dict[str, Callable[[int], object]], repeats: int) -> dict[str, list[float]]:
    """Milliseconds of each timed call of every variant (called with the repeat index), calls interleaved."""
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(WARMUP + repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            start = time.perf_counter()
            variants[name](i)
            elapsed = 1000 * (time.perf_counter() - start)
            if i >= WARMUP:
                times[name].append(elapsed)
    return times


def split_variants(data) -> dict[str, Callable[[int], object]]:
    from torch_geometric.transforms import RandomLinkSplit

    from gnnlab.data import link_split

    transform = RandomLinkSplit(num_val=0.05, num_test=0.1, is_undirected=True, add_negative_train_samples=False)

    def pyg(i: int):
        torch.manual_seed(i)
        return transform(data)

    return {"gnnlab link_split": lambda i: link_split(data, val=0.05, test=0.10, seed=i), "PyG RandomLinkSplit": pyg}


class PyGEncoder(torch.nn.Module):
    """PyG's example encoder: GCNConv(cached=True) 32 -> ReLU -> GCNConv(cached=True) 16."""

    def __init__(self, in_channels: int) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.conv1 = GCNConv(in_channels, 32, cached=True)
        self.conv2 = GCNConv(32, 16, cached=True)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def epoch_variants(train) -> dict[str, Callable[[int], object]]:
    from torch_geometric.nn import GAE as PyGGAE

    from gnnlab.nn import GAE
    from gnnlab.train import sparse_features

    x_sparse, edge_index, positives = sparse_features(train.x, max_density=0.1), train.edge_index, train.edge_label_index
    generator = torch.Generator().manual_seed(0)

    def gnnlab_step(recon: str) -> Callable[[int], object]:
        torch.manual_seed(0)
        model = GAE.with_gcn(train.num_features, 32, 16, recon=recon)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

        def step(i: int) -> float:
            optimizer.zero_grad(set_to_none=True)
            loss = model.loss(model.encode(x_sparse, edge_index), edge_index, generator=generator)
            loss.backward()
            optimizer.step()
            return float(loss.detach())
        return step

    def pyg_step() -> Callable[[int], object]:
        torch.manual_seed(0)
        model = PyGGAE(PyGEncoder(train.num_features))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

        def step(i: int) -> float:
            optimizer.zero_grad(set_to_none=True)
            loss = model.recon_loss(model.encode(train.x, edge_index), positives)
            loss.backward()
            optimizer.step()
            return float(loss.detach())
        return step

    return {"gnnlab GAE (paper's loss)": gnnlab_step("adjacency"), "gnnlab GAE (sampled loss)": gnnlab_step("sampled"),
            "PyG GAE (sampled loss)": pyg_step()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cora"], choices=list(DATASETS))
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None, help="write every timed call here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from gnnlab.data import link_split, load_planetoid

    print(f"torch {torch.__version__}, {args.threads} thread(s), CPU, median of {args.repeats} interleaved calls "
          f"after {WARMUP} warm-up calls each\n")
    print("| dataset | work | gnnlab median (ms) | PyG median (ms) | gnnlab / PyG | fastest call: gnnlab / PyG (ms) |"
          "\n|---|---|---|---|---|---|")
    record = {}
    for dataset in args.datasets:
        data = load_planetoid(dataset, normalize_features=False)
        split = interleaved(split_variants(data), args.repeats)
        train = link_split(data, val=0.05, test=0.10, seed=0)[0]
        epoch = interleaved(epoch_variants(train), args.repeats)
        median = {name: statistics.median(values) for name, values in {**split, **epoch}.items()}
        fastest = {name: min(values) for name, values in {**split, **epoch}.items()}
        rows = [("85/5/10 split + val/test negatives", "gnnlab link_split", "PyG RandomLinkSplit"),
                ("GAE epoch, each its default loss", "gnnlab GAE (paper's loss)", "PyG GAE (sampled loss)"),
                ("GAE epoch, both PyG's sampled loss", "gnnlab GAE (sampled loss)", "PyG GAE (sampled loss)")]
        for work, ours, theirs in rows:
            print(f"| {DATASETS[dataset]} | {work} | {median[ours]:.2f} | {median[theirs]:.2f} | "
                  f"{median[ours] / median[theirs]:.2f}x | {fastest[ours]:.2f} / {fastest[theirs]:.2f} = "
                  f"{fastest[ours] / fastest[theirs]:.2f}x |", flush=True)
        record[dataset] = {"median_ms": median, "calls_ms": {**split, **epoch}}
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"threads": args.threads, "repeats": args.repeats, "torch": torch.__version__, **record},
                      handle, indent=1)


if __name__ == "__main__":
    main()
