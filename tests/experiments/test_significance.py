"""The "vs best" columns: hand-made score tables whose paired t-test p-values are computed here in closed form.

With ``d`` the per-seed gaps, ``t = mean(d) / (sd(d) / sqrt(n))`` has ``n - 1`` degrees of freedom; the
two-sided p-value is ``1 - 2 atan(|t|) / pi`` for one degree of freedom (Cauchy) and ``1 - |t| / sqrt(2 + t^2)``
for two, so these tests need neither scipy nor a table.
"""
from __future__ import annotations

import math
import statistics

import pytest

from gnnlab.experiments.report import ALPHA, SIGNIFICANCE_NOTE, markdown_table, significance, summarize


def _rows(values: dict[str, list[float]], dataset: str = "cora", metric: str = "accuracy") -> list[dict]:
    return [{"method": m, "dataset": dataset, "split": "public", "seed": seed, metric: v}
            for m, series in values.items() for seed, v in enumerate(series)]


def _t(ours: list[float], theirs: list[float]) -> float:
    gaps = [a - b for a, b in zip(ours, theirs)]
    return statistics.mean(gaps) / (statistics.stdev(gaps) / math.sqrt(len(gaps)))


def _p_by_hand(ours: list[float], theirs: list[float]) -> float:
    t, df = abs(_t(ours, theirs)), len(ours) - 1
    return {1: 1 - 2 * math.atan(t) / math.pi, 2: 1 - t / math.sqrt(2 + t * t)}[df]


def test_three_seeds_two_degrees_of_freedom():
    values = {"a": [80.0, 81.0, 82.0],    # the best
              "b": [79.0, 79.5, 81.5],    # gaps -1, -1.5, -0.5: t = -2 sqrt(3), p = 1 - 2 sqrt(3) / sqrt(14)
              "c": [78.0, 78.8, 80.2],    # gaps -2, -2.2, -1.8: t = -10 sqrt(3), p = 1 - 10 sqrt(3) / sqrt(302)
              "d": [70.0]}                # one run: nothing to test
    marks = significance(_rows(values), list(values), ["cora"])
    assert _p_by_hand(values["b"], values["a"]) == pytest.approx(1 - 2 * math.sqrt(3) / math.sqrt(14))
    assert _p_by_hand(values["c"], values["a"]) == pytest.approx(1 - 10 * math.sqrt(3) / math.sqrt(302))
    assert marks[("a", "cora")] == ("best", None) and marks[("d", "cora")] == ("once", None)
    assert marks[("b", "cora")][0] == "tie"          # p = 0.074
    assert marks[("b", "cora")][1] == pytest.approx(0.0742, abs=1e-4)
    assert marks[("b", "cora")][1] == pytest.approx(_p_by_hand(values["b"], values["a"]), rel=1e-9)
    assert marks[("c", "cora")][0] == "differs"      # p = 0.0033
    assert marks[("c", "cora")][1] == pytest.approx(_p_by_hand(values["c"], values["a"]), rel=1e-9)


def test_pairs_by_seed_not_by_rank():
    from scipy.stats import ttest_rel

    # b's seed order is not its rank order: paired by seed the gaps are -0.4, -1.5, -0.8 (p = 0.107); paired by
    # rank (both sorted) they would be -1.0, -0.9, -0.8, a steady gap (p = 0.004)
    values = {"a": [80.0, 80.5, 81.0], "b": [79.6, 79.0, 80.2]}
    assert ttest_rel(sorted(values["b"]), sorted(values["a"])).pvalue < ALPHA
    kind, p = significance(_rows(values), ["a", "b"], ["cora"])[("b", "cora")]
    assert p == pytest.approx(ttest_rel(values["b"], values["a"]).pvalue, rel=1e-9)
    assert p == pytest.approx(0.1074, abs=1e-4) and kind == "tie"


def _seed_rows(method: str, by_seed: dict[int, float]) -> list[dict]:
    """Rows in the order of ``by_seed``'s keys (a resumed run stores them in the order they finished)."""
    return [{"method": method, "dataset": "cora", "split": "public", "seed": s, "accuracy": v}
            for s, v in by_seed.items()]


@pytest.mark.parametrize("a_order", [[0, 1, 2, 3], [3, 1, 0, 2]])
def test_rows_are_paired_by_seed_id_whatever_their_order_and_gaps(a_order):
    from scipy.stats import ttest_rel

    a = {0: 80.0, 1: 80.5, 2: 81.0, 3: 81.5}
    b = {3: 80.3, 0: 79.6, 1: 79.0}     # seed 2 missing, the others stored out of order
    rows = _seed_rows("a", {s: a[s] for s in a_order}) + _seed_rows("b", b)
    shared = [0, 1, 3]
    expected = ttest_rel([b[s] for s in shared], [a[s] for s in shared]).pvalue
    # pairing the first rows of each, or each one's sorted scores, gives another p
    assert abs(ttest_rel(list(b.values()), [a[s] for s in a_order][:3]).pvalue - expected) > 0.01
    assert abs(ttest_rel(sorted(b.values()), sorted(a.values())[:3]).pvalue - expected) > 0.01
    marks = significance(rows, ["a", "b"], ["cora"])
    assert marks[("a", "cora")] == ("best", None)
    assert marks[("b", "cora")][1] == pytest.approx(expected, rel=1e-9)
    assert marks[("b", "cora")][0] == ("tie" if expected >= ALPHA else "differs")


def test_two_seeds_one_degree_of_freedom():
    values = {"a": [90.0, 94.0], "b": [85.0, 91.0]}   # gaps -5, -3: t = -4, p = 1 - 2 atan(4) / pi = 0.156
    (kind, p) = significance(_rows(values, metric="auc"), ["a", "b"], ["cora"], "auc")[("b", "cora")]
    assert _t(values["b"], values["a"]) == pytest.approx(-4.0)
    assert p == pytest.approx(1 - 2 * math.atan(4) / math.pi, rel=1e-9) and p >= ALPHA and kind == "tie"


def test_pairs_only_the_shared_seeds_and_constant_gaps():
    # b = a - 1 on every seed: no spread, scipy gives NaN or inf; a constant gap is a difference
    values = {"a": [80.0, 82.0, 81.1], "b": [79.0, 81.0, 80.1]}
    assert significance(_rows(values), ["a", "b"], ["cora"])[("b", "cora")] == ("differs", 0.0)
    same = {"a": [80.0, 82.0], "b": [80.0, 82.0]}
    assert significance(_rows(same), ["a", "b"], ["cora"])[("b", "cora")] == ("tie", 1.0)
    # the fourth seed of a (mean 83.25 with it) has no partner: only seeds 0-2 are paired
    rows = _rows({"a": [80.0, 81.0, 82.0, 90.0]}) + _rows({"b": [79.0, 79.5, 81.5]})
    kind, p = significance(rows, ["a", "b"], ["cora"])[("b", "cora")]
    assert kind == "tie" and p == pytest.approx(_p_by_hand([79.0, 79.5, 81.5], [80.0, 81.0, 82.0]), rel=1e-9)
    rows = _rows({"a": [80.0, 81.0, 82.0]}) + [{"method": "b", "dataset": "cora", "seed": s, "accuracy": v}
                                               for s, v in ((2, 70.0), (3, 71.0))]
    assert significance(rows, ["a", "b"], ["cora"])[("b", "cora")] == ("unpaired", None)


def test_a_method_run_once_is_never_the_reference():
    # labelprop-like: one run, the highest score; the best of the seeded methods is the reference
    rows = _rows({"once": [95.0]}) + _rows({"a": [80.0, 81.0, 82.0], "b": [70.0, 71.5, 72.0]})
    marks = significance(rows, ["once", "a", "b"], ["cora"])
    assert marks[("once", "cora")] == ("once", None) and marks[("a", "cora")] == ("best tested", None)
    assert marks[("b", "cora")][0] == "differs"
    # only single runs (one seed): nothing is tested
    assert set(significance(_rows({"a": [1.0], "b": [2.0]}), ["a", "b"], ["cora"]).values()) == {("once", None)}


def test_table_shows_the_verdicts_beside_unmarked_cells_and_the_caption_names_the_test():
    values = {"a": [80.0, 81.0, 82.0], "b": [78.0, 78.8, 80.2], "c": [79.0, 79.5, 81.5], "d": [70.0]}
    rows = _rows(values)
    methods = list(values)
    table = markdown_table(summarize(rows, methods, ["cora"]), methods, ["cora"], {"sources": {}},
                           "public", names={"cora": "Cora"}, marks=significance(rows, methods, ["cora"]))
    assert "| method | Cora (ours) | Cora (published) | Cora vs best |" in table
    assert "| a | 81.0 ± 1.0 (3) | — | **best** |" in table
    assert "| b | 79.0 ± 1.1 (3) | — | differs (p = 0.0033) |" in table
    assert "| c | 80.0 ± 1.3 (3) | — | ≈ (p = 0.074) |" in table
    assert "| d | 70.0 (1) | — | n = 1, not tested |" in table
    assert "paired t-test (scipy.stats.ttest_rel)" in SIGNIFICANCE_NOTE and f"p < {ALPHA}" in SIGNIFICANCE_NOTE


def test_the_verdict_columns_follow_every_dataset_s_scores():
    rows = _rows({"a": [80.0, 81.0], "b": [70.0, 72.0]}, "cora") + _rows({"a": [60.0, 62.0], "b": [61.0, 64.0]},
                                                                        "citeseer")
    datasets = ["cora", "citeseer"]
    table = markdown_table(summarize(rows, ["a", "b"], datasets), ["a", "b"], datasets, {"sources": {}}, "public",
                           names={"cora": "Cora", "citeseer": "CiteSeer"}, marks=significance(rows, ["a", "b"], datasets))
    assert ("| method | Cora (ours) | Cora (published) | CiteSeer (ours) | CiteSeer (published) | Cora vs best | "
            "CiteSeer vs best |") in table
    # b on CiteSeer: gaps +1, +2 over a, t = 3, p = 1 - 2 atan(3) / pi
    assert (f"| a | 80.5 ± 0.7 (2) | — | 61.0 ± 1.4 (2) | — | **best** | ≈ (p = "
            f"{1 - 2 * math.atan(3) / math.pi:.2g}) |") in table


@pytest.mark.parametrize("dataset", ["cora", "citeseer"])
def test_each_dataset_has_its_own_best(dataset):
    rows = _rows({"a": [1.0, 2.0], "b": [3.0, 4.0]}, "cora") + _rows({"a": [5.0, 6.0], "b": [1.0, 2.0]}, "citeseer")
    marks = significance(rows, ["a", "b"], ["cora", "citeseer"])
    assert marks[("b" if dataset == "cora" else "a", dataset)] == ("best", None)


@pytest.mark.parametrize("mark, text", [
    (("differs", 0.0), "differs (p < 0.001)"),           # a constant gap
    (("differs", 0.00099), "differs (p < 0.001)"),
    (("differs", 0.0012345), "differs (p = 0.0012)"),
    (("tie", 0.1074), "≈ (p = 0.11)"),
    (("tie", 1.0), "≈ (p = 1)"),
    (("tie", 0.0504), "≈ (p = 0.05)"),
    # two digits would print "p = 0.05" beside "differs", which the caption says means p < 0.05
    (("differs", 0.0496), "differs (p = 0.0496)"),
    (("differs", 0.049996), f"differs (p < {ALPHA})"),
    (("once", None), "n = 1, not tested"),
    (("unpaired", None), "not tested"),
    (("best tested", None), "**best of n ≥ 2**"),
])
def test_verdict_cells_print_p_on_the_side_of_alpha_they_are(mark, text):
    table = markdown_table({}, ["m"], ["cora"], {"sources": {}}, "public", marks={("m", "cora"): mark})
    assert table.splitlines()[-1] == f"| m | — | — | {text} |"
    kind, p = mark
    if p is not None and "p = " in text:
        shown = float(text.split("p = ")[1].rstrip(")"))
        assert (shown < ALPHA) == (p < ALPHA) == (kind == "differs")


def test_a_constant_gap_reads_p_below_a_thousandth_in_the_table():
    values = {"a": [80.0, 82.0, 81.1], "b": [79.0, 81.0, 80.1]}
    rows = _rows(values)
    table = markdown_table(summarize(rows, ["a", "b"], ["cora"]), ["a", "b"], ["cora"], {"sources": {}}, "public",
                           marks=significance(rows, ["a", "b"], ["cora"]))
    assert "| b | 80.0 ± 1.0 (3) | — | differs (p < 0.001) |" in table
