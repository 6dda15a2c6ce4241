from __future__ import annotations

import json
import re

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
    assert "| Cora | 2708 | 10556 | 1433 | 7 | 140/500/1000 |" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["train", "gxn"], ["embed", "node2vec", "--out", "x.npy", "--p", "0"]])
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
