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
