from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from gnnlab.cli import main


def test_train_reports_accuracy(capsys):
    assert main(["train", "gcn", "--dataset", "cora", "--epochs", "5", "--quiet"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_embed_writes_array(tmp_path, capsys):
    out = tmp_path / "cora.npy"
    assert main(["embed", "deepwalk", "--dataset", "cora", "--dimensions", "8", "--out", str(out), "--quiet"]) == 0
    assert np.load(out).shape == (2708, 8)
    assert "test accuracy" in capsys.readouterr().out


def test_datasets_table(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "| Cora | 2708 | 10556 | 1433 | 7 | 140/500/1000 |" in out
    assert "| NCI1 | 4110 | 122747 | 265506 | 37 | 2 | found |" in out
    assert "| IMDB-BINARY | 1000 | 19773 | 193062 | degree | 2 | found |" in out


@pytest.mark.parametrize("argv", [["train", "gxn"], ["embed", "node2vec", "--out", "x.npy", "--p", "0"],
                                  ["babi", "--tasks", "19"], ["babi", "--set", "babi4.nope=1"]])
def test_errors_are_one_line_exit_2(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error


def test_train_mini_batch_on_a_synthetic_graph_with_checkpoint(tmp_path, capsys):
    checkpoint, out = tmp_path / "sage.ckpt", tmp_path / "history.json"
    argv = ["train", "sage", "--dataset", "synthetic", "--num-nodes", "3000", "--batch-size", "256",
            "--num-neighbors", "5", "5", "--epochs", "2", "--quiet", "--checkpoint", str(checkpoint), "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "mini-batches of 256" in printed and "synthetic-3000" in printed
    assert checkpoint.is_file() and out.is_file()
    # the finished checkpoint answers a second call with the same result (the time it reports may differ: the
    # second call adds the time it takes to load and evaluate)
    assert main(argv) == 0
    untimed = [re.sub(r"in [0-9.]+ s", "in ? s", out.splitlines()[1]) for out in (capsys.readouterr().out, printed)]
    assert untimed[0] == untimed[1] and "epochs in ? s" in untimed[0]


def test_train_reads_the_config_and_takes_overrides(tmp_path, capsys):
    out = tmp_path / "history.json"
    assert main(["train", "gat", "--epochs", "2", "--quiet", "--set", "heads=2", "--set", "gat.hidden_channels=3",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("GAT(1433, 7") and "hidden_channels=3" in printed and " heads=2" in printed
    config = json.loads(out.read_text())["config"]
    # the paper's settings from gnnlab/experiments/configs/node/gat.toml, then --set and --epochs
    assert config["model"]["dropout"] == 0.6 and config["train"]["lr"] == 0.005
    assert config["train"]["epochs"] == 2 and config["model"]["heads"] == 2


@pytest.mark.parametrize("argv, expected", [
    (["train", "gcn", "--set", "sage.lr=0.1"], "a method from ['gcn']"),
    (["train", "gcn", "--set", "gcn.heads=2"], "a key of gcn's config"),
    (["train", "gcn", "--dataset", "synthetic", "--split", "public"], "--split public does not apply"),
])
def test_train_refuses_what_it_would_ignore(argv, expected, capsys):
    assert main(argv + ["--epochs", "1", "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert expected in error and len(error.splitlines()) == 1


def test_train_synthetic_names_its_own_split(capsys):
    assert main(["train", "gcn", "--dataset", "synthetic", "--num-nodes", "200", "--epochs", "1", "--quiet"]) == 0
    assert "synthetic-200 (random 60/20/20 split)" in capsys.readouterr().out


def test_compare_task_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", "--task", "nope"])
    assert info.value.code == 2
    assert "argument --task: invalid choice: 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "--task {node" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["compare", "--help"], ["train", "--help"], ["babi", "--help"],
                                  ["datasets"]])
def test_help_and_datasets_do_not_load_torch(argv):
    # the parser is built from gnnlab._catalog (plain data); PyTorch alone takes seconds to import
    code = ("import sys, runpy\nsys.argv = ['gnnlab', *sys.argv[1:]]\ntry:\n    runpy.run_module('gnnlab', "
            "run_name='__main__')\nexcept SystemExit as stop:\n    assert stop.code in (0, None), stop.code\n"
            "heavy = sorted(m for m in ('torch', 'torch_geometric', 'numpy', 'gnnlab.nn', 'gnnlab.data') "
            "if m in sys.modules)\nassert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


def test_the_catalog_describes_what_the_library_loads_and_runs():
    from gnnlab import _catalog, nn
    from gnnlab.data import DATASETS, load_planetoid, num_classes
    from gnnlab.experiments import TASKS
    from gnnlab.experiments.methods import GNN_MODELS

    assert DATASETS == _catalog.DATASETS and GNN_MODELS == _catalog.GNN_MODELS
    assert all(isinstance(getattr(nn, name), type) for name in GNN_MODELS.values())
    for name, size in _catalog.DATASET_SIZES.items():
        data = load_planetoid(name)
        split = tuple(int(mask.sum()) for mask in (data.train_mask, data.val_mask, data.test_mask))
        assert (data.num_nodes, data.num_edges, data.num_features, num_classes(data), split) == (
            size["nodes"], size["edges"], size["features"], size["classes"], size["split"]), name
    assert list(TASKS) == list(_catalog.TASKS)
    for name, info in _catalog.TASKS.items():
        task = TASKS[name]
        assert (tuple(task.methods), tuple(task.datasets), tuple(task.splits), task.description) == (
            info.methods, info.datasets, info.splits, info.description), name
        assert tuple(plot for plot, _ in task.plots) == info.plots, name
        assert (task.default_datasets, task.default_seeds, task.seed_name) == (
            info.default_datasets, info.default_seeds, info.seed_name), name
    from gnnlab.data.babi import BABI_TASKS
    assert all(BABI_TASKS[task][0] in ("node", "graph") for task in _catalog.BABI_TRAINABLE_TASKS)
    for name, size in _catalog.TU_SIZES.items():  # tests/data/test_tu.py checks them against the loaded graphs
        assert set(size) == {"graphs", "nodes", "edges", "classes", "features"}, name


def test_datasets_says_which_files_are_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GNNLAB_DATA", str(tmp_path))
    assert main(["datasets"]) == 1
    captured = capsys.readouterr()
    assert "| Cora | 2708 | 10556 | 1433 | 7 | 140/500/1000 | missing 8 |" in captured.out
    assert f"missing 8 of the 8 Planetoid files in {tmp_path / 'Cora' / 'raw'}" in captured.err
    assert "| MUTAG | 188 | 3371 | 7442 | 7 | 2 | missing 3 |" in captured.out
    assert f"{tmp_path / 'TU' / 'MUTAG' / 'raw'}" in captured.err


def test_babi_writes_its_table_and_runs(tmp_path, capsys):
    out = tmp_path / "babi"
    assert main(["babi", "--tasks", "4", "--quick", "--quiet", "--num-train", "5", "--set", "babi4.lr=0.02",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| bAbI task | test accuracy (%) | Li et al. (%)" in printed and "| 4 | " in printed
    assert f"results in {out}: table.md, babi.json" in printed
    runs = json.loads((out / "babi.json").read_text())["4"]
    assert runs["num_train_stories"] == 5 and runs["config"]["train"]["lr"] == 0.02 and list(runs["seeds"]) == ["0"]
    assert (out / "table.md").read_text() == printed.split("\nresults in")[0].rstrip("\n") + "\n"
