r"""Which epoch is the best so far: the one rule behind model selection and early stopping."""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from gnnlab.utils.validation import check_choice, check_number, fail

RULES = ("first", "any", "all", "last")


class BestEpoch:
    r"""Track the best epoch by one or more metrics (and keep the model's parameters at that epoch).

    Each monitored metric :math:`m` has a direction (``mode``: ``"min"`` for a loss, ``"max"`` for an
    accuracy or an AUC) and a *record*, its best value so far. A value :math:`v` *beats* a reference
    :math:`b` when :math:`v < b - \delta` (``"min"``) or :math:`v > b + \delta` (``"max"``); a record is
    raised only by a value that beats it. Every call of :meth:`update` is one epoch, and that epoch becomes the
    best one when, by ``rule``:

    - ``"first"``: it beats the best epoch on the first metric, or ties it exactly and beats it on the
      second, and so on (one metric: the usual "best validation loss"; ``("val_acc", "val_loss")``: the
      highest validation accuracy, ties to the lower loss);
    - ``"any"``: it beats the record of at least one metric (the GAT paper's patience counts the epochs
      since the last such epoch);
    - ``"all"``: it is at least as good as the record of every metric (the GAT paper's checkpoint rule:
      the last epoch with validation accuracy and loss both as good as ever before);
    - ``"last"``: always (no selection; no metric is needed and no copy is kept).

    A metric that is NaN beats nothing and ties nothing.

    Args:
        monitor: the metric's name, or several names (for ``rule="first"``, in priority order).
        mode: ``"min"`` or ``"max"``, one for all metrics or one per metric.
        rule: ``"first"``, ``"any"``, ``"all"`` or ``"last"``.
        min_delta: the margin :math:`\delta` a value must clear to beat another.
        keep_state: keep a copy of the model's ``state_dict`` at the best epoch (:meth:`restore` loads it).

    Example::

        >>> import torch
        >>> from gnnlab.regularize import BestEpoch
        >>> model = torch.nn.Linear(2, 1)
        >>> best = BestEpoch(("val_acc", "val_loss"), ("max", "min"))
        >>> history = [(0.70, 0.90), (0.75, 0.80), (0.75, 0.70), (0.72, 0.60)]  # (val_acc, val_loss) per epoch
        >>> for epoch, (val_acc, val_loss) in enumerate(history):
        ...     with torch.no_grad():
        ...         _ = model.weight.fill_(epoch)  # stands in for an epoch of training
        ...     _ = best.update({"val_acc": val_acc, "val_loss": val_loss}, model)
        >>> best.best_epoch, best.best  # the highest accuracy, its tie broken by the lower loss
        (2, [0.75, 0.7])
        >>> best.restore(model)  # the parameters of best.best_epoch
        >>> model.weight.tolist()
        [[2.0, 2.0]]
    """

    def __init__(self, monitor: str | Sequence[str] = "val_loss", mode: str | Sequence[str] = "min",
                 rule: str = "first", min_delta: float = 0.0, keep_state: bool = True) -> None:
        who = "BestEpoch"
        monitors = (monitor,) if isinstance(monitor, str) else tuple(monitor)
        if not monitors or not all(isinstance(name, str) for name in monitors):
            fail(who, "'monitor' to be a metric name or a sequence of names", repr(monitor), TypeError)
        modes = (mode,) * len(monitors) if isinstance(mode, str) else tuple(mode)
        if len(modes) != len(monitors):
            fail(who, f"'mode' to be one mode or one per monitored metric ({len(monitors)})", repr(mode))
        for value in modes:
            check_choice(who, "mode", value, ("min", "max"))
        check_choice(who, "rule", rule, RULES)
        check_number(who, "min_delta", min_delta, low=0.0)
        self.monitors, self.modes, self.rule = monitors, modes, rule
        self.min_delta, self.keep_state = float(min_delta), keep_state
        self.reset()

    def reset(self) -> None:
        """Forget every epoch seen so far."""
        self.epoch = -1
        self.best_epoch = -1
        worst = [math.inf if mode == "min" else -math.inf for mode in self.modes]
        self.best = list(worst)  # the monitored values at the best epoch
        self.records = list(worst)  # the best value of each metric over all epochs
        self.state: dict[str, Any] | None = None

    def values(self, metrics: float | Mapping[str, float]) -> list[float]:
        """The monitored values out of ``metrics`` (a mapping of names to values, or one number when one
        metric is monitored)."""
        if isinstance(metrics, Mapping):
            missing = [name for name in self.monitors if name not in metrics]
            if missing:
                fail("BestEpoch", f"metrics with {list(self.monitors)}", f"no {missing} in {sorted(metrics)}",
                     KeyError)
            return [float(metrics[name]) for name in self.monitors]
        if len(self.monitors) != 1:
            fail("BestEpoch", f"a mapping with {list(self.monitors)}", repr(metrics), TypeError)
        return [float(metrics)]

    def improves(self, metrics: float | Mapping[str, float]) -> bool:
        """Whether an epoch with these ``metrics`` would become the best one (nothing is recorded)."""
        return self.rule == "last" or self._improves(self.values(metrics))

    def _improves(self, values: list[float]) -> bool:
        if self.rule == "any":
            return any(self._beats(v, r, mode) for v, r, mode in zip(values, self.records, self.modes))
        if self.rule == "all":
            return all(v >= r if mode == "max" else v <= r for v, r, mode in zip(values, self.records, self.modes))
        for value, best, mode in zip(values, self.best, self.modes):
            if self._beats(value, best, mode):
                return True
            if value != best:
                return False
        return False

    def update(self, metrics: float | Mapping[str, float], model: nn.Module | None = None) -> bool:
        """Record one epoch; return whether it is now the best one (then keep ``model``'s parameters)."""
        if self.rule == "last":  # the model is at the last epoch already: nothing to compare or to keep
            self.epoch = self.best_epoch = self.epoch + 1
            return True
        values = self.values(metrics)
        improved = self._improves(values)
        self.epoch += 1
        self.records = [v if self._beats(v, r, mode) else r for v, r, mode in zip(values, self.records, self.modes)]
        if improved:
            self.best_epoch, self.best = self.epoch, values
            if self.keep_state and model is not None:
                self.state = copy.deepcopy(model.state_dict())
        return improved

    def _beats(self, value: float, reference: float, mode: str) -> bool:
        return value < reference - self.min_delta if mode == "min" else value > reference + self.min_delta

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's parameters into ``model`` (nothing when none were kept)."""
        if self.state is not None:
            model.load_state_dict(self.state)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "best_epoch": self.best_epoch, "best": list(self.best),
                "records": list(self.records), "state": self.state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.epoch, self.best_epoch = state["epoch"], state["best_epoch"]
        self.best, self.records, self.state = list(state["best"]), list(state["records"]), state["state"]

    def __repr__(self) -> str:
        monitor = self.monitors[0] if len(self.monitors) == 1 else self.monitors
        mode = self.modes[0] if len(set(self.modes)) == 1 else self.modes
        return f"BestEpoch(monitor={monitor!r}, mode={mode!r}, rule={self.rule!r}, min_delta={self.min_delta})"
