"""Early stopping (the notes, section 3.3)."""
from __future__ import annotations

import copy
import math
from typing import Any

from torch import nn

from gnnlab.utils.validation import check_choice, check_number, check_positive_int


class EarlyStopping:
    r"""Stop training when a monitored validation metric has not improved for ``patience`` epochs.

    The notes' recipe: keep a validation set apart, watch its error each epoch, and stop once it has
    stopped falling, keeping the parameters of the best epoch. An epoch *improves* when

    .. math:: v < v_{\text{best}} - \delta \;(\texttt{mode="min"}) \qquad\text{or}\qquad
              v > v_{\text{best}} + \delta \;(\texttt{mode="max"}).

    Args:
        patience: epochs without improvement before :meth:`step` returns ``True``.
        min_delta: the margin :math:`\delta` an improvement must clear.
        mode: ``"min"`` for a loss, ``"max"`` for an accuracy.
        restore_best: keep a copy of the best model's ``state_dict`` (:meth:`restore` loads it).
        monitor: name of the metric (used by the trainers to pick it from their history).

    Example::

        stopper = EarlyStopping(patience=10)
        for epoch in range(1000):
            ...
            if stopper.step(val_loss, model):
                break
        stopper.restore(model)
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True,
                 monitor: str = "val_loss") -> None:
        check_positive_int("EarlyStopping", "patience", patience)
        check_number("EarlyStopping", "min_delta", min_delta, low=0.0)
        check_choice("EarlyStopping", "mode", mode, ("min", "max"))
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.restore_best, self.monitor = restore_best, monitor
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.epoch = -1
        self.bad_epochs = 0
        self.best_state: dict[str, Any] | None = None

    def improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float, model: nn.Module | None = None) -> bool:
        """Record this epoch's ``value``; return ``True`` when training should stop."""
        value = float(value)
        self.epoch += 1
        if self.improves(value):
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
            if self.restore_best and model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        return self.should_stop

    @property
    def should_stop(self) -> bool:
        return self.bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's parameters into ``model`` (no-op if none were kept)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ("best", "best_epoch", "epoch", "bad_epochs", "best_state")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
                f"monitor={self.monitor!r})")
