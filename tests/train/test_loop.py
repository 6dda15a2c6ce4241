"""The shared epoch loop, through a small trainer of a new task built on it (as the loop's docstring shows):
a scorer of pairs selected by validation AUC, with early stopping, checkpoints and dropout."""
from __future__ import annotations

import pytest
import torch

from gnnlab.regularize import BestEpoch, EarlyStopping
from gnnlab.train import Checkpoint
from gnnlab.train.loop import check_loop_arguments, early_stopping_for, run_epochs

TIMING = ("seconds", "train_time")


def _pairs(seed: int):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(200, 6, generator=generator)
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.8 * torch.randn(200, generator=generator) > 0).float()
    return x, y


def _auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """The probability that a positive outscores a negative (ties count one half), over every pair."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    difference = positive[:, None] - negative[None, :]
    return float((difference > 0).double().mean() + 0.5 * (difference == 0).double().mean())


def fit_pair_scorer(model, train, val, *, epochs, early_stopping=None, checkpoint=None, seed=None):
    who = "fit_pair_scorer"
    store = check_loop_arguments(who, model, epochs, checkpoint)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

    def train_epoch(epoch):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(train[0]).squeeze(-1), train[1])
        loss.backward()
        optimizer.step()
        return {"train_loss": float(loss.detach())}

    def evaluate():
        return {"val_auc": _auc(model(val[0]).squeeze(-1), val[1])}

    return run_epochs(who, model, optimizer, train_epoch, evaluate, epochs=epochs,
                      history_keys=("train_loss", "val_auc", "seconds"), selection=BestEpoch("val_auc", "max"),
                      early_stopping=early_stopping_for(who, early_stopping, "val_auc", "max"), checkpoint=store,
                      run={"model": repr(model), "seed": seed}, seed=seed, verbose=False)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(6, 1))


def test_selects_the_epoch_of_the_best_validation_auc_and_leaves_the_model_there():
    train, val = _pairs(0), _pairs(1)
    model = _model()
    history = fit_pair_scorer(model, train, val, epochs=30, seed=3)
    auc = history["val_auc"]
    assert len(auc) == len(history["train_loss"]) == len(history["seconds"]) == history["epochs_run"] == 30
    assert history["best_epoch"] == auc.index(max(auc))  # the earliest of the best
    model.eval()
    with torch.no_grad():
        assert _auc(model(val[0]).squeeze(-1), val[1]) == max(auc)
    assert len(set(auc)) > 3  # the selection had something to choose from


def test_patience_on_the_selected_metric():
    train, val = _pairs(0), _pairs(1)
    history = fit_pair_scorer(_model(), train, val, epochs=500, early_stopping=3, seed=3)
    auc, stop = history["val_auc"], history["epochs_run"]
    assert stop < 500
    last_record = max(e for e in range(stop) if e == 0 or auc[e] > max(auc[:e]))
    assert stop - 1 - last_record == 3  # three epochs without a new record, then the stop


def test_interrupted_and_resumed_run_equals_a_straight_one(tmp_path):
    train, val = _pairs(0), _pairs(1)
    path = tmp_path / "pairs.ckpt"
    stopper = EarlyStopping(1000, mode="max", monitor="val_auc")
    fit_pair_scorer(_model(), train, val, epochs=6, early_stopping=stopper, checkpoint=path, seed=4)
    assert Checkpoint(path).load()["epoch"] == 5
    resumed_model = _model()
    resumed = fit_pair_scorer(resumed_model, train, val, epochs=15, early_stopping=stopper, checkpoint=path, seed=4)
    straight_model = _model()
    straight = fit_pair_scorer(straight_model, train, val, epochs=15, seed=4,
                               early_stopping=EarlyStopping(1000, mode="max", monitor="val_auc"))
    for key in straight:
        if key not in TIMING:
            assert resumed[key] == straight[key], key
    assert all(torch.equal(a, b) for a, b in zip(resumed_model.parameters(), straight_model.parameters()))
    with pytest.raises(ValueError, match="seed"):
        fit_pair_scorer(_model(), train, val, epochs=15, checkpoint=path, seed=5)


def test_shared_argument_checks():
    with pytest.raises(TypeError, match="'fit_pair_scorer' expected 'model'"):
        fit_pair_scorer("model", _pairs(0), _pairs(1), epochs=3)
    with pytest.raises(ValueError, match="'fit_pair_scorer' expected 'epochs'"):
        fit_pair_scorer(_model(), _pairs(0), _pairs(1), epochs=0)
    with pytest.raises(TypeError, match="'fit_pair_scorer' expected 'checkpoint'"):
        fit_pair_scorer(_model(), _pairs(0), _pairs(1), epochs=3, checkpoint=3)
    with pytest.raises(TypeError, match="'fit_pair_scorer' expected 'early_stopping'"):
        fit_pair_scorer(_model(), _pairs(0), _pairs(1), epochs=3, early_stopping=True)
