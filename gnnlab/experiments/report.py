"""Tables and plots of a comparison: mean ± std per method and dataset beside the published figures."""
from __future__ import annotations

import os
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from gnnlab.utils.io import atomic_write

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_NAMES = {"cora": "Cora", "citeseer": "CiteSeer"}


def load_published(path: str | os.PathLike) -> dict[str, Any]:
    if not Path(path).is_file():
        return {"sources": {}}
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def summarize(rows: list[dict[str, Any]], methods: list[str], datasets: list[str]) -> dict[tuple[str, str], tuple]:
    """``{(method, dataset): (mean, std, n)}`` of the accuracies (%)."""
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        scores[(row["method"], row["dataset"])].append(float(row["accuracy"]))
    out = {}
    for method in methods:
        for dataset in datasets:
            values = scores.get((method, dataset), [])
            if values:
                std = statistics.stdev(values) if len(values) > 1 else 0.0
                out[(method, dataset)] = (statistics.mean(values), std, len(values))
    return out


def markdown_table(summary: dict, methods: list[str], datasets: list[str], published: dict[str, Any],
                   split: str) -> str:
    """One row per method; for each dataset our mean ± std (seeds) and the published figure with its source."""
    header = ["method"]
    for dataset in datasets:
        header += [f"{_NAMES.get(dataset, dataset)} (ours)", f"{_NAMES.get(dataset, dataset)} (published)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    sources = published.get("sources", {})
    for method in methods:
        cells = [method]
        for dataset in datasets:
            if (method, dataset) in summary:
                mean, std, n = summary[(method, dataset)]
                cells.append(f"{mean:.1f} ± {std:.1f} ({n})")
            else:
                cells.append("—")
            entry = published.get(dataset, {}).get(method) if split == "public" else None
            cells.append(f"{entry['accuracy']:.1f} ({sources.get(entry['source'], entry['source'])})" if entry else "—")
        lines.append("| " + " | ".join(cells) + " |")
    note = (f"\nTest accuracy (%) on the {split} split, mean ± std over (n) seeds; published figures are for the "
            "public Planetoid split.")
    return "\n".join(lines) + "\n" + note + "\n"


def _save_figure(figure, path: Path) -> None:
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)


def plot_accuracy(summary: dict, methods: list[str], datasets: list[str], path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        present = [m for m in methods if (m, dataset) in summary]
        means = [summary[(m, dataset)][0] for m in present]
        stds = [summary[(m, dataset)][1] for m in present]
        ax.bar(present, means, yerr=stds, capsize=3, color="tab:blue", alpha=0.8)
        ax.set(title=_NAMES.get(dataset, dataset), ylabel="test accuracy (%)", ylim=(0, 100))
        ax.tick_params(axis="x", rotation=45)
        for i, mean in enumerate(means):
            ax.text(i, mean + 2, f"{mean:.1f}", ha="center", fontsize=8)
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)


def plot_curves(rows: list[dict[str, Any]], datasets: list[str], path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        for row in rows:
            if row["dataset"] == dataset and row["seed"] == 0 and row.get("val_curve"):
                ax.plot(row["val_curve"], label=row["method"])
        ax.set(title=f"{_NAMES.get(dataset, dataset)}: validation accuracy (seed 0)", xlabel="epoch",
               ylabel="validation accuracy")
        ax.legend(fontsize=8)
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)


def plot_tsne(folder: Path, labels: dict[str, np.ndarray], path: Path, split: str) -> None:
    """t-SNE (scikit-learn) of the saved DeepWalk, node2vec and GCN embeddings, coloured by class."""
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    panels = [(m, d) for d in labels for m in ("deepwalk", "node2vec", "gcn")
              if (folder / "embeddings" / f"{m}-{d}-{split}.npy").is_file()]
    if not panels:
        return
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
    for ax, (method, dataset) in zip(axes[0], panels):
        vectors = np.load(folder / "embeddings" / f"{method}-{dataset}-{split}.npy")
        points = TSNE(n_components=2, init="pca", random_state=0, perplexity=30).fit_transform(vectors)
        ax.scatter(points[:, 0], points[:, 1], c=labels[dataset], cmap="tab10", s=3)
        ax.set(title=f"{method} on {_NAMES.get(dataset, dataset)}", xticks=[], yticks=[])
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)
