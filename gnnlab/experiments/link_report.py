"""The link-prediction comparison's plots: AUC and AP per method, and ROC curves of seed 0."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gnnlab.experiments.report import _save_figure, summarize


def plot_link_scores(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """Grouped bars of test ROC-AUC and average precision (mean, std as error bars), one panel per dataset."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(6 * len(comparison.datasets), 4),
                                squeeze=False)
    width = 0.4
    for ax, dataset in zip(axes[0], comparison.datasets):
        for offset, (metric, colour) in zip((-width / 2, width / 2), (("auc", "tab:blue"), ("ap", "tab:orange"))):
            summary = summarize(rows, comparison.methods, [dataset], metric)
            present = [m for m in comparison.methods if (m, dataset) in summary]
            positions = np.array([comparison.methods.index(m) for m in present]) + offset
            ax.bar(positions, [summary[(m, dataset)][0] for m in present], width,
                   yerr=[summary[(m, dataset)][1] for m in present], capsize=2, color=colour, alpha=0.85,
                   label=metric.upper())
        ax.set_xticks(range(len(comparison.methods)), comparison.methods, rotation=45)
        ax.set(title=comparison.task.datasets.get(dataset, dataset), ylabel="test score (%)", ylim=(50, 100))
        ax.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
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
    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(5 * len(comparison.datasets), 4.5),
                                squeeze=False)
    for ax, dataset in zip(axes[0], comparison.datasets):
        for method in comparison.methods:
            if (method, dataset) in found:
                scores, labels = np.load(found[(method, dataset)])
                fpr, tpr, _ = roc_curve(labels, scores)
                ax.plot(fpr, tpr, label=f"{method} ({100 * roc_auc_score(labels, scores):.1f})", linewidth=1)
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        ax.set(title=f"{comparison.task.datasets.get(dataset, dataset)}: ROC, seed 0 (AUC %)",
               xlabel="false positive rate", ylabel="true positive rate")
        ax.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)
    return True
