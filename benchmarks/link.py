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
  the paper's encoder (GCN 32 -> 16, no dropout) on the raw binary features, on both sides from the same
  weights. Neither side precomputes anything across epochs but its layers' caches: each call derives the
  positive pairs (the undirected training edges, once each) from the training ``edge_index``, gnnlab inside its
  loss (``torch.unique`` of min/max keys), PyG by the same reduction with ``torch_geometric.utils.coalesce``
  (PyG's example takes them precomputed from ``RandomLinkSplit``; here both pay for them every epoch).

  - gnnlab: ``GAE.with_gcn`` on sparse features (``sparse_features``, as ``fit_link_predictor`` passes
    Planetoid's bag of words), its normalised adjacency cached after the first call.
  - PyG default: ``torch_geometric.nn.GAE`` with two ``GCNConv`` as PyG's ``examples/autoencoder.py`` builds
    them (``cached=False``: it renormalises every call), the dense feature matrix, ``edge_index``.
  - PyG best: the fastest in this run of PyG's own options, as ``benchmarks/gnn.py`` tries them:
    ``GCNConv(cached=True)``, the features dense or as the same sparse matrix gnnlab gets (a ``torch.sparse``
    COO or CSR tensor, which PyG's ``Linear`` takes as is), the graph as ``edge_index`` or as a sparse
    ``adj_t``. The table names the winner; ``--json`` keeps every candidate's times.

  The losses: each side's default first, which is not the same work: gnnlab's is the paper's (weighted BCE
  over all N^2 pairs, ``recon="adjacency"``, scored in row blocks of the upper triangle; the script prints how
  many entries that is), PyG's ``recon_loss`` is BCE on the E training edges and E non-edges drawn by
  ``negative_sampling`` every call. Then the same loss on both sides, PyG's: gnnlab's ``recon="sampled"`` (BCE
  on the training edges once each and as many non-edges from ``gnnlab.utils.negative_sampling``) against
  PyG's ``recon_loss``.
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
    """PyG's example encoder: GCNConv 32 -> ReLU -> GCNConv 16 (parameter names as gnnlab's ``GAE.with_gcn``)."""

    def __init__(self, in_channels: int, cached: bool) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.convs = torch.nn.ModuleList([GCNConv(in_channels, 32, cached=cached), GCNConv(32, 16, cached=cached)])

    def forward(self, x, edge_index):
        return self.convs[1](self.convs[0](x, edge_index).relu(), edge_index)


def pyg_positives(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """The undirected training edges once each, from ``edge_index``: gnnlab's loss's reduction, in PyG's terms."""
    from torch_geometric.utils import coalesce

    row, col = edge_index
    keep = row != col
    return coalesce(torch.stack([torch.minimum(row, col)[keep], torch.maximum(row, col)[keep]]), num_nodes=num_nodes)


def pyg_candidates(train) -> dict[str, tuple[bool, torch.Tensor, torch.Tensor]]:
    """``{label: (cached, x, graph)}``: PyG's example's configuration first, then the tuned ones."""
    from torch_geometric.utils import to_torch_csr_tensor

    from gnnlab.train import sparse_features

    dense, edge_index, n = train.x, train.edge_index, train.num_nodes
    sparse = sparse_features(dense, max_density=0.1)  # the matrix gnnlab gets, in torch.sparse layouts
    layouts = {"dense x": dense, "COO x": sparse.to_dense().to_sparse_coo(), "CSR x": sparse.to_dense().to_sparse_csr()}
    graphs = {"edge_index": edge_index, "adj_t": to_torch_csr_tensor(edge_index.flip(0), size=(n, n))}
    out = {"default": (False, dense, edge_index)}
    for layout, x in layouts.items():
        for graph_name, graph in graphs.items():
            out[f"{layout}, {graph_name}, cached"] = (True, x, graph)
    return out


def epoch_variants(train) -> dict[str, Callable[[int], object]]:
    from torch_geometric.nn import GAE as PyGGAE

    from gnnlab.nn import GAE
    from gnnlab.train import sparse_features

    x_sparse, edge_index, n = sparse_features(train.x, max_density=0.1), train.edge_index, train.num_nodes
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    state = GAE.with_gcn(train.num_features, 32, 16).state_dict()  # every variant starts from these weights

    def gnnlab_step(recon: str) -> Callable[[int], object]:
        model = GAE.with_gcn(train.num_features, 32, 16, recon=recon)
        model.load_state_dict(state)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

        def step(i: int) -> float:
            optimizer.zero_grad(set_to_none=True)
            loss = model.loss(model.encode(x_sparse, edge_index), edge_index, generator=generator)
            loss.backward()
            optimizer.step()
            return float(loss.detach())
        return step

    def pyg_step(cached: bool, x: torch.Tensor, graph: torch.Tensor) -> Callable[[int], object]:
        model = PyGGAE(PyGEncoder(train.num_features, cached))
        model.load_state_dict(state)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

        def step(i: int) -> float:
            optimizer.zero_grad(set_to_none=True)
            loss = model.recon_loss(model.encode(x, graph), pyg_positives(edge_index, n))
            loss.backward()
            optimizer.step()
            return float(loss.detach())
        return step

    variants = {"gnnlab GAE (paper's loss)": gnnlab_step("adjacency"),
                "gnnlab GAE (sampled loss)": gnnlab_step("sampled")}
    for label, (cached, x, graph) in pyg_candidates(train).items():
        variants[f"PyG {label}"] = pyg_step(cached, x, graph)
    return variants


def loss_entries(train) -> dict[str, int]:
    """How many node pairs each loss scores on this training graph."""
    from gnnlab.nn.models.gae import _row_blocks, _unique_pairs

    n = train.num_nodes
    positives = _unique_pairs(train.edge_index, n).size(1)
    return {"all pairs": n * n, "blocks": sum((stop - start) * (n - start) for start, stop in _row_blocks(n)),
            "sampled": 2 * positives, "positives": positives}


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
    print("| dataset | work | gnnlab median (ms) | PyG default median (ms) | PyG best median (ms) | PyG best "
          "configuration | gnnlab / PyG best | gnnlab / PyG default | fastest call: gnnlab / PyG best (ms) |"
          "\n|---|---|---|---|---|---|---|---|---|")
    record, counts = {}, {}
    for dataset in args.datasets:
        data = load_planetoid(dataset, normalize_features=False)
        split = interleaved(split_variants(data), args.repeats)
        train = link_split(data, val=0.05, test=0.10, seed=0)[0]
        epoch = interleaved(epoch_variants(train), args.repeats)
        times = {**split, **epoch}
        median = {name: statistics.median(values) for name, values in times.items()}
        fastest = {name: min(values) for name, values in times.items()}
        tuned = [name for name in epoch if name.startswith("PyG ") and name != "PyG default"]
        best = min(tuned, key=median.get)
        rows = [("85/5/10 split + val/test negatives", "gnnlab link_split", "PyG RandomLinkSplit",
                 "PyG RandomLinkSplit"),
                ("GAE epoch, each its default loss (not the same work)", "gnnlab GAE (paper's loss)", "PyG default",
                 best),
                ("GAE epoch, both PyG's sampled loss", "gnnlab GAE (sampled loss)", "PyG default", best)]
        for work, ours, default, theirs in rows:
            label = "—" if theirs == default else theirs.removeprefix("PyG ")
            print(f"| {DATASETS[dataset]} | {work} | {median[ours]:.2f} | {median[default]:.2f} | "
                  f"{median[theirs]:.2f} | {label} | {median[ours] / median[theirs]:.2f}x | "
                  f"{median[ours] / median[default]:.2f}x | {fastest[ours]:.2f} / {fastest[theirs]:.2f} = "
                  f"{fastest[ours] / fastest[theirs]:.2f}x |", flush=True)
        counts[dataset] = loss_entries(train)
        record[dataset] = {"median_ms": median, "calls_ms": times, "pyg_best": best, "loss_entries": counts[dataset]}
    for dataset, count in counts.items():
        print(f"\n{DATASETS[dataset]}, the training graph of seed 0: the paper's loss is over "
              f"N^2 = {count['all pairs']:,} pairs, of which gnnlab's row blocks compute {count['blocks']:,} "
              f"(the upper triangle, block by block; the backward pass computes them again); the sampled loss scores "
              f"{count['sampled']:,} ({count['positives']:,} positives and as many negatives): "
              f"{count['all pairs'] / count['sampled']:.0f}x and {count['blocks'] / count['sampled']:.0f}x "
              f"as many.")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"threads": args.threads, "repeats": args.repeats, "torch": torch.__version__, **record},
                      handle, indent=1)


if __name__ == "__main__":
    main()
