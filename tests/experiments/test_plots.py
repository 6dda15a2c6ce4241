"""The comparison's figures as a paper would show them: one colour per method in every figure, the families
told apart, published figures marked, value labels clear of the error bars, bar axes from 0, a legend of the
t-SNE classes, PNG + PDF + SVG, and a ``--quick`` run labelled in every title and in the summary.

The methods are scripted (no training), so each figure is drawn from known numbers in a second or two."""
from __future__ import annotations

import dataclasses
import struct
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba

from gnnlab import _catalog
from gnnlab.experiments import MethodResult, compare, link_report, report
from gnnlab.experiments.report import (
    FAMILIES,
    QUICK_LABEL,
    grouped,
    method_colour,
    method_family,
    plot_tsne,
    report_text,
)
from gnnlab.experiments.task import LINK, NODE

NODE_SCORES = {"mlp": 0.55, "logreg": 0.57, "labelprop": 0.68, "deepwalk": 0.70, "gcn": 0.80, "gat": 0.82}
# node2vec below 50: the old link chart (axis from 50) hid it
LINK_SCORES = {"sc": 0.84, "deepwalk": 0.83, "node2vec": 0.45, "gae": 0.90, "vgae": 0.91, "gcn": 0.88}


def _keep_figures(monkeypatch) -> dict[str, object]:
    """Every figure the plots save from now on, by the PNG's stem, still holding its artists (saved as usual)."""
    drawn = {}
    save = report._save_figure

    def keep(figure, path):
        drawn[path.stem] = figure
        save(figure, path)

    monkeypatch.setattr(report, "_save_figure", keep)
    monkeypatch.setattr(link_report, "_save_figure", keep)
    return drawn


@pytest.fixture
def figures(monkeypatch):
    return _keep_figures(monkeypatch)


def _scripted(task, scores: dict[str, float], plots):
    """``task`` with methods that train nothing: known scores plus a little noise per seed, a curve for the
    methods that train by epochs, and test scores for ROC curves."""
    def method(name):
        def run(data, config, seed, device, verbose):
            base = scores[name] + 0.01 * seed * (-1) ** len(name)
            curve = [base * k / 5 for k in range(1, 6)] if method_family(name) == "gnn" or name == "mlp" else []
            rng = np.random.default_rng(seed)
            labels = np.repeat([1.0, 0.0], 50)
            predictions = np.stack([labels * base + rng.random(100), labels])
            return MethodResult({metric: base - 0.02 * i for i, metric in enumerate(task.metrics)}, 0.0, "cpu",
                                curve, predictions=predictions)
        return run

    return dataclasses.replace(task, methods={name: method(name) for name in scores},
                               load_data=lambda dataset, split, seed: None, plots=plots)


def _run(tmp_path, task, split, quick, methods=None, datasets=("cora",)):
    return compare(methods or list(task.methods), list(datasets), split=split, seeds=2, device="cpu",
                   out_dir=tmp_path, run_name=f"{task.name}-{split}-{quick}", verbose=False, quick=quick, task=task)


# one quick run per task for the module (drawing takes a few seconds); the tests only read its figures
@pytest.fixture(scope="module")
def node_run(tmp_path_factory):
    task = _scripted(NODE, NODE_SCORES, (("accuracy", report.plot_scores), ("curves", report.plot_curves)))
    with pytest.MonkeyPatch.context() as monkeypatch:
        figures = _keep_figures(monkeypatch)
        # out of family order on purpose: the bars are grouped all the same
        written = _run(tmp_path_factory.mktemp("node"), task, "public", True,
                       ["gat", "mlp", "deepwalk", "gcn", "logreg", "labelprop"], ("cora", "citeseer"))
    return written, figures


@pytest.fixture(scope="module")
def link_run(tmp_path_factory):
    task = _scripted(LINK, LINK_SCORES, (("scores", link_report.plot_link_scores), ("roc", link_report.plot_roc),
                                         ("curves", report.plot_curves)))
    with pytest.MonkeyPatch.context() as monkeypatch:
        figures = _keep_figures(monkeypatch)
        written = _run(tmp_path_factory.mktemp("link"), task, "random", True)
    return written, figures


def _bars(ax) -> dict[str, object]:
    """The bars of a panel by their method (the tick under them)."""
    ticks = {round(tick, 6): label.get_text() for tick, label in zip(ax.get_xticks(), ax.get_xticklabels())}
    return {ticks[round(bar.get_x() + bar.get_width() / 2, 6)]: bar for bar in ax.patches}


def _lines(figure) -> dict[str, object]:
    """The curves of a figure by their method (their label, less the AUC of a ROC legend)."""
    return {line.get_label().split(" (")[0]: line for ax in figure.axes for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def _bar_axes(figure):
    return [ax for ax in figure.axes if ax.patches]


# -- the palette -----------------------------------------------------------------------------------------
def test_every_method_of_every_task_has_its_own_colour_and_family():
    methods = sorted({m for info in _catalog.TASKS.values() for m in info.methods})
    colours = [method_colour(m) for m in methods]
    assert len(set(colours)) == len(methods), dict(zip(methods, colours))
    assert all(method_family(m) != "other" for m in methods)
    assert method_colour("my-method") == method_colour("my-method")  # a script's method: stable too
    assert method_family("my-method") == "other"
    assert grouped(["gat", "sc", "mlp", "node2vec", "x", "gcn"]) == ["mlp", "sc", "node2vec", "gat", "gcn", "x"]
    assert set(FAMILIES["gnn"]) >= {"gcn", "sage", "gat", "ggnn", "gae", "vgae"}


def test_a_method_has_the_same_colour_in_the_bars_and_the_curves(node_run):
    _, figures = node_run
    for ax in _bar_axes(figures["accuracy"]):
        for method, bar in _bars(ax).items():
            assert bar.get_facecolor() == to_rgba(method_colour(method)), method
    lines = _lines(figures["curves"])
    assert set(lines) == {"mlp", "gcn", "gat"}
    for method, line in lines.items():
        assert to_rgba(line.get_color()) == to_rgba(method_colour(method)), method
    # the families: grouped, hatched by family (GNNs plain), dashed curves for the baselines
    ax = _bar_axes(figures["accuracy"])[0]
    # (each family in the order given, as in the table)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["mlp", "logreg", "labelprop", "deepwalk",
                                                                     "gat", "gcn"]
    bars = _bars(ax)
    assert bars["mlp"].get_hatch() == bars["logreg"].get_hatch() and bars["mlp"].get_hatch()
    assert bars["deepwalk"].get_hatch() not in (None, "", bars["mlp"].get_hatch())
    assert not bars["gcn"].get_hatch()
    assert lines["mlp"].get_linestyle() != lines["gcn"].get_linestyle()
    legend = [text.get_text() for legend in figures["accuracy"].legends for text in legend.get_texts()]
    assert any(text.startswith("GNNs (gat, gcn)") for text in legend)
    assert any("random-walk embeddings (deepwalk)" in text for text in legend)


def test_a_link_method_has_the_same_colour_in_scores_roc_and_curves(link_run):
    _, figures = link_run
    roc, curves = _lines(figures["roc"]), _lines(figures["curves"])
    assert set(roc) == set(LINK_SCORES) and set(curves) == {"gae", "vgae", "gcn"}
    for ax in _bar_axes(figures["scores"]):
        bars = _bars(ax)
        assert set(bars) == set(LINK_SCORES)
        for method, bar in bars.items():
            assert bar.get_facecolor() == to_rgba(method_colour(method)) == to_rgba(roc[method].get_color())
            if method in curves:
                assert to_rgba(curves[method].get_color()) == bar.get_facecolor()
    # spectral is grouped with the walks, before the GNNs
    ticks = [label.get_text() for label in _bar_axes(figures["scores"])[0].get_xticklabels()]
    assert ticks == ["sc", "deepwalk", "node2vec", "gae", "vgae", "gcn"]


# -- honest axes, published figures, labels clear of the error bars ------------------------------------------
@pytest.mark.parametrize("run, name", [("node_run", "accuracy"), ("link_run", "scores")])
def test_bars_start_at_0_and_every_bar_error_bar_and_mark_is_inside(run, name, request):
    _, figures = request.getfixturevalue(run)
    panels = _bar_axes(figures[name])
    assert len(panels) == 2  # two datasets (node), two metrics (link)
    for ax in panels:
        low, high = ax.get_ylim()
        assert low == 0
        for bar in ax.patches:
            assert bar.get_y() == 0 and 0 < bar.get_height() <= high
        tops = [segment[:, 1].max() for collection in ax.collections for segment in collection.get_segments()]
        assert tops and max(tops) <= high
        assert all(low <= y <= high for line in ax.get_lines() for y in line.get_ydata())


def _published_marks(ax) -> dict[float, float]:
    return {round(float(line.get_xdata()[0]), 6): float(line.get_ydata()[0]) for line in ax.get_lines()
            if line.get_marker() == "D"}


def test_published_figures_are_marked_on_their_bars(node_run, link_run):
    _, figures = node_run
    cora, citeseer = _bar_axes(figures["accuracy"])
    for ax, expected in ((cora, {"mlp": 55.1, "labelprop": 68.0, "deepwalk": 67.2, "gcn": 81.5, "gat": 83.0}),
                         (citeseer, {"mlp": 46.5, "labelprop": 45.3, "deepwalk": 43.2, "gcn": 70.3, "gat": 72.5})):
        bars, marks = _bars(ax), _published_marks(ax)
        centres = {method: round(bar.get_x() + bar.get_width() / 2, 6) for method, bar in bars.items()}
        assert {method: marks.get(centres[method]) for method in bars} == {**{"logreg": None}, **expected}
    legend = [text.get_text() for legend in figures["accuracy"].legends for text in legend.get_texts()]
    assert "published" in legend
    _, figures = link_run
    auc, ap = _bar_axes(figures["scores"])
    centre = {m: round(b.get_x() + b.get_width() / 2, 6) for m, b in _bars(auc).items()}
    assert _published_marks(auc)[centre["vgae"]] == 91.4 and _published_marks(ap)[centre["vgae"]] == 92.6
    assert centre["gcn"] not in _published_marks(auc)


def test_no_published_marks_beside_another_split(tmp_path, figures):
    task = _scripted(NODE, NODE_SCORES, (("accuracy", report.plot_scores),))
    _run(tmp_path, task, "random", False)
    ax = _bar_axes(figures["accuracy"])[0]
    assert not _published_marks(ax)
    assert "published" not in [t.get_text() for legend in figures["accuracy"].legends for t in legend.get_texts()]


@pytest.mark.parametrize("run, name", [("node_run", "accuracy"), ("link_run", "scores")])
def test_value_labels_are_clear_of_error_bars_and_published_marks(run, name, request):
    _, figures = request.getfixturevalue(run)
    figure = figures[name]
    figure.canvas.draw()
    for ax in _bar_axes(figure):
        bars = _bars(ax)
        assert len(ax.texts) == len(bars)
        marks = _published_marks(ax)
        for text in ax.texts:
            box = text.get_window_extent()
            (x, _), = ax.transData.inverted().transform([[(box.x0 + box.x1) / 2, box.y0]])
            bar = min(bars.values(), key=lambda b: abs(b.get_x() + b.get_width() / 2 - x))
            centre = round(bar.get_x() + bar.get_width() / 2, 6)
            assert text.get_text() == f"{bar.get_height():.1f}"
            to_pixels = ax.transData.transform
            for collection in ax.collections:
                for segment in collection.get_segments():
                    if abs(segment[0, 0] - centre) < 0.5:  # this bar's error bar
                        assert to_pixels(segment).max(axis=0)[1] < box.y0
            if centre in marks:  # the diamond (about 4 pt either side) is either under the label or well below
                mark_y = to_pixels([[centre, marks[centre]]])[0, 1]
                half = 4 * figure.dpi / 72
                assert mark_y + half <= box.y0 or mark_y - half >= box.y1


# -- t-SNE ---------------------------------------------------------------------------------------------------
def test_tsne_has_a_legend_of_the_classes_in_their_colours(tmp_path, figures):
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 20)
    (tmp_path / "embeddings").mkdir()
    for method in ("deepwalk", "gcn"):
        np.save(tmp_path / "embeddings" / f"{method}-cora-public.npy",
                (rng.normal(size=(60, 8)) + 3 * labels[:, None]).astype(np.float32))
    task = SimpleNamespace(datasets={"cora": "Cora"},
                           load_data=lambda dataset, split, seed: SimpleNamespace(y=torch.as_tensor(labels)))
    comparison = SimpleNamespace(task=task, folder=tmp_path, split="public", datasets=["cora"], quick=False)
    assert plot_tsne(comparison, [], tmp_path / "tsne.png")
    figure = figures["tsne"]
    legends = [ax.get_legend() for ax in figure.axes if ax.get_legend()]
    assert len(legends) == 1
    assert [t.get_text() for t in legends[0].get_texts()] == ["class 0", "class 1", "class 2"]
    legend_colours = [to_rgba(handle.get_color()) for handle in legends[0].legend_handles]
    for ax in figure.axes:
        points = ax.collections[0].get_facecolors()
        for k in range(3):
            assert {tuple(c) for c in points[labels == k]} == {legend_colours[k]}
    assert QUICK_LABEL not in figure._suptitle.get_text()
    for suffix in (".png", ".pdf", ".svg"):
        assert (tmp_path / f"tsne{suffix}").stat().st_size > 0


# -- files and the quick label -----------------------------------------------------------------------------
def _png_dpi(path) -> float:
    data = path.read_bytes()
    at = data.index(b"pHYs")
    per_metre, _, unit = struct.unpack(">IIB", data[at + 4: at + 13])
    assert unit == 1
    return per_metre * 0.0254


def test_every_plot_is_written_as_png_pdf_and_svg_and_the_path_returned_is_the_png(node_run, link_run):
    for written, names in ((node_run[0], ("accuracy", "curves")), (link_run[0], ("scores", "roc", "curves"))):
        for name in names:
            png = written[f"{name}_plot"]
            assert png.suffix == ".png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert round(_png_dpi(png)) >= 200
            assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
            assert b"<svg" in png.with_suffix(".svg").read_bytes()[:1000]
        assert not any(key.endswith(("_pdf", "_svg")) for key in written)


def test_a_quick_run_says_so_in_every_title_and_in_the_summary(node_run, link_run):
    (written, figures), (link_written, link_figures) = node_run, link_run
    assert set(figures) == {"accuracy", "curves"} and set(link_figures) == {"scores", "roc", "curves"}
    for name, figure in [*figures.items(), *link_figures.items()]:
        assert QUICK_LABEL in figure._suptitle.get_text(), name
    table = written["table"]
    # the table reads as before: its header first, the caption under it
    assert table.splitlines()[0].startswith("| method | Cora (ours) | Cora (published) | CiteSeer (ours) |")
    caption = next(line for line in table.splitlines() if QUICK_LABEL[1:] in line)
    assert "tiny epochs and walks" in caption and "published" in caption and "vs best" in caption
    assert table.index(caption) > table.index("| labelprop |")
    link_table = link_written["table"]
    assert link_table.startswith(f"**test ROC-AUC (%)** — {QUICK_LABEL}")
    assert "**test average precision (%)**" in link_table and "tiny epochs and walks" in link_table


def test_a_full_run_has_no_quick_label(tmp_path, figures):
    task = _scripted(NODE, NODE_SCORES, (("accuracy", report.plot_scores), ("curves", report.plot_curves)))
    written = _run(tmp_path, task, "public", False)
    assert QUICK_LABEL[1:] not in written["table"] and "smoke" not in written["table"]
    for figure in figures.values():
        assert QUICK_LABEL not in figure._suptitle.get_text()
    comparison = SimpleNamespace(task=task, methods=["gcn"], datasets=["cora"], split="public", seeds=1,
                                 overrides={}, quick=True, runs=lambda method: 1)
    quick = report_text(comparison, [{"method": "gcn", "dataset": "cora", "seed": 0, "accuracy": 50.0}])
    assert quick.splitlines()[0].startswith("| method |") and QUICK_LABEL[1:] in quick
