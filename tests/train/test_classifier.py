from __future__ import annotations

import copy

import pytest
import torch

from gnnlab.nn import MLP
from gnnlab.optim import SGD
from gnnlab.regularize import EarlyStopping
from gnnlab.train import evaluate, fit_classifier
from gnnlab.utils import make_generator


@pytest.fixture
def blobs():
    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = torch.randint(0, 3, (300,), generator=generator)
    x = centres[y] + 0.7 * torch.randn(300, 2, generator=generator)
    return x[:200], y[:200], x[200:], y[200:]


@pytest.mark.training
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


@pytest.mark.training
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


def test_clip_norm_clips_the_step_like_torch(blobs):
    x, y, *_ = blobs
    torch.manual_seed(0)
    model = MLP(2, [8], 3)
    reference = copy.deepcopy(model)
    fit_classifier(model, x, y, epochs=1, batch_size=None, clip_norm=0.01,
                   optimizer=torch.optim.SGD(model.parameters(), lr=1.0), verbose=False)
    loss = torch.nn.functional.cross_entropy(reference(x), y)
    loss.backward()
    assert torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.01) > 0.1  # the clip is active
    with torch.no_grad():
        for p in reference.parameters():
            p -= 1.0 * p.grad
    for a, b in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("restore_best", [True, False])
def test_restore_best_or_keep_the_last_epoch(blobs, restore_best):
    x, y, x_val, y_val = blobs
    options = dict(x_val=x_val, y_val=y_val, lr=0.05, seed=1, verbose=False)
    torch.manual_seed(2)
    model = MLP(2, [16], 3, dropout=0.3)
    stopper = EarlyStopping(patience=3, mode="max", monitor="val_loss", restore_best=restore_best)  # maximising the loss: stops early
    history = fit_classifier(model, x, y, epochs=500, early_stopping=stopper, **options)
    assert history["best_epoch"] == history["epochs_run"] - 4  # three epochs without improvement, then the stop
    torch.manual_seed(2)
    last = MLP(2, [16], 3, dropout=0.3)
    fit_classifier(last, x, y, epochs=history["epochs_run"], **options)  # the same run, without stopping
    same_as_last = all(torch.equal(a, b) for a, b in zip(model.parameters(), last.parameters()))
    assert same_as_last != restore_best
    expected = history["val_loss"][history["best_epoch"] if restore_best else -1]
    assert evaluate(model, x_val, y_val)[0] == pytest.approx(expected, rel=1e-6)


def test_train_loss_is_the_epochs_mean_over_samples(blobs):
    """The recorded loss of an epoch is the per-sample mean of the losses of its steps, each taken before its
    step: replayed here with a copy of the model and torch.optim.SGD."""
    x, y, *_ = blobs
    torch.manual_seed(1)
    model = MLP(2, [8], 3)
    reference = copy.deepcopy(model)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    history = fit_classifier(model, x, y, epochs=1, batch_size=64, seed=4, device="cpu",
                             optimizer=torch.optim.SGD(model.parameters(), lr=0.1), verbose=False)
    order = torch.randperm(200, generator=make_generator(4))  # the trainer's shuffle for seed 4
    total = 0.0
    for begin in range(0, 200, 64):  # batches of 64, 64, 64 and 8
        index = order[begin:begin + 64]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(reference(x[index]), y[index])
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * index.numel()
    assert history["train_loss"][0] == pytest.approx(total / 200, rel=1e-5)


def _trained_weights(x, y, x_val, y_val, early_stopping=None, epochs=3):
    torch.manual_seed(0)
    model = MLP(2, [8], 3, dropout=0.3)
    history = fit_classifier(model, x, y, x_val=x_val, y_val=y_val, epochs=epochs, early_stopping=early_stopping,
                             seed=0, device="cpu", verbose=False)
    return history, [p.detach().clone() for p in model.parameters()]


def test_only_the_training_labels_reach_the_weights(blobs):
    """Exact on any float path: moving every validation label to another class leaves the weights bit-identical
    (without early stopping); moving one training label does not."""
    x, y, x_val, y_val = blobs
    _, reference = _trained_weights(x, y, x_val, y_val)
    _, other_validation = _trained_weights(x, y, x_val, (y_val + 1) % 3)
    assert all(torch.equal(a, b) for a, b in zip(reference, other_validation))
    one = y.clone()
    one[0] = (one[0] + 1) % 3
    _, other_training = _trained_weights(x, one, x_val, y_val)
    assert not all(torch.equal(a, b) for a, b in zip(reference, other_training))


def test_a_reused_early_stopping_starts_afresh(blobs):
    """A stopper that has stopped one run, passed to the next, is reset: the second run is a fresh stopper's
    (accuracy cannot rise by more than 1, so each run stops after 1 + 2 epochs)."""
    x, y, x_val, y_val = blobs
    stopper = EarlyStopping(2, mode="max", monitor="val_acc", min_delta=1.0)
    first, weights = _trained_weights(x, y, x_val, y_val, stopper, epochs=50)
    assert first["epochs_run"] == 3 and stopper.should_stop
    again, reused = _trained_weights(x, y, x_val, y_val, stopper, epochs=50)
    fresh, fresh_weights = _trained_weights(x, y, x_val, y_val, EarlyStopping(2, mode="max", monitor="val_acc",
                                                                              min_delta=1.0), epochs=50)
    for history in (again, fresh):
        assert {k: history[k] for k in ("train_loss", "val_loss", "val_acc", "epochs_run", "best_epoch")} == \
            {k: first[k] for k in ("train_loss", "val_loss", "val_acc", "epochs_run", "best_epoch")}
    assert all(torch.equal(a, b) and torch.equal(a, c) for a, b, c in zip(weights, reused, fresh_weights))
