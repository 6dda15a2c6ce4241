"""``experiments/gnn_accuracy.py``: its reference model (``gat-pyg``) is gnnlab's GAT built from PyG's layers, and
every model reads the package's configs (no copy of the hyper-parameters in the script)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gnnlab.experiments import NODE, load_config
from gnnlab.nn import GAT
from tests.conftest import load_script

SCRIPT = Path(__file__).parents[2] / "experiments" / "gnn_accuracy.py"


@pytest.fixture(scope="module")
def script():
    return load_script(SCRIPT)


def test_pyg_reference_gat_equals_gnnlab_gat_with_the_same_weights(script, cora):
    torch.manual_seed(0)
    reference = script.PyGGAT(cora.num_features, 7, **load_config("gat")["model"])
    ours = GAT(cora.num_features, 7, **load_config("gat")["model"])
    ours.load_state_dict({key.replace("conv1.", "convs.0.").replace("conv2.", "convs.1."): value
                          for key, value in reference.state_dict().items()})
    reference.eval()
    ours.eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(cora.x, cora.edge_index), reference(cora.x, cora.edge_index),
                                   atol=1e-5, rtol=1e-5)
    # in training mode the reference drops out: its outputs differ from evaluation's
    reference.train()
    assert not torch.allclose(reference(cora.x, cora.edge_index), reference.eval()(cora.x, cora.edge_index))


def test_models_read_the_package_configs(script):
    task, configs = script.task_and_configs()
    assert "gat-pyg" in task.methods and "gat-pyg" not in script.DEFAULT_MODELS
    gat = load_config("gat")
    assert configs["gat-pyg"] == {**gat, "train": {**gat["train"], "sparse": False}}  # its PubMed table too
    sage = load_config("sage")
    assert configs["sage-minibatch"]["model"] == sage["model"]
    assert configs["sage-minibatch"]["train"] == {**sage["train"], "epochs": 100, "batch_size": 64,
                                                  "num_neighbors": [25, 10]}
    # the task's own GNNs have no config here: the comparison reads theirs from the package
    assert set(configs) == {"sage-minibatch", "gat-pyg"}
    assert task.methods["gcn"] is NODE.methods["gcn"]
    assert not hasattr(script, "SETTINGS") and "lr" not in SCRIPT.read_text().split("EXTRA_MODELS = {")[1]


def test_script_runs_through_the_comparison(script, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["gnn_accuracy.py", "--seeds", "1", "--datasets", "cora", "--models", "gcn",
                                     "--out-dir", str(tmp_path), "--quiet"])
    original = script.compare  # the script's own call, made a smoke test (5 epochs)
    monkeypatch.setattr(script, "compare", lambda *args, **kwargs: original(*args, **{**kwargs, "quick": True}))
    script.main()
    out = capsys.readouterr().out
    assert "| method | Cora (ours) | Cora (published) |" in out and "| gcn | " in out
    assert (tmp_path / "gnn_accuracy" / "runs.json").is_file()
