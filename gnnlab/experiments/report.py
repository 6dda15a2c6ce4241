"""Tables and plots of a comparison: mean ± std per method and dataset beside the published figures."""
from __future__ import annotations

import os
import statistics
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gnnlab.experiments.config import load_published
from gnnlab.utils.io import atomic_write


def summarize(rows: list[dict[str, Any]], methods: list[str], datasets: list[str],
              metric: str = "accuracy") -> dict[tuple[str, str], tuple[float, float, int]]:
    """``{(method, dataset): (mean, std, n)}`` of ``metric`` (%) over the rows (seeds)."""
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        scores[(row["method"], row["dataset"])].append(float(row[metric]))
    out = {}
    for method in methods:
        for dataset in datasets:
            values = scores.get((method, dataset), [])
            if values:
                std = statistics.stdev(values) if len(values) > 1 else 0.0
                out[(method, dataset)] = (statistics.mean(values), std, len(values))
    return out


def _cell(mean: float, std: float, n: int) -> str:
    # one run has no spread to report
    return f"{mean:.1f} ({n})" if n == 1 else f"{mean:.1f} ± {std:.1f} ({n})"


#: the significance level of "differs from the best beyond seed noise"
ALPHA = 0.05
#: the caption of the "vs best" columns: which test, on what, and what the marks mean
SIGNIFICANCE_NOTE = (
    "vs best: each method against the best one (the highest mean among the methods run on at least two seeds; "
    "'best of n ≥ 2' where a method run once scores higher), "
    "paired over the seeds both ran, which share their data: two-sided paired t-test (scipy.stats.ttest_rel); "
    f"'≈' no difference beyond seed noise (p ≥ {ALPHA}), 'differs' a difference beyond it (p < {ALPHA}). "
    "A method run once (n = 1) has no seed noise to test against and is not marked ('n = 1, not tested'); "
    "'not tested' also where fewer than two seeds are shared with the best.")


def significance(rows: list[dict[str, Any]], methods: list[str], datasets: list[str],
                 metric: str = "accuracy") -> dict[tuple[str, str], tuple[str, float | None]]:
    """``{(method, dataset): (mark, p)}`` for ``metric``, each method against the best one of its dataset.

    The best is the highest mean among the methods with at least two runs (a method run once, being
    deterministic on fixed data, has no seed noise and cannot be tested). Every other method is paired with
    it over the seeds both ran (a seed's runs share their split) and a two-sided paired t-test
    (``scipy.stats.ttest_rel``) gives ``p``. Marks: ``"best"``; ``"tie"`` (``p >= ALPHA``); ``"differs"``
    (``p < ALPHA``); ``"best tested"`` instead of ``"best"`` when a method run once has a higher
    mean; ``"once"`` for a method with a single run; ``"unpaired"`` with fewer than two seeds
    shared with the best. ``p`` is ``None`` where nothing was tested. A gap that is the same on every seed has
    no spread (the t statistic is infinite, or undefined for no gap): ``p`` is 0 for a non-zero gap, 1 for none.
    """
    by_seed: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for row in rows:
        by_seed[(row["method"], row["dataset"])][int(row["seed"])] = float(row[metric])
    marks: dict[tuple[str, str], tuple[str, float | None]] = {}
    for dataset in datasets:
        present = [m for m in methods if by_seed.get((m, dataset))]
        seeded = [m for m in present if len(by_seed[(m, dataset)]) >= 2]
        means = {m: statistics.mean(by_seed[(m, dataset)].values()) for m in present}
        best = max(seeded, key=means.__getitem__, default=None)
        for method in present:
            scores = by_seed[(method, dataset)]
            if method == best:
                # a method run once may score higher: the reference is then only the best of the tested ones
                marks[(method, dataset)] = ("best" if means[best] >= max(means.values()) else "best tested", None)
            elif len(scores) < 2:
                marks[(method, dataset)] = ("once", None)
            else:
                shared = sorted(set(scores) & set(by_seed[(best, dataset)]))
                if len(shared) < 2:
                    marks[(method, dataset)] = ("unpaired", None)
                    continue
                p = paired_p_value([scores[s] for s in shared], [by_seed[(best, dataset)][s] for s in shared])
                marks[(method, dataset)] = ("tie" if p >= ALPHA else "differs", p)
    return marks


def paired_p_value(ours: list[float], theirs: list[float]) -> float:
    """Two-sided p-value of the paired t-test of ``ours`` against ``theirs`` (``scipy.stats.ttest_rel``);
    a constant gap (no spread, where scipy returns NaN or an unreliable value) gives 0, no gap 1."""
    from scipy.stats import ttest_rel

    gaps = {round(a - b, 9) for a, b in zip(ours, theirs)}
    if len(gaps) == 1:
        return 1.0 if gaps == {0.0} else 0.0
    return float(ttest_rel(ours, theirs).pvalue)


def _p_text(p: float) -> str:
    """``p`` to two significant digits, more where two would round it up to :data:`ALPHA` (0.0496 is not
    "p = 0.05" beside "differs"; a p-value at or above ALPHA never rounds below it)."""
    if p < 0.001:
        return "p < 0.001"
    for digits in (2, 3, 4):
        text = f"{p:.{digits}g}"
        if (float(text) < ALPHA) == (p < ALPHA):
            return f"p = {text}"
    return f"p < {ALPHA}"


def _verdict(mark: tuple[str, float | None] | None) -> str:
    """The text of a "vs best" cell."""
    if mark is None:
        return "—"
    kind, p = mark
    shown = "" if p is None else f" ({_p_text(p)})"
    return {"best": "**best**", "best tested": "**best of n ≥ 2**", "tie": "≈", "differs": "differs", "once": "n = 1, not tested",
            "unpaired": "not tested"}[kind] + shown


def markdown_table(summary: dict, methods: list[str], datasets: list[str], published: dict[str, Any],
                   split: str, metric: str = "accuracy", names: Mapping[str, str] | None = None,
                   published_split: str = "public",
                   marks: Mapping[tuple[str, str], tuple[str, float | None]] | None = None) -> str:
    """One row per method; for each dataset our mean ± std (n) of ``metric`` and the published figure with its
    source (only on ``published_split``, the split the papers used). ``names`` maps datasets to display names;
    with ``marks`` (from :func:`significance`) each dataset gets a "vs best" column, after all the scores: the
    best method, and whether each other one differs from it beyond seed noise (:data:`SIGNIFICANCE_NOTE`)."""
    names = names or {}
    header = ["method"]
    for dataset in datasets:
        header += [f"{names.get(dataset, dataset)} (ours)", f"{names.get(dataset, dataset)} (published)"]
    if marks is not None:  # after the scores, so that those read as before
        header += [f"{names.get(dataset, dataset)} vs best" for dataset in datasets]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    sources = published.get("sources", {})
    for method in methods:
        cells = [method]
        for dataset in datasets:
            cells.append(_cell(*summary[(method, dataset)]) if (method, dataset) in summary else "—")
            entry = published.get(dataset, {}).get(method) if split == published_split else None
            figure = entry.get(metric) if entry else None
            cells.append("—" if figure is None else f"{figure:.1f} ({sources.get(entry['source'], entry['source'])})")
        if marks is not None:
            cells += [_verdict(marks.get((method, dataset))) for dataset in datasets]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def report_text(comparison: Any, rows: list[dict[str, Any]]) -> str:
    """The Markdown of ``summary.md``: a table per metric of ``comparison.task``, then what the numbers are
    (seeds, the runs of deterministic methods, the split of the published figures, the overrides)."""
    task = comparison.task
    published = load_published(task.name)
    tables = []
    for metric, label in task.metrics.items():
        summary = summarize(rows, comparison.methods, comparison.datasets, metric)
        marks = significance(rows, comparison.methods, comparison.datasets, metric)
        table = markdown_table(summary, comparison.methods, comparison.datasets, published, comparison.split,
                               metric, task.datasets, task.published_split, marks)
        tables.append(table if len(task.metrics) == 1 else f"**{label}**\n\n{table}")
    once = [m for m in comparison.methods if comparison.runs(m) == 1 < comparison.seeds]
    what = task.metrics[task.primary] if len(task.metrics) == 1 else "scores (%)"
    note = f"\n{what[0].upper()}{what[1:]} on the {comparison.split} split, mean ± std over (n) seeds"
    if once:
        note += f"; {', '.join(once)} do not depend on the seed and run once (n = 1)"
    note += f"; {task.published_note}." if task.published_note else "."
    note += "\n" + SIGNIFICANCE_NOTE
    if comparison.overrides:
        note += "\nOverrides of the configs: " + ", ".join(f"{k} = {v!r}" for k, v in comparison.overrides.items())
    return "\n".join(tables) + note + "\n"


def _save_figure(figure, path: Path) -> None:
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)


def _names(comparison: Any) -> Mapping[str, str]:
    return comparison.task.datasets


def plot_scores(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """Bar chart of the primary metric, mean with the standard deviation as error bars, one panel per dataset."""
    import matplotlib.pyplot as plt

    metric = comparison.task.primary
    summary = summarize(rows, comparison.methods, comparison.datasets, metric)
    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(5.5 * len(comparison.datasets), 4),
                                squeeze=False)
    for ax, dataset in zip(axes[0], comparison.datasets):
        present = [m for m in comparison.methods if (m, dataset) in summary]
        means = [summary[(m, dataset)][0] for m in present]
        stds = [summary[(m, dataset)][1] for m in present]
        ax.bar(present, means, yerr=stds, capsize=3, color="tab:blue", alpha=0.8)
        ax.set(title=_names(comparison).get(dataset, dataset), ylabel=comparison.task.metrics[metric],
               ylim=(0, 100))
        ax.tick_params(axis="x", rotation=45)
        for i, mean in enumerate(means):
            ax.text(i, mean + 2, f"{mean:.1f}", ha="center", fontsize=8)
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)
    return True


def plot_curves(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """Validation score per epoch of the methods that train by epochs (seed 0), one panel per dataset."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(5.5 * len(comparison.datasets), 4),
                                squeeze=False)
    for ax, dataset in zip(axes[0], comparison.datasets):
        for row in rows:
            if row["dataset"] == dataset and row["seed"] == 0 and row.get("val_curve"):
                ax.plot(row["val_curve"], label=row["method"])
        ax.set(title=f"{_names(comparison).get(dataset, dataset)}: validation {comparison.task.primary} (seed 0)",
               xlabel="epoch", ylabel=f"validation {comparison.task.primary}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)
    return True


def plot_tsne(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """t-SNE (scikit-learn) of the saved DeepWalk, node2vec and GCN embeddings, coloured by class."""
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    folder, split = comparison.folder, comparison.split
    panels = [(m, d) for d in comparison.datasets for m in ("deepwalk", "node2vec", "gcn")
              if (folder / "embeddings" / f"{m}-{d}-{split}.npy").is_file()]
    if not panels:
        return False
    labels = {d: comparison.task.load_data(d, split, 0).y.numpy() for d in {d for _, d in panels}}
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
    for ax, (method, dataset) in zip(axes[0], panels):
        vectors = np.load(folder / "embeddings" / f"{method}-{dataset}-{split}.npy")
        points = TSNE(n_components=2, init="pca", random_state=0, perplexity=30).fit_transform(vectors)
        ax.scatter(points[:, 0], points[:, 1], c=labels[dataset], cmap="tab10", s=3)
        ax.set(title=f"{method} on {_names(comparison).get(dataset, dataset)}", xticks=[], yticks=[])
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)
    return True


def write_report(comparison: Any, rows: list[dict[str, Any]], skip_plots: tuple[str, ...] = ()) -> dict[str, Path]:
    """Write ``summary.md`` (:func:`report_text`) and the task's plots into ``comparison.folder``; return the
    paths by name (``"summary"``, ``"<plot>_plot"``)."""
    folder = comparison.folder
    with atomic_write(folder / "summary.md") as handle:
        handle.write(report_text(comparison, rows))
    written = {"summary": folder / "summary.md"}
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name, plot in comparison.task.plots:
        if name not in skip_plots and plot(comparison, rows, folder / f"{name}.png"):
            written[f"{name}_plot"] = folder / f"{name}.png"
    return written
