"""The link-prediction comparison's plots: AUC and AP per method, and ROC curves of seed 0.

They share the node-classification plots' conventions (:mod:`gnnlab.experiments.report`): one colour per method
(:func:`~gnnlab.experiments.report.method_colour`), the families hatched (bars) or dashed (curves), the
published figures as diamonds, bars from 0, a ``--quick`` run marked in the title, PNG, PDF and SVG.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gnnlab.experiments.config import load_published
from gnnlab.experiments.report import (
    _FAMILY_STYLE,
    _bar_legend,
    _bar_panel,
    _place_labels,
    _save_figure,
    _seeds_text,
    _title,
    grouped,
    method_colour,
    method_family,
)


def plot_link_scores(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """Bars of test ROC-AUC and average precision (mean, std as error bars): a row per metric, a column per
    dataset, each bar in its method's colour, the published figures as diamonds, the axes from 0."""
    import matplotlib.pyplot as plt

    metrics = list(comparison.task.metrics)
    published = load_published(comparison.task.name)
    figure, axes = plt.subplots(len(metrics), len(comparison.datasets),
                                figsize=(max(6.5, 5.5 * len(comparison.datasets)), 3.4 * len(metrics)), squeeze=False,
                                layout="constrained")
    labels, drew_published = [], False
    for row, metric in enumerate(metrics):
        for ax, dataset in zip(axes[row], comparison.datasets):
            placed, drew = _bar_panel(ax, comparison, rows, dataset, metric, published)
            labels += placed
            drew_published |= drew
            # the dataset above its column; the metric on each panel's axis
            ax.set(title=comparison.task.datasets.get(dataset, dataset) if row == 0 else "",
                   ylabel=comparison.task.metrics[metric])
    _bar_legend(figure, comparison.methods, drew_published)
    _title(figure, comparison, f"Link prediction on the {comparison.split} split, {_seeds_text(comparison)} "
                               "(no error bar: run once)", drew_published)
    _place_labels(figure, labels)
    _save_figure(figure, path)
    plt.close(figure)
    return True


def plot_roc(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """ROC curves (scikit-learn's ``roc_curve``) of every method's seed-0 test scores, one panel per dataset."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    folder, split = comparison.folder / "predictions", comparison.split
    found = {(m, d): folder / f"{m}-{d}-{split}.npy" for d in comparison.datasets for m in comparison.methods}
    found = {key: file for key, file in found.items() if file.is_file()}
    if not found:
        return False
    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(4.6 * len(comparison.datasets), 4.8),
                                squeeze=False, layout="constrained")
    for ax, dataset in zip(axes[0], comparison.datasets):
        for method in grouped(comparison.methods):
            if (method, dataset) in found:
                scores, labels = np.load(found[(method, dataset)])
                fpr, tpr, _ = roc_curve(labels, scores)
                ax.plot(fpr, tpr, label=f"{method} ({100 * roc_auc_score(labels, scores):.1f})", linewidth=1.3,
                        color=method_colour(method), linestyle=_FAMILY_STYLE[method_family(method)][1])
        ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=0.9)
        ax.set(title=comparison.task.datasets.get(dataset, dataset), xlabel="false positive rate",
               ylabel="true positive rate", xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal")
        ax.grid(color="0.92", linewidth=0.8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="lower right", title="method (AUC %)", title_fontsize=7)
    _title(figure, comparison, f"ROC of the test edges, seed 0 ({split} split)")
    _save_figure(figure, path)
    plt.close(figure)
    return True
