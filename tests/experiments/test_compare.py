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


#: ``gnnlab ARGS`` with a second's wait before each cell of the comparison
SLOW_CELLS = """
import sys, time
from gnnlab.experiments import comparison
run = comparison.Comparison.run
comparison.Comparison.run = lambda self, on_cell=None: run(self, on_cell=lambda *cell: time.sleep(1))
from gnnlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_interrupt_then_resume_without_duplicates(tmp_path, stop):
    arguments = [*QUICK, "--out-dir", str(tmp_path), "--run-name", "k", "--datasets", "cora", "--methods", "logreg",
                 "labelprop", "mlp", "gcn", "--seeds", "3"]
    command = [sys.executable, "-m", "gnnlab", *arguments]
    # the command line, with every cell waiting a second first (Comparison.run's on_cell), so the 6 cells left
    # once 2 are written take at least 6 s: the signal below lands mid-run however fast the machine is
    slow = [sys.executable, "-c", SLOW_CELLS, *arguments]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    process = subprocess.Popen(slow, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    record = tmp_path / "k" / "runs.json"

    def finished() -> list:
        return json.loads(record.read_text())["rows"] if record.is_file() else []

    deadline = time.time() + 300
    while len(finished()) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(stop)
    process.wait(timeout=60)
    before = finished()
    assert 2 <= len(before) < 8, "kill the run mid-way"
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    rows = finished()
    keys = [(r["method"], r["seed"]) for r in rows]
    # logreg and labelprop do not depend on the seed: one run each on the public split
    assert len(keys) == len(set(keys)) == 8
    assert {key for key in keys if key[0] in ("logreg", "labelprop")} == {("logreg", 0), ("labelprop", 0)}
    assert rows[:len(before)] == before  # finished cells were kept, not recomputed
    with open(tmp_path / "k" / "runs.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 8
    assert not list(Path(tmp_path / "k").glob(".*.tmp"))


@pytest.mark.parametrize("arguments, expected", [
    (["--methods", "gnn"], "argument --methods: invalid choice: 'gnn'"),
    (["--datasets", "reddit"], "argument --datasets: invalid choice: 'reddit'"),
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


def test_overrides_are_recorded_shown_and_never_mixed(tmp_path, capsys):
    argv = QUICK + ["--out-dir", str(tmp_path), "--run-name", "o", "--datasets", "cora", "--methods", "gcn",
                    "--set", "gcn.hidden_channels=7", "--set", "gcn.train.lr=0.05"]
    assert main(argv) == 0
    record = json.loads((tmp_path / "o" / "runs.json").read_text())
    assert record["overrides"] == {"gcn.hidden_channels": 7, "gcn.lr": 0.05}
    assert isinstance(record["overrides"]["gcn.lr"], float) and record["task"] == "node" and record["quick"]
    table = (tmp_path / "o" / "summary.md").read_text()
    assert "Overrides of the configs: gcn.hidden_channels = 7, gcn.lr = 0.05" in table
    capsys.readouterr()
    # resuming the same run name with other overrides (or none) is refused: one line, exit code 2
    for other in (["--set", "gcn.hidden_channels=8"], []):
        assert main(QUICK + ["--out-dir", str(tmp_path), "--run-name", "o", "--datasets", "cora",
                             "--methods", "gcn", *other]) == 2
        error = capsys.readouterr().err.strip()
        assert "use another run_name" in error and len(error.splitlines()) == 1
    assert json.loads((tmp_path / "o" / "runs.json").read_text()) == record


def test_overrides_reach_the_model(tmp_path, monkeypatch):
    from gnnlab.experiments import Comparison

    comparison = Comparison(["gcn", "mlp"], ["cora"], out_dir=tmp_path, quick=True, verbose=False,
                            overrides={"gcn.hidden_channels": 7, "mlp.hidden_channels": [5, 3]})
    assert comparison.configs["gcn"]["model"]["hidden_channels"] == 7
    assert comparison.configs["mlp"]["model"]["hidden_channels"] == [5, 3]
    assert comparison.configs["gcn"]["train"]["epochs"] == 5  # --quick still applies
    built = []
    from gnnlab import nn

    original = nn.GCN.__init__

    def spy(self, *args, **kwargs):
        built.append(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(nn.GCN, "__init__", spy)
    comparison.methods = ["gcn"]
    comparison.seeds = 1
    comparison.run()
    assert built and built[0]["hidden_channels"] == 7


@pytest.mark.parametrize("assignment, expected", [
    ("gxn.dropout=0.5", "a method from ['deepwalk', 'gat', 'gcn', 'ggnn', 'labelprop', 'logreg', 'mlp', "
                        "'node2vec', 'sage']"),
    ("gcn.hidden=3", "a key of gcn's config (gcn.model.hidden_channels, gcn.model.dropout, gcn.train.lr"),
    ("gcn.hidden_channels=6.5", "'gcn.hidden_channels' to be an integer (its config value is 16)"),
    ("gcn.dropout=high", "'gcn.dropout' to be a number"),
    ("gcn.hidden_channels", "METHOD.KEY=VALUE"),
])
def test_bad_overrides_list_the_valid_choices(assignment, expected):
    from gnnlab.experiments import parse_overrides

    with pytest.raises(ValueError) as info:
        parse_overrides([assignment])
    assert expected in str(info.value)


def test_override_values_are_typed_like_the_toml():
    from gnnlab.experiments import parse_overrides

    assert parse_overrides(["gcn.dropout=1", "gcn.epochs=30", "mlp.hidden_channels=128,64", "ggnn.aggr=sum",
                            "sage.aggr='max'", "mlp.hidden_channels=[32]"]) == {
        "gcn.dropout": 1.0, "gcn.epochs": 30, "mlp.hidden_channels": [32], "ggnn.aggr": "sum", "sage.aggr": "max"}
    assert isinstance(parse_overrides(["gcn.dropout=1"])["gcn.dropout"], float)
    with pytest.raises(ValueError, match="list of integers"):
        parse_overrides(["mlp.hidden_channels=[1.5]"])
    with pytest.raises(ValueError, match="the ones being run"):
        parse_overrides(["gat.dropout=0.1"], methods=["gcn"])


def test_deterministic_methods_run_once_and_show_n_1(tmp_path, capsys):
    assert main(QUICK + ["--out-dir", str(tmp_path), "--run-name", "d", "--datasets", "cora", "--seeds", "2",
                         "--methods", "logreg", "labelprop", "mlp"]) == 0
    with open(tmp_path / "d" / "runs.csv") as handle:
        runs = [(r["method"], r["seed"]) for r in csv.DictReader(handle)]
    assert sorted(runs) == [("labelprop", "0"), ("logreg", "0"), ("mlp", "0"), ("mlp", "1")]
    table = (tmp_path / "d" / "summary.md").read_text()
    assert "| logreg | 57.4 (1) |" in table and "± 0.0" not in table.split("| mlp |")[0]
    assert "| mlp | " in table and " (2) |" in table.split("| mlp |")[1].splitlines()[0]
    assert "logreg, labelprop do not depend on the seed and run once (n = 1)" in table
    # on the random split the data changes with the seed: every method runs per seed
    assert main(QUICK + ["--out-dir", str(tmp_path), "--run-name", "r", "--datasets", "cora", "--seeds", "2",
                         "--methods", "logreg", "--split", "random"]) == 0
    with open(tmp_path / "r" / "runs.csv") as handle:
        assert [r["seed"] for r in csv.DictReader(handle)] == ["0", "1"]


def test_a_new_task_plugs_into_the_runner_report_and_record(tmp_path):
    """A task with its own methods, datasets, splits and two metrics: no code of the runner is copied."""
    from torch_geometric.data import Data

    from gnnlab.experiments import Comparison, MethodResult, Task, compare

    def load(dataset, split, seed):
        return Data(num_nodes=4 if dataset == "small" else 8, seed=seed)

    def method(offset):
        def run(data, config, seed, device, verbose):
            base = config["model"]["base"] + offset
            return MethodResult({"auc": base + 0.01 * seed, "ap": base / 2 + data.seed / 100}, 0.0, "cpu")
        return run

    task = Task(name="toy", description="toy scores", methods={"a": method(0.0), "b": method(0.1)},
                datasets={"small": "Small", "large": "Large"}, load_data=load, splits={"edges": True},
                metrics={"auc": "AUC (%)", "ap": "average precision (%)"}, deterministic=frozenset({"b"}),
                plots=())
    configs = {"a": {"model": {"base": 0.5}}, "b": {"model": {"base": 0.7}}}
    result = compare(["a", "b"], ["small"], split="edges", seeds=2, out_dir=tmp_path, run_name="t",
                     verbose=False, task=task, configs=configs, overrides={"a.base": 0.6})
    with open(tmp_path / "t" / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["method", "dataset", "split", "seed", "auc", "ap", "train_time", "device"]
    # the split changes with the seed, so the deterministic method runs per seed too
    assert [(r["method"], r["seed"], r["auc"], r["ap"]) for r in rows] == [
        ("a", "0", "60.0", "30.0"), ("a", "1", "61.0", "31.0"), ("b", "0", "80.0", "40.0"),
        ("b", "1", "81.0", "41.0")]
    table = result["table"]
    assert "**AUC (%)**" in table and "**average precision (%)**" in table
    assert "| a | 60.5 ± 0.7 (2) | — |" in table and "| b | 40.5 ± 0.7 (2) | — |" in table
    assert "| method | Small (ours) | Small (published) |" in table
    with pytest.raises(ValueError, match="'methods' to be one of \\['a', 'b'\\]"):
        Comparison(["gcn"], ["small"], split="edges", out_dir=tmp_path, task=task, configs=configs)
    with pytest.raises(ValueError, match="use another run_name"):
        Comparison(["a"], ["small"], split="edges", out_dir=tmp_path, run_name="t", task=task, configs=configs)


def scripted_task(task, bases: dict[str, float], offsets: dict[str, float] | None = None):
    """``task`` with methods that train nothing: a method's score is its base, plus its split's offset, plus 0.01
    per seed, plus (for all but the first method) a bit of noise per seed, so that every row of a record tells
    its split and seed, and the t-test has a spread. The data "loaded" is the (split, seed) it was drawn for; the
    one plot records the rows it is given."""
    import dataclasses

    from gnnlab.experiments import MethodResult

    noise, offsets, first = [0.0, 0.004, -0.003, 0.006, 0.001], offsets or {}, next(iter(bases))
    plotted = []

    def method(name):
        def run(data, config, seed, device, verbose):
            split, _ = data
            score = bases[name] + offsets.get(split, 0.0) + 0.01 * seed + noise[seed] * (name != first)
            return MethodResult({metric: score - 0.05 * i for i, metric in enumerate(task.metrics)}, 0.0, "cpu")
        return run

    def plot(comparison, rows, path):
        plotted.append(sorted((r["method"], r["split"], r["seed"]) for r in rows))
        return False

    scripted = dataclasses.replace(task, methods={name: method(name) for name in bases},
                                   load_data=lambda dataset, split, seed: (split, seed), plots=(("spy", plot),))
    return scripted, plotted


def summary_of(tmp_path, task, run_name, **options):
    from gnnlab.experiments import compare

    options = {"split": next(iter(task.splits)), "seeds": 3, **options}
    return compare(list(task.methods), ["cora"], device="cpu", out_dir=tmp_path, run_name=run_name, verbose=False,
                   task=task, **options)["table"]


@pytest.mark.parametrize("order", [(3, 5), (5, 3)])
def test_summary_holds_only_the_seeds_of_this_comparison(tmp_path, order):
    """A run name keeps the rows of every comparison run under it (seeds 0-2 and 0-4 here); the summary of each
    is the summary of a fresh run of that comparison alone."""
    from gnnlab.experiments import NODE

    task, plotted = scripted_task(NODE, {"gcn": 0.5, "mlp": 0.48, "logreg": 0.45}, {"random": 0.1})
    for seeds in order:
        table = summary_of(tmp_path, task, "shared", seeds=seeds)
        assert table == summary_of(tmp_path, task, f"fresh-{seeds}", seeds=seeds)
        assert plotted[-1] == plotted[-2]
        gcn, mlp = {3: ("51.0 ± 1.0 (3)", "49.0 ± 0.9 (3) | 55.1 (Velickovic et al., ICLR 2018, Table 2) | differs "
                        "(p = 0.01)"),
                    5: ("52.0 ± 1.6 (5)", "50.2 ± 1.7 (5) | 55.1 (Velickovic et al., ICLR 2018, Table 2) | differs "
                        "(p < 0.001)")}[seeds]
        assert f"| gcn | {gcn} | 81.5 (Kipf & Welling, ICLR 2017, Table 2) | **best** |" in table
        assert f"| mlp | {mlp} |" in table
        # logreg does not depend on the seed on the public split: one run, whatever --seeds
        assert "| logreg | 45.0 (1) |" in table
        assert plotted[-1] == sorted([("gcn", "public", s) for s in range(seeds)] + [("logreg", "public", 0)]
                                     + [("mlp", "public", s) for s in range(seeds)])
    record = json.loads((tmp_path / "shared" / "runs.json").read_text())
    assert len(record["rows"]) == 5 + 5 + 1  # both comparisons are kept, neither recomputed


@pytest.mark.parametrize("order", [("public", "random"), ("random", "public")])
def test_summary_holds_only_the_split_of_this_comparison_and_published_figures_only_beside_the_public_one(
        tmp_path, order):
    from gnnlab.experiments import NODE

    task, plotted = scripted_task(NODE, {"gcn": 0.5, "mlp": 0.48, "logreg": 0.45}, {"random": 0.1})
    for split in order:
        table = summary_of(tmp_path, task, "shared", split=split)
        assert table == summary_of(tmp_path, task, f"fresh-{split}", split=split)
        assert {row[1] for row in plotted[-1]} == {split}
        if split == "public":
            assert "| gcn | 51.0 ± 1.0 (3) | 81.5 (Kipf & Welling, ICLR 2017, Table 2) | **best** |" in table
            assert ("| mlp | 49.0 ± 0.9 (3) | 55.1 (Velickovic et al., ICLR 2018, Table 2) | differs (p = 0.01) |"
                    in table)
            assert "| logreg | 45.0 (1) | — | n = 1, not tested |" in table
            assert "; logreg do not depend on the seed and run once (n = 1);" in table
        else:
            # the papers measured the public split: their figures are not comparable with a random split's
            assert "| gcn | 61.0 ± 1.0 (3) | — | **best** |" in table
            assert "| mlp | 59.0 ± 0.9 (3) | — | differs (p = 0.01) |" in table
            # per seed: the data changes with the seed
            assert "| logreg | 56.0 ± 0.9 (3) | — | differs (p = 0.0017) |" in table
            assert "Kipf" not in table and "Velickovic" not in table
            assert "do not depend on the seed" not in table
            assert "on the random split" in table
    assert len(json.loads((tmp_path / "shared" / "runs.json").read_text())["rows"]) == 7 + 9


def test_cli_summary_of_a_reused_run_name_is_this_comparison_s(tmp_path, monkeypatch, capsys):
    from gnnlab.experiments import NODE, TASKS

    task, _ = scripted_task(NODE, {"gcn": 0.5, "mlp": 0.48}, {"random": 0.1})
    monkeypatch.setitem(TASKS, "node", task)
    argv = ["compare", "--quiet", "--datasets", "cora", "--out-dir", str(tmp_path), "--device", "cpu"]
    assert main(argv + ["--seeds", "5", "--split", "random"]) == 0
    assert main(argv + ["--seeds", "2"]) == 0
    printed = capsys.readouterr().out
    summary = (tmp_path / "node" / "summary.md").read_text()
    assert summary in printed and "on the public split" in summary and "(5)" not in summary
    assert "| gcn | 50.5 ± 0.7 (2) | 81.5 (Kipf & Welling, ICLR 2017, Table 2) | **best** |" in summary
    assert "| mlp | 48.7 ± 1.0 (2) | 55.1 (Velickovic et al., ICLR 2018, Table 2) |" in summary


def test_resume_refuses_a_method_whose_config_changed(tmp_path, monkeypatch, capsys):
    """An edited config file (or a script's ``configs``) between two runs of one name: the finished cells are of
    the old hyper-parameters, so resuming is refused rather than mixing them with new cells in one summary."""
    from gnnlab.experiments import NODE, compare, comparison, load_config

    task, _ = scripted_task(NODE, {"gcn": 0.5, "mlp": 0.48})
    summary_of(tmp_path, task, "c", seeds=2)
    record = json.loads((tmp_path / "c" / "runs.json").read_text())
    assert record["configs"] == {"gcn": load_config("gcn"), "mlp": load_config("mlp")}
    original = comparison.load_config

    def edited(method, *args, **kwargs):  # gcn.toml with another learning rate
        config = original(method, *args, **kwargs)
        if method == "gcn":
            config["train"]["lr"] = 0.02
        return config

    monkeypatch.setattr(comparison, "load_config", edited)
    with pytest.raises(ValueError, match="the config of 'gcn' that run 'c' was started with.*use another run_name"):
        summary_of(tmp_path, task, "c", seeds=3)
    other = {"gcn": {**load_config("gcn"), "model": {"hidden_channels": 8, "dropout": 0.5}}}
    monkeypatch.setattr(comparison, "load_config", original)
    with pytest.raises(ValueError, match="the config of 'gcn'"):
        summary_of(tmp_path, task, "c", seeds=3, configs=other)
    assert json.loads((tmp_path / "c" / "runs.json").read_text()) == record  # nothing ran
    # through the command line: one line, exit code 2
    monkeypatch.setattr(comparison, "load_config", edited)
    from gnnlab.experiments import TASKS

    monkeypatch.setitem(TASKS, "node", task)
    assert main(["compare", "--quiet", "--datasets", "cora", "--methods", "gcn", "--seeds", "2", "--out-dir",
                 str(tmp_path), "--run-name", "c"]) == 2
    error = capsys.readouterr().err.strip()
    assert "the config of 'gcn'" in error and "'lr': 0.02" in error and len(error.splitlines()) == 1
    # the other method's config is unchanged: it resumes, and its new cell joins the old ones
    compare(["mlp"], ["cora"], seeds=3, device="cpu", out_dir=tmp_path, run_name="c", verbose=False, task=task)
    resumed = json.loads((tmp_path / "c" / "runs.json").read_text())
    assert sorted((r["method"], r["seed"]) for r in resumed["rows"]) == [("gcn", 0), ("gcn", 1), ("mlp", 0),
                                                                         ("mlp", 1), ("mlp", 2)]
    assert resumed["configs"] == record["configs"]  # gcn's finished cells keep the config they ran with


def test_cli_no_tsne_skips_only_the_tsne_plot(tmp_path, monkeypatch):
    import dataclasses

    from gnnlab.experiments import NODE, TASKS

    task, _ = scripted_task(NODE, {"gcn": 0.5})
    drawn = []

    def plot(name):
        def draw(comparison, rows, path):
            drawn.append(name)
            path.write_bytes(b"png")
            return True
        return draw

    monkeypatch.setitem(TASKS, "node", dataclasses.replace(task, plots=tuple((n, plot(n)) for n in
                                                                             ("accuracy", "curves", "tsne"))))
    argv = ["compare", "--quiet", "--datasets", "cora", "--seeds", "1", "--out-dir", str(tmp_path)]
    assert main(argv + ["--no-tsne"]) == 0
    assert drawn == ["accuracy", "curves"] and not (tmp_path / "node" / "tsne.png").exists()
    assert main(argv) == 0
    assert drawn[2:] == ["accuracy", "curves", "tsne"] and (tmp_path / "node" / "tsne.png").is_file()


def test_each_task_and_mode_has_its_own_default_folder(tmp_path):
    # one shared results/default refused a link run after a node run, and mixed smoke tests with results
    from gnnlab.experiments import compare

    options = dict(seeds=1, device="cpu", out_dir=tmp_path, verbose=False, tsne=False)
    compare(["labelprop"], ["cora"], **options)
    compare(["labelprop"], ["cora"], quick=True, **options)
    compare(["sc"], ["cora"], quick=True, task="link", **options)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link-quick", "node", "node-quick"]
    records = {name: json.loads((tmp_path / name / "runs.json").read_text()) for name in ("node", "node-quick")}
    assert records["node"]["quick"] is False and records["node-quick"]["quick"] is True
