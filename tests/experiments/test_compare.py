"""The comparison end to end: --quick run, resume after SIGKILL, and one-line errors with exit code 2."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gnnlab.cli import main

QUICK = ["compare", "--quick", "--seeds", "1", "--no-tsne", "--quiet"]


def test_quick_run_writes_table_csv_json_and_plots(tmp_path, capsys):
    methods = ["logreg", "labelprop", "deepwalk", "gcn", "gat"]
    assert main(QUICK + ["--out-dir", str(tmp_path), "--run-name", "q", "--methods", *methods]) == 0
    folder = tmp_path / "q"
    for name in ("summary.md", "runs.csv", "runs.json", "accuracy.png", "curves.png"):
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0
    with open(folder / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["method", "dataset", "split", "seed", "accuracy", "train_time", "device"]
    assert {(r["method"], r["dataset"]) for r in rows} == {(m, d) for m in methods for d in ("cora", "citeseer")}
    table = (folder / "summary.md").read_text()
    assert "| method | Cora (ours) | Cora (published) | CiteSeer (ours) | CiteSeer (published) |" in table
    assert "81.5 (Kipf & Welling, ICLR 2017, Table 2)" in table
    assert table in capsys.readouterr().out
    # running it again recomputes nothing
    before = (folder / "runs.json").read_text()
    assert main(QUICK + ["--out-dir", str(tmp_path), "--run-name", "q", "--methods", *methods]) == 0
    assert json.loads((folder / "runs.json").read_text()) == json.loads(before)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_interrupt_then_resume_without_duplicates(tmp_path, stop):
    command = [sys.executable, "-m", "gnnlab", *QUICK, "--out-dir", str(tmp_path), "--run-name", "k",
               "--datasets", "cora", "--methods", "logreg", "labelprop", "mlp", "gcn", "--seeds", "3"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    record = tmp_path / "k" / "runs.json"
    deadline = time.time() + 120
    while time.time() < deadline and (not record.is_file() or len(json.loads(record.read_text() or "[]")) < 2):
        time.sleep(0.05)
    process.send_signal(stop)
    process.wait(timeout=60)
    finished = json.loads(record.read_text())
    assert 2 <= len(finished) < 12, "kill the run mid-way"
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    rows = json.loads(record.read_text())
    keys = [(r["method"], r["seed"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12
    assert rows[:len(finished)] == finished  # finished cells were kept, not recomputed
    with open(tmp_path / "k" / "runs.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 12
    assert not list(Path(tmp_path / "k").glob(".*.tmp"))


@pytest.mark.parametrize("arguments, expected", [
    (["--methods", "gnn"], "argument --methods: invalid choice: 'gnn'"),
    (["--datasets", "pubmed"], "argument --datasets: invalid choice: 'pubmed'"),
    (["--seeds", "0"], "argument --seeds: expected an integer >= 1"),
])
def test_bad_arguments_exit_2_with_one_line(arguments, expected, capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", *arguments])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert expected in error and len(error.splitlines()) == 1 and "Traceback" not in error


def test_unwritable_output_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(QUICK + ["--out-dir", str(blocker)]) == 2
    error = capsys.readouterr().err.strip()
    assert "writable output directory ('out_dir')" in error and len(error.splitlines()) == 1
