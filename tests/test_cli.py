from __future__ import annotations

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
    # the finished checkpoint answers a second call with the same result
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[1] == printed.splitlines()[1]
