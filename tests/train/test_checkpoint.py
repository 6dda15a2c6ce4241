"""Checkpoints: atomic, safe to load, and resuming after a SIGKILL ends exactly like an uninterrupted run."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import torch

from gnnlab.nn import GCN, GraphSAGE
from gnnlab.regularize import EarlyStopping
from gnnlab.train import Checkpoint, fit_node_classifier

TIMING = ("seconds", "train_time")

# a training run in a child process: full batch GCN with dropout, or mini-batch GraphSAGE with sampling
CHILD = """
import sys, time, torch
from gnnlab.data import load_planetoid
from gnnlab.nn import GCN, GraphSAGE
from gnnlab.train import fit_node_classifier
torch.set_num_threads(1)
kind, path, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
hold_after = int(sys.argv[4]) if len(sys.argv) > 4 else None

def hold(epoch, metrics):  # once epoch `hold_after` is checkpointed, wait to be killed
    if epoch == hold_after:
        time.sleep(600)

data = load_planetoid("cora")
torch.manual_seed(0)
if kind == "gcn":
    model = GCN(data.num_features, 7)
    fit_node_classifier(model, data, epochs=epochs, seed=1, checkpoint=path, verbose=False, on_epoch_end=hold)
else:
    model = GraphSAGE(data.num_features, 7)
    fit_node_classifier(model, data, epochs=epochs, seed=1, checkpoint=path, batch_size=32, num_neighbors=[5, 5],
                        verbose=False, on_epoch_end=hold)
"""


def _uninterrupted(kind: str, epochs: int):
    from gnnlab.data import load_planetoid

    torch.set_num_threads(1)
    data = load_planetoid("cora")
    torch.manual_seed(0)
    model = GCN(data.num_features, 7) if kind == "gcn" else GraphSAGE(data.num_features, 7)
    options = {} if kind == "gcn" else {"batch_size": 32, "num_neighbors": [5, 5]}
    try:
        history = fit_node_classifier(model, data, epochs=epochs, seed=1, verbose=False, **options)
    finally:
        torch.set_num_threads(2)
    return model, history


def _same_history(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for key in a:
        if key not in TIMING:
            assert a[key] == b[key], key


@pytest.mark.parametrize("kind, epochs, kill_after", [("gcn", 400, 40), ("sage", 40, 4)])
def test_resume_after_sigkill_matches_an_uninterrupted_run(tmp_path, kind, epochs, kill_after):
    path = tmp_path / "run.ckpt"
    command = [sys.executable, "-c", CHILD, kind, str(path), str(epochs)]
    # the run holds still once epoch `kill_after` is checkpointed, so it is killed there on any machine
    child = subprocess.Popen([*command, str(kill_after)])
    deadline = time.monotonic() + 300
    while not (path.exists() and Checkpoint(path).load()["epoch"] >= kill_after):
        assert child.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run did not reach the epoch to be killed at"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    interrupted_at = Checkpoint(path).load()["epoch"]
    assert interrupted_at == kill_after < epochs - 1

    resumed = subprocess.run(command, timeout=300)
    assert resumed.returncode == 0
    state = Checkpoint(path).load()
    assert not state["stopped"] and state["epoch"] == epochs - 1
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]  # no temporary file left behind

    model, history = _uninterrupted(kind, epochs)
    _same_history({key: state["history"][key] for key in history if key in state["history"]},
                  {key: history[key] for key in state["history"]})
    for name, value in model.state_dict().items():
        assert torch.equal(state["best"]["state"][name], value), name  # the selected weights
    # and a fresh call on the finished checkpoint returns that result without training
    torch.manual_seed(0)
    from gnnlab.data import load_planetoid

    data = load_planetoid("cora")
    again = GCN(data.num_features, 7) if kind == "gcn" else GraphSAGE(data.num_features, 7)
    options = {} if kind == "gcn" else {"batch_size": 32, "num_neighbors": [5, 5]}
    repeat = fit_node_classifier(again, data, epochs=epochs, seed=1, checkpoint=path, verbose=False, **options)
    _same_history(repeat, history)
    for name, value in model.state_dict().items():
        assert torch.equal(again.state_dict()[name], value), name


def test_continuing_to_more_epochs_equals_one_longer_run(tmp_path, karate):
    stopper = EarlyStopping(patience=1000, monitor="val_loss")
    path = tmp_path / "c.ckpt"
    torch.manual_seed(0)
    model = GCN(34, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    fit_node_classifier(model, karate, optimizer=optimizer, scheduler=scheduler, early_stopping=stopper, epochs=5,
                        seed=2, checkpoint=path, verbose=False)
    torch.manual_seed(0)
    model = GCN(34, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    stopper = EarlyStopping(patience=1000, monitor="val_loss")
    resumed = fit_node_classifier(model, karate, optimizer=optimizer, scheduler=scheduler, early_stopping=stopper,
                                  epochs=12, seed=2, checkpoint=path, verbose=False)

    torch.manual_seed(0)
    reference = GCN(34, 2)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    scheduler_ref = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    stopper_ref = EarlyStopping(patience=1000, monitor="val_loss")
    straight = fit_node_classifier(reference, karate, optimizer=optimizer, scheduler=scheduler_ref,
                                   early_stopping=stopper_ref, epochs=12, seed=2, verbose=False)
    _same_history(resumed, straight)
    assert scheduler.state_dict() == scheduler_ref.state_dict()
    assert stopper.state_dict()["epoch"] == stopper_ref.state_dict()["epoch"] == 11
    for a, b in zip(model.parameters(), reference.parameters()):
        assert torch.equal(a, b)


def test_checkpoint_from_another_run_is_refused(tmp_path, karate):
    path = tmp_path / "other.ckpt"
    fit_node_classifier(GCN(34, 2), karate, epochs=2, seed=0, checkpoint=path, verbose=False)
    with pytest.raises(ValueError, match="seed"):
        fit_node_classifier(GCN(34, 2), karate, epochs=4, seed=1, checkpoint=path, verbose=False)
    with pytest.raises(ValueError, match="model"):
        fit_node_classifier(GCN(34, 2, hidden_channels=8), karate, epochs=4, seed=0, checkpoint=path, verbose=False)


class _RunsCode:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_checkpoint_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    raw = tmp_path / "raw.ckpt"
    raw.write_bytes(pickle.dumps({"format": "gnnlab-checkpoint", "version": 1, "state": _RunsCode(str(marker))}))
    zipped = tmp_path / "zipped.ckpt"
    torch.save({"format": "gnnlab-checkpoint", "version": 1, "state": {"x": _RunsCode(str(marker))}}, zipped)
    for path in (raw, zipped):
        with pytest.raises(ValueError, match="weights_only"):
            Checkpoint(path).load()
        assert not marker.exists()
    with pytest.raises(ValueError, match="weights_only"):
        fit_node_classifier(GCN(4, 2), _tiny_data(), epochs=1, checkpoint=zipped, verbose=False)
    assert not marker.exists()


def _tiny_data():
    from torch_geometric.data import Data

    data = Data(x=torch.randn(4, 4), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]), y=torch.tensor([0, 1, 0, 1]))
    data.train_mask = torch.tensor([True, True, False, False])
    data.val_mask = torch.tensor([False, False, True, False])
    data.test_mask = torch.tensor([False, False, False, True])
    return data


def test_files_that_are_not_checkpoints(tmp_path):
    bare = tmp_path / "weights.pt"
    torch.save(GCN(4, 2).state_dict(), bare)
    with pytest.raises(ValueError, match="gnnlab checkpoint"):
        Checkpoint(bare).load()
    good = tmp_path / "good.ckpt"
    Checkpoint(good).save({"epoch": 3})
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(good.read_bytes()[:40])
    text = tmp_path / "text.ckpt"
    text.write_text("hello")
    for path in (truncated, text):
        with pytest.raises(ValueError, match="weights_only"):
            Checkpoint(path).load()
    with pytest.raises(FileNotFoundError, match="no such file"):
        Checkpoint(tmp_path / "missing.ckpt").load()
    assert Checkpoint(good).load() == {"epoch": 3}
    assert zipfile.is_zipfile(good)


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "a.ckpt"
    store = Checkpoint(path)
    store.save({"epoch": 1})

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError):
        store.save({"epoch": 2})
    monkeypatch.undo()
    assert store.load() == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.ckpt"]  # no temporary file left behind


def test_repr_and_bad_path():
    assert repr(Checkpoint("x.ckpt")) == "Checkpoint('x.ckpt')"
    with pytest.raises(TypeError, match="path"):
        Checkpoint(3)


@pytest.mark.training
@pytest.mark.parametrize("options", [{}, {"batch_size": 8, "num_neighbors": [3, 3]}], ids=["full", "mini-batch"])
def test_an_early_stopped_run_is_not_trained_further_from_its_checkpoint(tmp_path, karate, options):
    """Called again on the checkpoint of a run that stopped early, with the same or a larger ``epochs``, the
    trainer returns that run (same history, same stop, bit-identical weights) and trains nothing."""
    path = tmp_path / "stopped.ckpt"

    def run(epochs):
        torch.manual_seed(0)
        model = GCN(34, 2)
        # accuracy cannot rise by more than 1: the run stops after 1 + 2 epochs on any float path
        stopper = EarlyStopping(2, mode="max", monitor="val_acc", min_delta=1.0)
        history = fit_node_classifier(model, karate, epochs=epochs, early_stopping=stopper, select="last", seed=0,
                                      checkpoint=path, verbose=False, **options)
        return history, model.state_dict()

    history, weights = run(50)
    saved = Checkpoint(path).load()
    assert history["epochs_run"] == 3 and saved["stopped"] and saved["epoch"] == 2
    written = path.read_bytes()
    for epochs in (50, 100):
        again, again_weights = run(epochs)
        _same_history(again, history)
        for name, value in weights.items():
            assert torch.equal(again_weights[name], value), name
        assert path.read_bytes() == written  # not rewritten: nothing ran


def test_a_checkpoint_knows_its_model_by_class_and_shapes_not_by_repr(tmp_path, karate):
    class Net(torch.nn.Module):
        def __init__(self, hidden):
            super().__init__()
            self.layers = torch.nn.Sequential(torch.nn.Linear(34, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))

        def forward(self, x, edge_index):
            return self.layers(x)

        def __repr__(self):  # says nothing of the width
            return "Net()"

    path = tmp_path / "net.ckpt"
    fit_node_classifier(Net(8), karate, epochs=2, checkpoint=path, verbose=False, seed=0)
    with pytest.raises(ValueError, match="to come from this run"):
        fit_node_classifier(Net(16), karate, epochs=2, checkpoint=path, verbose=False, seed=0)
    fit_node_classifier(Net(8), karate, epochs=3, checkpoint=path, verbose=False, seed=0)  # the same model resumes


def test_a_checkpoint_of_another_dropout_is_another_run(tmp_path, karate):
    path = tmp_path / "gcn.ckpt"
    fit_node_classifier(GCN(34, 2, hidden_channels=8, dropout=0.5), karate, epochs=2, checkpoint=path,
                        verbose=False, seed=0)
    with pytest.raises(ValueError, match="to come from this run"):
        fit_node_classifier(GCN(34, 2, hidden_channels=8, dropout=0.9), karate, epochs=3, checkpoint=path,
                            verbose=False, seed=0)
