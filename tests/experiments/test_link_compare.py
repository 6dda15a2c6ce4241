from __future__ import annotations

import json

import pytest

from gnnlab.cli import main
from gnnlab.experiments import compare
from gnnlab.experiments.task import LINK


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
    assert "80.5 (Kipf & Welling" in (tmp_path / "default" / "summary.md").read_text()


def test_cli_refuses_a_node_method_for_the_link_task(tmp_path):
    with pytest.raises(SystemExit):
        main(["compare", "--task", "link", "--methods", "mlp", "--out-dir", str(tmp_path)])
