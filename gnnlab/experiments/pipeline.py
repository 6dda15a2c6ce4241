"""The whole comparison: run (or resume) the grid, then write the Markdown table and the plots."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gnnlab.data.planetoid import load_planetoid
from gnnlab.experiments.report import load_published, markdown_table, plot_accuracy, plot_curves, plot_tsne, summarize
from gnnlab.experiments.runner import Comparison, experiments_dir
from gnnlab.utils.io import atomic_write


def compare(methods: Sequence[str], datasets: Sequence[str], split: str = "public", seeds: int = 3,
            device: str = "auto", run_name: str = "default", out_dir: str | os.PathLike = "results",
            quick: bool = False, verbose: bool = True, tsne: bool = True) -> dict[str, Path | str]:
    """Run :class:`~gnnlab.experiments.Comparison` and write ``summary.md``, ``accuracy.png``, ``curves.png``
    and ``tsne.png`` beside ``runs.csv``/``runs.json``. Returns the table and the paths."""
    comparison = Comparison(methods, datasets, split, seeds, device, run_name, out_dir, quick, verbose)
    rows = comparison.run()
    rows = [r for r in rows if r["method"] in comparison.methods and r["dataset"] in comparison.datasets
            and r["split"] == split and r["seed"] < seeds]
    summary = summarize(rows, comparison.methods, comparison.datasets)
    table = markdown_table(summary, comparison.methods, comparison.datasets,
                           load_published(experiments_dir() / "published.toml"), split)
    folder = comparison.folder
    with atomic_write(folder / "summary.md") as handle:
        handle.write(table)
    os.environ.setdefault("MPLBACKEND", "Agg")
    plot_accuracy(summary, comparison.methods, comparison.datasets, folder / "accuracy.png")
    plot_curves(rows, comparison.datasets, folder / "curves.png")
    if tsne:
        labels = {d: load_planetoid(d).y.numpy() for d in comparison.datasets}
        plot_tsne(folder, labels, folder / "tsne.png", split)
    return {"table": table, "folder": folder, "summary": folder / "summary.md", "csv": folder / "runs.csv",
            "json": folder / "runs.json", "accuracy_plot": folder / "accuracy.png",
            "curves_plot": folder / "curves.png", "tsne_plot": folder / "tsne.png"}
