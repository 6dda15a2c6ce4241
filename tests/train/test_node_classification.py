from __future__ import annotations

import math

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


def _selected_by_definition(history: dict) -> dict[str, int]:
    """Each select rule applied by brute force to the recorded validation curves."""
    accuracy, loss = history["val_acc"], history["val_loss"]
    epochs = range(len(accuracy))
    return {
        "val_acc": max(epochs, key=lambda e: (accuracy[e], -loss[e])),  # max keeps the earliest
        "val_loss": min(epochs, key=lambda e: loss[e]),
        "val_acc_and_loss": max(e for e in epochs if all(accuracy[e] >= a for a in accuracy[:e])
                                and all(loss[e] <= value for value in loss[:e])),
        "last": len(accuracy) - 1,
    }


def test_every_select_rule_keeps_its_own_epoch():
    from gnnlab.data import synthetic_graph

    # a noisy graph, a large step and no dropout: the four rules pick four different epochs
    data = synthetic_graph(300, 4, avg_degree=4, num_features=32, homophily=0.5, seed=2, feature_noise=1.5,
                           train=0.2, val=0.4)
    chosen = {}
    for select in ("val_acc", "val_loss", "val_acc_and_loss", "last"):
        torch.manual_seed(0)
        model = GCN(32, 4, dropout=0.0)
        history = fit_node_classifier(model, data, epochs=40, lr=0.1, weight_decay=0.0, select=select, seed=0,
                                      verbose=False)
        expected = _selected_by_definition(history)
        assert history["best_epoch"] == expected[select], select
        chosen[select] = history["best_epoch"]
        # the model is left with that epoch's parameters
        assert _correct(model, data, data.test_mask) == round(history["best_test_acc"] * int(data.test_mask.sum()))
    assert len(set(chosen.values())) == 4, chosen


def test_metrics_per_mask_match_a_plain_computation():
    """Loss and accuracy of every mask at once (one host copy), an empty mask giving NaN."""
    from gnnlab.train.node_classification import _metrics

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 4, generator=generator)
    y = torch.randint(0, 4, (50,), generator=generator)
    masks = {"train": torch.arange(50) < 20, "val": torch.arange(50) % 3 == 0, "test": torch.zeros(50, dtype=bool)}
    got = _metrics(logits, y, masks)
    for name in ("train", "val"):
        mask = masks[name]
        correct = int((logits[mask].argmax(1) == y[mask]).sum())
        assert got[f"{name}_acc"] == correct / int(mask.sum())  # a count over a count: exact
        assert got[f"{name}_loss"] == pytest.approx(float(torch.nn.functional.cross_entropy(logits[mask], y[mask])),
                                                    rel=1e-6)
    assert math.isnan(got["test_acc"]) and math.isnan(got["test_loss"])
    assert set(got) == {f"{name}_{kind}" for name in masks for kind in ("loss", "acc")}
    unlabelled = y.clone()
    unlabelled[~(masks["train"] | masks["val"])] = -1  # labels outside every mask do not count
    assert _metrics(logits, unlabelled, masks) == pytest.approx(got, nan_ok=True)
