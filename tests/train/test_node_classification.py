from __future__ import annotations

import pytest
import torch

from gnnlab.nn import GCN
from gnnlab.regularize import EarlyStopping
from gnnlab.train import fit_node_classifier, sparse_features


def _correct(model, data, mask) -> int:
    model.eval()
    with torch.no_grad():
        return int((model(data.x, data.edge_index).argmax(1)[mask] == data.y[mask]).sum())


def test_history_and_selected_model(karate):
    torch.manual_seed(0)
    model = GCN(34, 2)
    history = fit_node_classifier(model, karate, epochs=60, verbose=False, seed=0, device="cpu")
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "test_acc", "seconds"):
        assert len(history[key]) == 60
    assert history["train_loss"][-1] < history["train_loss"][0]
    best = history["best_epoch"]
    assert history["best_val_acc"] == max(history["val_acc"])
    # the model is left at the selected epoch
    assert _correct(model, karate, karate.test_mask) == round(history["test_acc"][best] * int(karate.test_mask.sum()))
    assert history["device"] == "cpu" and history["epochs_run"] == 60


def test_same_seed_same_history_and_global_rng_untouched(karate):
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = GCN(34, 2)
        state = torch.get_rng_state()
        runs.append(fit_node_classifier(model, karate, epochs=20, verbose=False, seed=3))
        assert torch.equal(torch.get_rng_state(), state)
    assert runs[0]["train_loss"] == runs[1]["train_loss"]


def test_patience_stops_early(karate):
    model = GCN(34, 2)
    history = fit_node_classifier(model, karate, epochs=1000, early_stopping=10, lr=0.05, verbose=False, seed=0)
    assert history["epochs_run"] < 1000


def test_early_stopping_object(karate):
    stopper = EarlyStopping(patience=5, monitor="val_loss")
    history = fit_node_classifier(GCN(34, 2), karate, epochs=1000, early_stopping=stopper, lr=0.1, verbose=False)
    assert history["epochs_run"] < 1000 and stopper.should_stop


def test_sparse_and_dense_features_train_identically(cora):
    # without dropout (whose masks are drawn differently for the two layouts) the runs are the same
    results = []
    for sparse in (True, False):
        torch.manual_seed(0)
        model = GCN(1433, 7, dropout=0.0)
        results.append(fit_node_classifier(model, cora, epochs=10, verbose=False, seed=0, sparse=sparse))
    torch.testing.assert_close(torch.tensor(results[0]["train_loss"]), torch.tensor(results[1]["train_loss"]))
    assert sparse_features(torch.ones(3, 3)) is not None


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "'epochs'"),
    (dict(lr=-0.1), "'lr'"),
    (dict(select="best"), "'select'"),
    (dict(early_stopping=0), "'early_stopping'"),
    (dict(device="tpu"), "'device'"),
])
def test_bad_arguments(karate, kwargs, message):
    with pytest.raises(ValueError, match=f"'fit_node_classifier' expected {message}|'resolve_device' expected"):
        fit_node_classifier(GCN(34, 2), karate, verbose=False, **kwargs)


def test_bad_masks(karate):
    data = karate.clone()
    data.train_mask = data.train_mask[:10]
    with pytest.raises(ValueError, match=r"'data.train_mask' to be a bool tensor of shape \(34,\)"):
        fit_node_classifier(GCN(34, 2), data, verbose=False)
