"""BestEpoch against brute-force definitions of each rule, on metric sequences full of ties."""
from __future__ import annotations

import math

import pytest
import torch

from gnnlab.regularize import BestEpoch


def _sequences(count: int = 300, length: int = 12):
    """Validation accuracies and losses on coarse grids, so that exact ties are common."""
    generator = torch.Generator().manual_seed(0)
    for _ in range(count):
        accuracy = (torch.randint(0, 5, (length,), generator=generator) / 4).tolist()
        loss = (torch.randint(0, 5, (length,), generator=generator) / 2).tolist()
        yield accuracy, loss


def _run(tracker: BestEpoch, accuracy: list[float], loss: list[float]) -> list[bool]:
    return [tracker.update({"val_acc": acc, "val_loss": value}) for acc, value in zip(accuracy, loss)]


def test_first_rule_is_the_highest_accuracy_then_the_lowest_loss_earliest_first():
    for accuracy, loss in _sequences():
        tracker = BestEpoch(("val_acc", "val_loss"), ("max", "min"))
        _run(tracker, accuracy, loss)
        expected = max(range(len(accuracy)), key=lambda e: (accuracy[e], -loss[e]))  # max keeps the earliest
        assert tracker.best_epoch == expected
        assert tracker.best == [accuracy[expected], loss[expected]]


def test_one_metric_with_min_delta():
    for _, loss in _sequences(100):
        tracker = BestEpoch("val_loss", "min", min_delta=0.5)
        improved = [tracker.update(value) for value in loss]
        best, expected = math.inf, []
        for value in loss:
            expected.append(value < best - 0.5)
            best = value if expected[-1] else best
        assert improved == expected and tracker.best == [best]


def test_all_rule_is_the_last_epoch_as_good_as_ever_on_every_metric():
    for accuracy, loss in _sequences():
        tracker = BestEpoch(("val_acc", "val_loss"), ("max", "min"), rule="all")
        improved = _run(tracker, accuracy, loss)
        expected = [all(accuracy[e] >= a for a in accuracy[:e]) and all(loss[e] <= value for value in loss[:e])
                    for e in range(len(accuracy))]
        assert improved == expected
        assert tracker.best_epoch == max(e for e, good in enumerate(expected) if good)


def test_any_rule_is_a_new_record_on_some_metric():
    for accuracy, loss in _sequences():
        tracker = BestEpoch(("val_acc", "val_loss"), ("max", "min"), rule="any")
        improved = _run(tracker, accuracy, loss)
        expected = [e == 0 or accuracy[e] > max(accuracy[:e]) or loss[e] < min(loss[:e]) for e in range(len(loss))]
        assert improved == expected
        assert tracker.records == [max(accuracy), min(loss)]


def test_last_rule_needs_no_metric_and_keeps_no_copy():
    tracker = BestEpoch(rule="last")
    model = torch.nn.Linear(2, 1)
    assert all(tracker.update({}, model) for _ in range(3))
    assert tracker.best_epoch == 2 and tracker.state is None


def test_nan_never_becomes_the_best():
    for rule in ("first", "any", "all"):
        tracker = BestEpoch(("val_acc", "val_loss"), ("max", "min"), rule=rule)
        assert not tracker.update({"val_acc": math.nan, "val_loss": math.nan})
        assert tracker.best_epoch == -1


def test_keeps_restores_and_round_trips_the_best_parameters():
    model = torch.nn.Linear(2, 1)
    tracker = BestEpoch("val_loss")
    for epoch, loss in enumerate([3.0, 1.0, 2.0]):
        with torch.no_grad():
            model.weight.fill_(epoch)
        tracker.update({"val_loss": loss}, model)
    copy = BestEpoch("val_loss")
    copy.load_state_dict(tracker.state_dict())
    copy.restore(model)
    assert (model.weight == 1).all() and copy.best_epoch == 1 and copy.epoch == 2
    bare = BestEpoch("val_loss", keep_state=False)
    assert bare.update(1.0, model) and bare.state is None


def test_arguments_and_repr():
    assert repr(BestEpoch(("val_acc", "val_loss"), ("max", "min"))) == (
        "BestEpoch(monitor=('val_acc', 'val_loss'), mode=('max', 'min'), rule='first', min_delta=0.0)")
    with pytest.raises(ValueError, match="'BestEpoch' expected 'rule'"):
        BestEpoch(rule="best")
    with pytest.raises(ValueError, match="'BestEpoch' expected 'mode' to be one mode or one per"):
        BestEpoch(("a", "b"), ("max", "min", "min"))
    with pytest.raises(KeyError, match="val_auc"):
        BestEpoch("val_auc", "max").update({"val_acc": 1.0})
    with pytest.raises(TypeError, match="mapping"):
        BestEpoch(("a", "b")).update(1.0)


def test_repr_of_one_metric_and_of_one_mode_for_several():
    assert repr(BestEpoch()) == "BestEpoch(monitor='val_loss', mode='min', rule='first', min_delta=0.0)"
    assert repr(BestEpoch(("val_loss", "train_loss"), "min", rule="any", min_delta=0.5)) == (
        "BestEpoch(monitor=('val_loss', 'train_loss'), mode='min', rule='any', min_delta=0.5)")


@pytest.mark.parametrize("rule", ["first", "any", "all"])
def test_improves_predicts_update_without_recording(rule):
    """``improves`` answers what ``update`` would return, and changes nothing."""
    for accuracy, loss in _sequences(50):
        tracker = BestEpoch(("val_acc", "val_loss"), ("max", "min"), rule=rule)
        for acc, value in zip(accuracy, loss):
            metrics = {"val_acc": acc, "val_loss": value}
            before = tracker.state_dict()
            predicted = tracker.improves(metrics)
            assert tracker.state_dict() == before
            assert tracker.update(metrics) == predicted
    assert BestEpoch(rule="last").improves({})


def test_missing_metrics_are_named_in_the_error():
    with pytest.raises(KeyError, match=r"'BestEpoch' expected metrics with \['val_auc'\] \(got no \['val_auc'\] in "
                                       r"\['val_acc', 'val_loss'\]\)"):
        BestEpoch("val_auc", "max").update({"val_loss": 0.5, "val_acc": 1.0})
    with pytest.raises(TypeError, match=r"'BestEpoch' expected a mapping with \['a', 'b'\] \(got 1.0\)"):
        BestEpoch(("a", "b")).update(1.0)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(monitor=[]), TypeError,
     r"'BestEpoch' expected 'monitor' to be a metric name or a sequence of names \(got \[\]\)"),
    (dict(monitor=("val_acc", 1)), TypeError, r"'BestEpoch' expected 'monitor' to be a metric name or a sequence"),
    (dict(mode="up"), ValueError, r"'BestEpoch' expected 'mode' to be one of \['min', 'max'\]"),
    (dict(monitor=("a", "b"), mode=("min",)), ValueError, r"'BestEpoch' expected 'mode' to be one mode or one per "
                                                           r"monitored metric \(2\) \(got \('min',\)\)"),
    (dict(min_delta=-0.1), ValueError, r"'BestEpoch' expected 'min_delta'"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        BestEpoch(**kwargs)
