"""Early stopping (the notes, section 3.3)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from gnnlab.regularize.best_epoch import BestEpoch
from gnnlab.utils.validation import check_choice, check_number, check_positive_int


class EarlyStopping:
    r"""Stop training when a monitored validation metric has not improved for ``patience`` epochs.

    The notes' recipe: keep a validation set apart, watch its error each epoch, and stop once it has
    stopped falling, keeping the parameters of the best epoch. An epoch *improves* when

    .. math:: v < v_{\text{best}} - \delta \;(\texttt{mode="min"}) \qquad\text{or}\qquad
              v > v_{\text{best}} + \delta \;(\texttt{mode="max"}).

    With several monitored metrics an epoch improves when it sets a record on *any* of them, so training
    stops once *none* has improved for ``patience`` epochs: ``EarlyStopping(100, monitor=("val_acc",
    "val_loss"), mode=("max", "min"))`` is the GAT paper's rule (what ``fit_node_classifier(...,
    early_stopping=100)`` uses). The bookkeeping is a :class:`~gnnlab.regularize.BestEpoch` with
    ``rule="any"``.

    Args:
        patience: epochs without improvement before :meth:`step` returns ``True``.
        min_delta: the margin :math:`\delta` an improvement must clear.
        mode: ``"min"`` for a loss, ``"max"`` for an accuracy (one per metric when several are monitored).
        restore_best: keep a copy of the best model's ``state_dict`` (:meth:`restore` loads it); the trainers
            then leave the model at the best epoch.
        monitor: name of the metric, or several names (used to pick them from a trainer's metrics).

    Example::

        >>> import torch
        >>> from gnnlab.regularize import EarlyStopping
        >>> model = torch.nn.Linear(2, 1)
        >>> stopper = EarlyStopping(patience=2)
        >>> for epoch, val_loss in enumerate([1.0, 0.8, 0.9, 0.85, 0.7]):
        ...     with torch.no_grad():
        ...         _ = model.weight.fill_(epoch)  # stands in for an epoch of training
        ...     if stopper.step(val_loss, model):
        ...         break
        >>> epoch, stopper.best_epoch, stopper.best  # two epochs without improvement after epoch 1
        (3, 1, 0.8)
        >>> stopper.restore(model)
        >>> model.weight.tolist()
        [[1.0, 1.0]]
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str | Sequence[str] = "min",
                 restore_best: bool = True, monitor: str | Sequence[str] = "val_loss") -> None:
        check_positive_int("EarlyStopping", "patience", patience)
        check_number("EarlyStopping", "min_delta", min_delta, low=0.0)
        for value in (mode,) if isinstance(mode, str) else mode:
            check_choice("EarlyStopping", "mode", value, ("min", "max"))
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.restore_best, self.monitor = restore_best, monitor
        self.tracker = BestEpoch(monitor, mode, rule="any", min_delta=min_delta, keep_state=restore_best)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        self.tracker.reset()
        self.bad_epochs = 0

    @property
    def best(self) -> float | tuple[float, ...]:
        """The best value of the monitored metric (a tuple, one per metric, when several are monitored)."""
        records = self.tracker.records
        return records[0] if len(records) == 1 else tuple(records)

    @property
    def best_epoch(self) -> int:
        """The last epoch that improved (counted from 0; -1 before any)."""
        return self.tracker.best_epoch

    @property
    def epoch(self) -> int:
        """The last epoch seen (counted from 0; -1 before any)."""
        return self.tracker.epoch

    @property
    def best_state(self) -> dict[str, Any] | None:
        """The model's ``state_dict`` at :attr:`best_epoch` (with ``restore_best`` and a model given to
        :meth:`step`)."""
        return self.tracker.state

    def improves(self, value: float | Mapping[str, float]) -> bool:
        """Whether an epoch with this ``value`` (or these metrics) would improve (nothing is recorded)."""
        return self.tracker.improves(value)

    def step(self, value: float | Mapping[str, float], model: nn.Module | None = None) -> bool:
        """Record this epoch's ``value`` (a number, or a mapping of metric names that holds the monitored
        ones); return ``True`` when training should stop."""
        self.bad_epochs = 0 if self.tracker.update(value, model) else self.bad_epochs + 1
        return self.should_stop

    @property
    def should_stop(self) -> bool:
        return self.bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's parameters into ``model`` (no-op if none were kept)."""
        self.tracker.restore(model)

    def state_dict(self) -> dict[str, Any]:
        return {**self.tracker.state_dict(), "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.tracker.load_state_dict(state)
        self.bad_epochs = state["bad_epochs"]

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
                f"monitor={self.monitor!r})")
