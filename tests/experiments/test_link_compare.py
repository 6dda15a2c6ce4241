from __future__ import annotations

import json

import pytest

from gnnlab.cli import main
from gnnlab.experiments import compare
from gnnlab.experiments.task import LINK
from tests.experiments.test_compare import scripted_task, summary_of


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("link")
    result = compare(["sc", "gae"], ["cora"], split="random", seeds=2, device="cpu", out_dir=out, quick=True,
                     verbose=False, task="link")
    return out, result


def test_table_has_both_metrics_beside_the_published_figures(finished):
    _, result = finished
    table = result["table"]
    assert "**test ROC-AUC (%)**" in table and "**test average precision (%)**" in table
    assert "84.6 (Kipf & Welling, NIPS BDL 2016, Table 1)" in table  # SC, Cora, AUC
    assert "88.5 (Kipf & Welling, NIPS BDL 2016, Table 1)" in table  # SC, Cora, AP
    assert "paired t-test" in table and "scipy.stats.ttest_rel" in table
    for plot in ("scores", "roc", "curves"):
        assert result[f"{plot}_plot"].is_file()


def test_runs_record_auc_and_ap_and_resume(finished, monkeypatch):
    out, result = finished
    record = json.loads(result["json"].read_text())
    assert record["task"] == "link" and len(record["rows"]) == 4
    assert result["csv"].read_text().splitlines()[0] == "method,dataset,split,seed,auc,ap,train_time,device"
    # a second call finds every cell done and runs nothing
    monkeypatch.setitem(LINK.methods, "gae", lambda *args: pytest.fail("a finished cell ran again"))
    monkeypatch.setitem(LINK.methods, "sc", lambda *args: pytest.fail("a finished cell ran again"))
    again = compare(["sc", "gae"], ["cora"], split="random", seeds=2, device="cpu", out_dir=out, quick=True,
                    verbose=False, task="link")
    assert again["table"] == result["table"]


def test_cli_task_link(tmp_path, capsys):
    code = main(["compare", "--task", "link", "--methods", "sc", "--datasets", "citeseer", "--seeds", "1",
                 "--quick", "--quiet", "--out-dir", str(tmp_path), "--device", "cpu"])
    assert code == 0
    assert "80.5 (Kipf & Welling" in (tmp_path / "link-quick" / "summary.md").read_text()


def test_cli_refuses_a_node_method_for_the_link_task(tmp_path):
    with pytest.raises(SystemExit):
        main(["compare", "--task", "link", "--methods", "mlp", "--out-dir", str(tmp_path)])


#: the scripted rows of gae and sc, for each number of seeds: (AUC table, AP table)
_LINES = {
    3: (["| gae | 91.0 ± 1.0 (3) | 91.0 (Kipf & Welling, NIPS BDL 2016, Table 1) | **best** |",
         "| sc | 86.0 ± 0.9 (3) | 84.6 (Kipf & Welling, NIPS BDL 2016, Table 1) | differs (p = 0.0017) |"],
        ["| gae | 86.0 ± 1.0 (3) | 92.0 (Kipf & Welling, NIPS BDL 2016, Table 1) | **best** |",
         "| sc | 81.0 ± 0.9 (3) | 88.5 (Kipf & Welling, NIPS BDL 2016, Table 1) | differs (p = 0.0017) |"]),
    5: (["| gae | 92.0 ± 1.6 (5) | 91.0 (Kipf & Welling, NIPS BDL 2016, Table 1) | **best** |",
         "| sc | 87.2 ± 1.7 (5) | 84.6 (Kipf & Welling, NIPS BDL 2016, Table 1) | differs (p < 0.001) |"],
        ["| gae | 87.0 ± 1.6 (5) | 92.0 (Kipf & Welling, NIPS BDL 2016, Table 1) | **best** |",
         "| sc | 82.2 ± 1.7 (5) | 88.5 (Kipf & Welling, NIPS BDL 2016, Table 1) | differs (p < 0.001) |"]),
    2: (["| gae | 90.5 ± 0.7 (2) | 91.0 (Kipf & Welling, NIPS BDL 2016, Table 1) | **best** |",
         "| sc | 85.7 ± 1.0 (2) | 84.6 (Kipf & Welling, NIPS BDL 2016, Table 1) | differs (p = 0.027) |"],
        ["| gae | 85.5 ± 0.7 (2) | 92.0 (Kipf & Welling, NIPS BDL 2016, Table 1) | **best** |",
         "| sc | 80.7 ± 1.0 (2) | 88.5 (Kipf & Welling, NIPS BDL 2016, Table 1) | differs (p = 0.027) |"]),
}


@pytest.mark.parametrize("order", [(3, 5, 2), (5, 2, 3)])
def test_summary_holds_only_the_seeds_of_this_comparison(tmp_path, order):
    """Under one run name, seeds 0-2, 0-4 and 0-1 in turn: each summary (both metrics, the published figures
    beside them: the link task's one split is theirs) and the plots see only their own seeds, and equal a
    fresh run's."""
    task, plotted = scripted_task(LINK, {"gae": 0.9, "sc": 0.85})
    for seeds in order:
        table = summary_of(tmp_path, task, "shared", seeds=seeds)
        assert table == summary_of(tmp_path, task, f"fresh-{seeds}", seeds=seeds)
        assert plotted[-1] == plotted[-2] == sorted((m, "random", s) for m in ("gae", "sc") for s in range(seeds))
        auc, ap = table.split("**test average precision (%)**")
        assert [line for line in auc.splitlines() if line.startswith(("| gae", "| sc"))] == _LINES[seeds][0]
        assert [line for line in ap.splitlines() if line.startswith(("| gae", "| sc"))] == _LINES[seeds][1]
    assert len(json.loads((tmp_path / "shared" / "runs.json").read_text())["rows"]) == 2 * 5


def test_cli_set_takes_the_link_task_s_configs(tmp_path, monkeypatch, capsys):
    from gnnlab.experiments import TASKS, load_config

    task, _ = scripted_task(LINK, {"gae": 0.9, "sc": 0.85})
    monkeypatch.setitem(TASKS, "link", task)
    assert main(["compare", "--task", "link", "--quiet", "--datasets", "cora", "--seeds", "2", "--out-dir",
                 str(tmp_path), "--set", "gae.epochs=7", "--set", "sc.n_components=4"]) == 0
    record = json.loads((tmp_path / "link" / "runs.json").read_text())
    assert record["overrides"] == {"gae.epochs": 7, "sc.n_components": 4}
    assert record["configs"]["gae"] == load_config("gae", task="link", overrides={"gae.epochs": 7})
    assert record["configs"]["gae"]["train"]["epochs"] == 7 and record["configs"]["sc"]["model"]["n_components"] == 4
    assert "Overrides of the configs: gae.epochs = 7, sc.n_components = 4" in capsys.readouterr().out
    # a key that gae's link config does not have is refused
    assert main(["compare", "--task", "link", "--quiet", "--methods", "gae", "--set", "gae.heads=2",
                 "--out-dir", str(tmp_path)]) == 2
    assert "a key of gae's config" in capsys.readouterr().err
