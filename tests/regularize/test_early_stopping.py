from __future__ import annotations

import pytest
import torch

from gnnlab.regularize import EarlyStopping


def test_stops_after_patience_and_restores_best():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2)
    losses = [1.0, 0.5, 0.6, 0.7]
    stops = []
    for i, loss in enumerate(losses):
        with torch.no_grad():
            model.weight.fill_(i)
        stops.append(stopper.step(loss, model))
    assert stops == [False, False, False, True]
    assert stopper.best == 0.5 and stopper.best_epoch == 1
    stopper.restore(model)
    assert (model.weight == 1).all()


def test_max_mode_and_min_delta():
    stopper = EarlyStopping(patience=1, mode="max", min_delta=0.05)
    assert not stopper.step(0.5)
    assert stopper.step(0.52)  # not better by more than min_delta
    assert stopper.best == 0.5


@pytest.mark.parametrize("kwargs, name", [(dict(patience=0), "patience"), (dict(patience=1, mode="up"), "mode"),
                                          (dict(patience=1, min_delta=-1), "min_delta")])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"'EarlyStopping' expected '{name}'"):
        EarlyStopping(**kwargs)


def test_restore_best_false_keeps_no_copy():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping(patience=1, restore_best=False)
    stopper.step(1.0, model)
    with torch.no_grad():
        model.weight.fill_(5)
    stopper.restore(model)
    assert stopper.best_state is None and (model.weight == 5).all()


def test_gat_rule_stops_once_neither_accuracy_nor_loss_improves():
    """Against the rule written out: count the epochs since the last record of either metric."""
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        accuracy = (torch.randint(0, 4, (15,), generator=generator) / 3).tolist()
        loss = (torch.randint(0, 4, (15,), generator=generator) / 2).tolist()
        stopper = EarlyStopping(3, monitor=("val_acc", "val_loss"), mode=("max", "min"))
        stops = [stopper.step({"val_acc": a, "val_loss": v, "other": 0.0}) for a, v in zip(accuracy, loss)]
        stale, expected = 0, []
        for e in range(15):
            record = e == 0 or accuracy[e] > max(accuracy[:e]) or loss[e] < min(loss[:e])
            stale = 0 if record else stale + 1
            expected.append(stale >= 3)
        assert stops == expected
        assert stopper.best == (max(accuracy), min(loss))


def test_improves_predicts_step_without_recording():
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    for loss in [1.0, 0.95, 0.8, 0.85, 0.6]:
        epoch, bad_epochs = stopper.epoch, stopper.bad_epochs
        predicted = stopper.improves(loss)
        assert (stopper.epoch, stopper.bad_epochs) == (epoch, bad_epochs)
        stopper.step(loss)
        assert (stopper.best_epoch == stopper.epoch) == predicted
    assert stopper.best_epoch == 4 and stopper.best == 0.6


def test_state_dict_resumes_the_count_of_bad_epochs():
    """A stopper rebuilt from ``state_dict`` mid-run takes the same decisions as one that never stopped."""
    losses = [1.0, 0.5, 0.6, 0.7, 0.8, 0.4]
    whole = EarlyStopping(patience=3)
    expected = [whole.step(loss) for loss in losses]
    first = EarlyStopping(patience=3)
    decisions = [first.step(loss) for loss in losses[:3]]
    state = first.state_dict()
    assert state["bad_epochs"] == 1 and state["best_epoch"] == 1
    resumed = EarlyStopping(patience=3)
    resumed.load_state_dict(state)
    decisions += [resumed.step(loss) for loss in losses[3:]]
    assert decisions == expected == [False, False, False, False, True, False]
    resumed_at = (resumed.best, resumed.best_epoch, resumed.epoch)
    assert resumed_at == (whole.best, whole.best_epoch, whole.epoch) == (0.4, 5, 5)


def test_reset_forgets_everything_and_nan_epochs_count_as_bad():
    stopper = EarlyStopping(patience=2)
    assert [stopper.step(loss) for loss in (1.0, 2.0, 3.0)] == [False, False, True]
    stopper.reset()
    assert stopper.bad_epochs == 0 and stopper.best_epoch == -1 and stopper.epoch == -1
    assert [stopper.step(float("nan")) for _ in range(2)] == [False, True]  # a NaN never improves


def test_monitors_val_loss_by_default():
    stopper = EarlyStopping(patience=1)
    assert repr(stopper) == "EarlyStopping(patience=1, min_delta=0.0, mode='min', monitor='val_loss')"
    assert not stopper.step({"val_acc": 0.1, "val_loss": 2.0})
    assert not stopper.step({"val_acc": 0.0, "val_loss": 1.0}) and stopper.best == 1.0
