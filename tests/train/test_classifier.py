from __future__ import annotations

import pytest
import torch

from gnnlab.nn import MLP
from gnnlab.optim import SGD
from gnnlab.regularize import EarlyStopping
from gnnlab.train import evaluate, fit_classifier


@pytest.fixture
def blobs():
    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = torch.randint(0, 3, (300,), generator=generator)
    x = centres[y] + 0.7 * torch.randn(300, 2, generator=generator)
    return x[:200], y[:200], x[200:], y[200:]


@pytest.mark.parametrize("batch_size", [None, 1, 32])
def test_batch_stochastic_minibatch(blobs, batch_size):
    x, y, x_val, y_val = blobs
    torch.manual_seed(0)
    model = MLP(2, [16], 3)
    lr = 0.5 if batch_size is None else 0.05
    history = fit_classifier(model, x, y, x_val=x_val, y_val=y_val, epochs=30, batch_size=batch_size,
                             optimizer=SGD(model.parameters(), lr=lr, momentum=0.9), verbose=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert evaluate(model, x_val, y_val)[1] > 0.9
    assert len(history["val_acc"]) == 30


def test_early_stopping_restores_best(blobs):
    x, y, x_val, y_val = blobs
    model = MLP(2, [16], 3)
    stopper = EarlyStopping(patience=3, mode="max", monitor="val_acc")
    history = fit_classifier(model, x, y, x_val=x_val, y_val=y_val, epochs=500, lr=0.05, early_stopping=stopper,
                             verbose=False)
    assert history["epochs_run"] < 500
    assert evaluate(model, x_val, y_val)[1] == pytest.approx(max(history["val_acc"]))


def test_same_seed_same_run(blobs):
    x, y, *_ = blobs
    losses = []
    for _ in range(2):
        torch.manual_seed(3)
        losses.append(fit_classifier(MLP(2, [8], 3, dropout=0.3), x, y, epochs=3, seed=5, verbose=False)["train_loss"])
    assert losses[0] == losses[1]


def test_bad_arguments(blobs):
    x, y, *_ = blobs
    with pytest.raises(ValueError, match="'fit_classifier' expected 'batch_size'"):
        fit_classifier(MLP(2, [], 3), x, y, batch_size=0, verbose=False)
    with pytest.raises(ValueError, match="'fit_classifier' expected 'x_val' and 'y_val'"):
        fit_classifier(MLP(2, [], 3), x, y, early_stopping=EarlyStopping(2), verbose=False)
    with pytest.raises(ValueError, match="'fit_classifier' expected 'x' of shape"):
        fit_classifier(MLP(2, [], 3), x, y[:10], verbose=False)
