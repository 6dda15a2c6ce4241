from __future__ import annotations

import pytest
from scipy.stats import ttest_rel

from gnnlab.experiments.report import ALPHA, markdown_table, significance, summarize


def _rows(values: dict[str, list[float]], dataset: str = "cora") -> list[dict]:
    return [{"method": m, "dataset": dataset, "split": "public", "seed": seed, "accuracy": v}
            for m, series in values.items() for seed, v in enumerate(series)]


def test_marks_follow_a_paired_t_test():
    values = {"a": [80.0, 81.0, 82.0, 80.5, 81.5],   # the best
              "b": [79.9, 81.2, 81.7, 80.6, 81.3],   # within noise of a
              "c": [78.0, 79.1, 80.2, 78.4, 79.6],   # clearly below
              "d": [70.0]}                           # one run: nothing to pair
    marks = significance(_rows(values), list(values), ["cora"])
    assert marks == {("a", "cora"): "best", ("b", "cora"): "tie", ("c", "cora"): "differs",
                     ("d", "cora"): "untested"}
    assert ttest_rel(values["b"], values["a"]).pvalue >= ALPHA > ttest_rel(values["c"], values["a"]).pvalue


def test_pairs_only_the_shared_seeds_and_a_constant_offset_differs():
    values = {"a": [80.0, 82.0, 81.0], "b": [79.0, 81.0, 80.0]}  # b = a - 1 on every seed: NaN in scipy
    assert significance(_rows(values), ["a", "b"], ["cora"])[("b", "cora")] == "differs"
    rows = _rows({"a": [80.0, 82.0, 81.0, 90.0]}) + _rows({"b": [80.1, 81.9, 81.0]})
    # the fourth seed of a has no partner: b ties a on the three shared seeds
    assert significance(rows, ["a", "b"], ["cora"])[("b", "cora")] == "tie"


def test_table_shows_the_marks():
    values = {"a": [80.0, 81.0, 82.0], "b": [70.0, 71.5, 72.0]}
    rows = _rows(values)
    table = markdown_table(summarize(rows, ["a", "b"], ["cora"]), ["a", "b"], ["cora"], {"sources": {}},
                           "public", marks=significance(rows, ["a", "b"], ["cora"]))
    assert "| a | **81.0 ± 1.0 (3)** |" in table and "| b | 71.2 ± 1.0 (3) |" in table


@pytest.mark.parametrize("dataset", ["cora", "citeseer"])
def test_each_dataset_has_its_own_best(dataset):
    rows = _rows({"a": [1.0, 2.0], "b": [3.0, 4.0]}, "cora") + _rows({"a": [5.0, 6.0], "b": [1.0, 2.0]}, "citeseer")
    marks = significance(rows, ["a", "b"], ["cora", "citeseer"])
    assert marks[("b" if dataset == "cora" else "a", dataset)] == "best"
