"""Tables and plots of a comparison: mean ± std per method and dataset beside the published figures."""
from __future__ import annotations

import os
import statistics
import zlib
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gnnlab.experiments.config import QUICK, load_published
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
    return {"best": "**best**", "best tested": "**best of n ≥ 2**", "tie": "≈", "differs": "differs",
            "once": "n = 1, not tested", "unpaired": "not tested"}[kind] + shown


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
    (for a ``--quick`` run first :func:`quick_caption`: a smoke test, not comparable to the published figures;
    seeds, the runs of deterministic methods, the split of the published figures, the overrides)."""
    task = comparison.task
    published = load_published(task.name)
    tables = []
    for metric, label in task.metrics.items():
        summary = summarize(rows, comparison.methods, comparison.datasets, metric)
        marks = significance(rows, comparison.methods, comparison.datasets, metric)
        table = markdown_table(summary, comparison.methods, comparison.datasets, published, comparison.split,
                               metric, task.datasets, task.published_split, marks)
        # a table of several has its metric above it, and there a smoke test says so before its numbers
        mark = f" — {QUICK_LABEL} (see below)" if getattr(comparison, "quick", False) else ""
        tables.append(table if len(task.metrics) == 1 else f"**{label}**{mark}\n\n{table}")
    once = [m for m in comparison.methods if comparison.runs(m) == 1 < comparison.seeds]
    what = task.metrics[task.primary] if len(task.metrics) == 1 else "scores (%)"
    # a smoke test says so right under its tables (the first line stays the table's header)
    note = f"\n{quick_caption(getattr(comparison, 'configs', None))}\n" if getattr(comparison, "quick", False) \
        else ""
    note += f"\n{what[0].upper()}{what[1:]} on the {comparison.split} split, mean ± std over (n) " \
            f"{comparison.task.seed_name}s"
    if once:
        note += f"; {', '.join(once)} do not depend on the seed and run once (n = 1)"
    note += f"; {task.published_note}." if task.published_note else "."
    note += "\n" + SIGNIFICANCE_NOTE
    if comparison.overrides:
        note += "\nOverrides of the configs: " + ", ".join(f"{k} = {v!r}" for k, v in comparison.overrides.items())
    return "\n".join(tables) + note + "\n"


#: the title line of every figure of a ``--quick`` run (and the start of the summary's caption)
QUICK_LABEL = "quick smoke test — not a result"


def quick_caption(configs: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The caption of the summary of a ``--quick`` run: what its numbers are, and what they cannot be compared to.

    Args:
        configs: the run's configs (method -> config): only the tiny values they hold are named (default: the
            epochs and walk settings)."""
    keys = ("epochs", "walks_per_node", "walk_length", "iterations")
    if configs is not None:
        held = {key for config in configs.values() for table in config.values() for key in table}
        keys = tuple(key for key in keys if key in held) or ("epochs",)
    tiny = ", ".join(f"{key} = {QUICK[key]}" for key in keys)
    return (f"**{QUICK_LABEL[0].upper()}{QUICK_LABEL[1:]}:** `--quick` ran tiny epochs and walks ({tiny}), so "
            "these numbers only show that the pipeline runs: they are not comparable to the published figures, "
            "and the \"vs best\" marks (best, p-values) compare these smoke-test runs, not the methods at their "
            "real settings.")


#: the families of methods the plots tell apart, in plot order: key -> members (of either task)
FAMILIES: dict[str, tuple[str, ...]] = {
    "baseline": ("mlp", "logreg", "labelprop", "baseline"),
    "embedding": ("sc", "deepwalk", "node2vec"),
    "kernel": ("wl", "wl_features"),
    "gnn": ("gae", "vgae", "gcn", "sage", "gat", "ggnn", "gin"),
}
#: family -> (bar hatching, line style); methods of no family are "other"
_FAMILY_STYLE = {"baseline": ("///", "--"), "embedding": ("..", "-."), "kernel": ("\\\\", (0, (3, 1, 1, 1))),
                 "gnn": ("", "-"), "other": ("xx", ":")}

#: one colour per method, the same in every figure of every task (:func:`method_colour`)
METHOD_COLOURS = {
    "mlp": "#7f7f7f", "logreg": "#bcbd22", "labelprop": "#8c564b",
    "sc": "#393b79", "deepwalk": "#2ca02c", "node2vec": "#17becf",
    "gcn": "#1f77b4", "sage": "#ff7f0e", "gat": "#d62728", "ggnn": "#9467bd", "gae": "#e377c2", "vgae": "#7b4173",
    "baseline": "#525252", "wl": "#e6550d", "wl_features": "#fdae6b", "gin": "#31a354",
}
# for methods a script adds (from tab20b/tab20c, less those close to a colour above): by a stable hash of the name
_SPARE_COLOURS = ("#5254a3", "#637939", "#8c6d31", "#843c39", "#a55194", "#756bb1", "#6b6ecf", "#b5cf6b",
                  "#e7ba52", "#ce6dbd", "#9ecae1")


def method_colour(method: str) -> str:
    """The colour of ``method`` in every figure (bars, curves, ROC): :data:`METHOD_COLOURS`, or for a method
    not listed there one of a spare palette chosen by a stable hash of its name (the same in every run).

    Example::

        >>> from gnnlab.experiments.report import method_colour, method_family
        >>> method_colour("gcn"), method_family("gcn"), method_family("sc"), method_colour("x") == method_colour("x")
        ('#1f77b4', 'gnn', 'embedding', True)
    """
    if method in METHOD_COLOURS:
        return METHOD_COLOURS[method]
    return _SPARE_COLOURS[zlib.crc32(method.encode()) % len(_SPARE_COLOURS)]


def method_family(method: str) -> str:
    """The family of ``method`` (a key of :data:`FAMILIES`), ``"other"`` for a method of none."""
    return next((family for family, members in FAMILIES.items() if method in members), "other")


def grouped(methods: list[str]) -> list[str]:
    """``methods`` in family order (:data:`FAMILIES`, then the others), each family in the given order."""
    order = list(FAMILIES) + ["other"]
    return sorted(methods, key=lambda method: order.index(method_family(method)))


def family_label(family: str, members: list[str]) -> str:
    """The legend text of ``family``, with its ``members`` that a figure shows."""
    if family == "embedding":
        kinds = (["spectral"] if "sc" in members else []) + (["random-walk"] if set(members) - {"sc"} else [])
        name = " & ".join(kinds) + " embeddings"
    else:
        name = {"baseline": "feature & label baselines", "kernel": "graph kernels & WL features", "gnn": "GNNs",
                "other": "other methods"}[family]
    return f"{name} ({', '.join(members)})"


def _family_handles(methods: list[str]) -> list:
    from matplotlib.patches import Patch

    families: dict[str, list[str]] = {}
    for method in grouped(methods):
        families.setdefault(method_family(method), []).append(method)
    return [Patch(facecolor="0.55", edgecolor="white", hatch=_FAMILY_STYLE[family][0],
                  label=family_label(family, members)) for family, members in families.items()]


def _title(figure, comparison: Any, text: str, published: bool = False) -> None:
    """The figure's title: ``text``, and for a ``--quick`` run a second line :data:`QUICK_LABEL` (dark red);
    ``published``: the figure shows published figures, which a quick run is not comparable to."""
    if getattr(comparison, "quick", False):
        why = "tiny epochs/walks; published figures not comparable" if published else "tiny epochs/walks"
        figure.suptitle(f"{text}\n{QUICK_LABEL} ({why})", color="darkred", fontsize=10)
    else:
        figure.suptitle(text, fontsize=10)


#: the resolution of the PNGs (the PDF and SVG beside them are vector, scatter points rasterized at this dpi)
DPI = 200


def _save_figure(figure, path: Path) -> None:
    """Write ``figure`` to ``path`` (PNG at :data:`DPI`) and beside it, same stem, as PDF and SVG."""
    import matplotlib

    path = Path(path)
    # TrueType fonts in the PDF (journals ask for them); no dates, so that a figure redrawn is the same file
    with matplotlib.rc_context({"pdf.fonttype": 42, "svg.hashsalt": "gnnlab"}):
        for suffix, metadata in ((".png", None), (".pdf", {"CreationDate": None}), (".svg", {"Date": None})):
            with atomic_write(path.with_suffix(suffix), "wb") as handle:
                figure.savefig(handle, format=suffix[1:], dpi=DPI, bbox_inches="tight", pad_inches=0.05,
                               metadata=metadata)


def _names(comparison: Any) -> Mapping[str, str]:
    return comparison.task.datasets


def _published_figure(comparison: Any, published: dict[str, Any], method: str, dataset: str,
                      metric: str) -> float | None:
    """The published ``metric`` of ``method`` on ``dataset``, as the table shows it (only on the task's
    published split), or ``None``."""
    if comparison.split != getattr(comparison.task, "published_split", "public"):
        return None
    entry = published.get(dataset, {}).get(method)
    figure = entry.get(metric) if entry else None
    return None if figure is None else float(figure)


def _bar_panel(ax, comparison: Any, rows: list[dict[str, Any]], dataset: str, metric: str,
               published: dict[str, Any]) -> tuple[list, bool]:
    """One panel of bars: ``metric`` per method on ``dataset``, mean with the std over the seeds as error bars
    (none for a method run once), grouped by family (hatched, with dotted separators), the published figure
    as a white diamond. Returns the value labels still to place (:func:`_place_labels`) and whether a
    published figure was drawn. The axis starts at 0 and holds every bar, error bar and diamond."""
    summary = summarize(rows, comparison.methods, [dataset], metric)
    present = [m for m in grouped(comparison.methods) if (m, dataset) in summary]
    positions, x, previous = [], 0.0, None
    for method in present:
        family = method_family(method)
        if previous is not None:
            x += 1.0 if family == previous else 1.6
            if family != previous:  # a dotted line between two families
                ax.axvline(x - 0.8, color="0.55", linestyle=":", linewidth=0.9, zorder=1)
        positions.append(x)
        previous = family
    labels, drew_published, highest = [], False, 0.0
    for x, method in zip(positions, present):
        mean, std, n = summary[(method, dataset)]
        ax.bar(x, mean, 0.8, color=method_colour(method), hatch=_FAMILY_STYLE[method_family(method)][0],
               edgecolor="white", linewidth=0.5, zorder=2)
        top = mean
        if n > 1:
            ax.errorbar(x, mean, yerr=std, fmt="none", ecolor="black", elinewidth=1, capsize=3, zorder=3)
            top = mean + std
        figure = _published_figure(comparison, published, method, dataset, metric)
        if figure is not None:
            ax.plot(x, figure, marker="D", markersize=5.5, markerfacecolor="white", markeredgecolor="black",
                    markeredgewidth=1.1, linestyle="none", zorder=4)
            drew_published = True
        labels.append((x, top, figure, f"{mean:.1f}"))
        highest = max(highest, top, figure or 0.0)
    ax.set_xticks(positions, present, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_xlim(min(positions, default=0) - 0.7, max(positions, default=0) + 0.7)
    # from 0 (bars are lengths), to 100 or above the highest mark with room for its label
    ax.set_ylim(0, max(100.0, highest + 10))
    ax.set_yticks(range(0, 101, 20))
    ax.grid(axis="y", color="0.9", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    return [(ax, *label) for label in labels], drew_published


def _place_labels(figure, labels: list) -> None:
    """Write each bar's value above its error bar, and above the published diamond where that would touch it.

    Runs once the layout is drawn, to know how many data units a point is in each panel."""
    figure.canvas.draw()
    for ax, x, top, published, text in labels:
        low, high = ax.get_ylim()
        per_point = (high - low) / (ax.get_window_extent().height * 72 / figure.dpi)
        anchor, offset = top, 2.0
        # the label spans about [anchor + 2 pt, anchor + 11 pt]; the diamond is about 4 pt either side of its centre
        if published is not None and top - 4 * per_point <= published <= top + 16 * per_point:
            anchor, offset = max(top, published), 5.0
        ax.annotate(text, (x, anchor), xytext=(0, offset), textcoords="offset points", ha="center",
                    va="bottom", fontsize=7, zorder=5)


def _bar_legend(figure, methods: list[str], drew_published: bool) -> None:
    from matplotlib.lines import Line2D

    handles = _family_handles(methods)
    if drew_published:
        handles.append(Line2D([], [], marker="D", markersize=5.5, markerfacecolor="white", markeredgecolor="black",
                              markeredgewidth=1.1, linestyle="none", label="published"))
    # one row where the figure is wide enough, two columns under a narrow one (a single dataset)
    columns = len(handles) if figure.get_figwidth() >= 10 else 2
    figure.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), columns), fontsize=8,
                  frameon=False)


def _seeds_text(comparison: Any) -> str:
    name = comparison.task.seed_name
    return f"mean ± std over {comparison.seeds} {name}{'s' if comparison.seeds > 1 else ''}"


def plot_scores(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """Bar chart of the primary metric, mean with the standard deviation as error bars, one panel per dataset;
    the published figure as a diamond, the method families hatched, a ``--quick`` run marked in the title."""
    import matplotlib.pyplot as plt

    metric = comparison.task.primary
    published = load_published(comparison.task.name)
    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(5.5 * len(comparison.datasets), 4.2),
                                squeeze=False, layout="constrained")
    labels, drew_published = [], False
    for ax, dataset in zip(axes[0], comparison.datasets):
        placed, drew = _bar_panel(ax, comparison, rows, dataset, metric, published)
        labels += placed
        drew_published |= drew
        ax.set(title=_names(comparison).get(dataset, dataset), ylabel=comparison.task.metrics[metric])
    _bar_legend(figure, comparison.methods, drew_published)
    what = comparison.task.metrics[metric]
    _title(figure, comparison, f"{what[0].upper()}{what[1:]} on the {comparison.split} split, "
                               f"{_seeds_text(comparison)} (no error bar: run once)", drew_published)
    _place_labels(figure, labels)
    _save_figure(figure, path)
    plt.close(figure)
    return True


def plot_curves(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """Validation score per epoch of the methods that train by epochs (seed 0), one panel per dataset; one
    legend of the methods (their colours are the same in every panel and figure)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    metric = comparison.task.primary
    label = comparison.task.metrics.get(metric, metric)
    label = label.replace("test ", "validation ", 1) if label.startswith("test ") else f"validation {label}"
    figure, axes = plt.subplots(1, len(comparison.datasets), figsize=(5 * len(comparison.datasets) + 1.2, 3.8),
                                squeeze=False, layout="constrained")
    lines: dict[str, Any] = {}
    for ax, dataset in zip(axes[0], comparison.datasets):
        curves = {row["method"]: row["val_curve"] for row in rows
                  if row["dataset"] == dataset and row["seed"] == 0 and row.get("val_curve")}
        for method in grouped([m for m in comparison.methods if m in curves]):
            epochs = np.arange(1, len(curves[method]) + 1)
            (line,) = ax.plot(epochs, 100 * np.asarray(curves[method], dtype=float), label=method,
                              color=method_colour(method), linestyle=_FAMILY_STYLE[method_family(method)][1],
                              linewidth=1.5)
            lines.setdefault(method, line)
        ax.set(title=_names(comparison).get(dataset, dataset), xlabel="epoch", ylabel=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(color="0.9", linewidth=0.8)
    if lines:
        ordered = grouped(list(lines))
        figure.legend([lines[m] for m in ordered], ordered, loc="outside right center", fontsize=8, frameon=False)
    _title(figure, comparison, f"{label[0].upper()}{label[1:]} per epoch, seed 0")
    _save_figure(figure, path)
    plt.close(figure)
    return True


#: the classes of a t-SNE panel: tab10 (tab20 past ten classes), colour ``k`` for class ``k``
def _class_colours(count: int) -> np.ndarray:
    import matplotlib.pyplot as plt

    return np.array(plt.get_cmap("tab10" if count <= 10 else "tab20").colors)[:count]


def plot_tsne(comparison: Any, rows: list[dict[str, Any]], path: Path) -> bool:
    """t-SNE (scikit-learn) of the saved DeepWalk, node2vec and GCN embeddings, coloured by class: a row per
    dataset, a column per method, a legend of the classes beside each row."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from sklearn.manifold import TSNE

    folder, split = comparison.folder, comparison.split
    panels = [(m, d) for d in comparison.datasets for m in ("deepwalk", "node2vec", "gcn")
              if (folder / "embeddings" / f"{m}-{d}-{split}.npy").is_file()]
    if not panels:
        return False
    methods = [m for m in ("deepwalk", "node2vec", "gcn") if any(m == p for p, _ in panels)]
    datasets = [d for d in comparison.datasets if any(d == q for _, q in panels)]
    labels = {d: comparison.task.load_data(d, split, 0).y.numpy() for d in datasets}
    figure, axes = plt.subplots(len(datasets), len(methods), figsize=(3.2 * len(methods) + 1.6, 3.3 * len(datasets)),
                                squeeze=False, layout="constrained")
    for row, dataset in enumerate(datasets):
        name = _names(comparison).get(dataset, dataset)
        colours = _class_colours(int(labels[dataset].max()) + 1)
        for column, method in enumerate(methods):
            ax = axes[row, column]
            ax.set(xticks=[], yticks=[])
            if column == 0:
                ax.set_ylabel(name)
            if (method, dataset) not in panels:
                ax.set_axis_off()
                continue
            vectors = np.load(folder / "embeddings" / f"{method}-{dataset}-{split}.npy")
            perplexity = min(30.0, (len(vectors) - 1) / 3)
            points = TSNE(n_components=2, init="pca", random_state=0, perplexity=perplexity).fit_transform(vectors)
            ax.scatter(points[:, 0], points[:, 1], c=colours[labels[dataset]], s=3, linewidths=0, rasterized=True)
            ax.set_title(f"{method} on {name}", color=method_colour(method), fontweight="bold", fontsize=10)
        handles = [Line2D([], [], marker="o", markersize=5, linestyle="none", color=colour, label=f"class {k}")
                   for k, colour in enumerate(colours)]
        axes[row, -1].legend(handles=handles, title=f"{name} class", loc="center left", bbox_to_anchor=(1.02, 0.5),
                             fontsize=8, title_fontsize=8, frameon=False)
    _title(figure, comparison, f"t-SNE of the embeddings (seed 0, {split} split), coloured by the true class")
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
