"""Input checks shared by every public entry point, so that error messages read alike.

Every message has the form ``'<who>' expected <what> (got <what>)``: *who* is the class or function the
user called, *what* names the argument and what would be accepted.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, NoReturn

import torch
from torch import Tensor


def describe(value: Any) -> str:
    """A short description of ``value`` for an error message."""
    if isinstance(value, Tensor):
        return f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def fail(who: str, expected: str, got: Any, error: type[Exception] = ValueError) -> NoReturn:
    raise error(f"'{who}' expected {expected} (got {got})")


def check_choice(who: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    choices = list(choices)
    if value not in choices:
        fail(who, f"'{name}' to be one of {choices}", describe(value))
    return value


def _is_bool(value: Any) -> bool:
    # numpy's bool_ is not a subclass of bool, nor of numbers.Integral; a truth value is not a count either way
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def is_integer(value: Any) -> bool:
    """Whether ``value`` is an integer, Python's or numpy's (a truth value is not one)."""
    return isinstance(value, numbers.Integral) and not _is_bool(value)


def check_positive_int(who: str, name: str, value: Any, minimum: int = 1) -> int:
    """Check that ``value`` is an integer (Python's or numpy's) ``>= minimum``; returns it as a Python int."""
    if not is_integer(value) or value < minimum:
        fail(who, f"'{name}' to be an integer >= {minimum}", describe(value))
    return int(value)


def check_number(
    who: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """Check that ``value`` is a real number (Python's or numpy's, any width) in the interval given by
    ``low``/``high``, and not NaN; infinity only with ``finite=False`` (where it means something, as a norm's
    order does). Returns it as a Python float."""
    ok = isinstance(value, numbers.Real) and not _is_bool(value) and not math.isnan(value)
    if ok and finite:
        ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "-inf" if low is None else f"{low}"
        right = "inf" if high is None else f"{high}"
        opening = "(" if low_open or low is None else "["
        closing = ")" if high_open or high is None else "]"
        interval = f"{opening}{left}, {right}{closing}"
        fail(who, f"'{name}' to be a {'finite ' if finite else ''}number in {interval}", describe(value))
    return float(value)


def check_same_device(who: str, tensors: dict[str, Any]) -> None:
    """Refuse tensors on different devices (``x`` on CUDA, ``edge_index`` on the CPU) with a message naming
    them, rather than PyTorch's dispatcher error from deep inside a layer; ``None`` entries, non-tensors and
    the tensors inside ``(x_src, x_dst)`` pairs are looked at too."""
    seen: list[tuple[str, torch.device]] = []
    for name, value in tensors.items():
        parts = value if isinstance(value, (tuple, list)) else (value,)
        for index, part in enumerate(parts):
            device = getattr(part, "device", None)
            if isinstance(part, Tensor) and part.dim() == 0 and part.device.type == "cpu":
                continue  # a CPU scalar goes with tensors on any device, as in PyTorch
            if isinstance(part, Tensor) or isinstance(device, torch.device):
                label = name if len(parts) == 1 else f"{name}[{index}]"
                seen.append((label, device))
    devices = {device for _, device in seen}
    if len(devices) > 1:
        listing = ", ".join(f"'{label}' on {device}" for label, device in seen)
        fail(who, "its tensors on one device (move them with .to(device))", listing)


def check_edge_index(who: str, edge_index: Any, num_nodes: int | None = None, name: str = "edge_index") -> Tensor:
    """Check a COO ``edge_index``: an integer tensor of shape ``(2, E)`` with indices in ``[0, num_nodes)``."""
    if not isinstance(edge_index, Tensor):
        fail(who, f"'{name}' to be a torch.Tensor of shape (2, E)", type(edge_index).__name__, TypeError)
    if edge_index.dtype not in (torch.int64, torch.int32):
        fail(who, f"'{name}' of integer dtype torch.long", f"dtype {edge_index.dtype}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        fail(who, f"'{name}' of shape (2, E)", tuple(edge_index.shape))
    if edge_index.numel() > 0:
        low = int(edge_index.min())
        if low < 0:
            fail(who, f"'{name}' to hold non-negative node indices", f"minimum {low}")
        if num_nodes is not None:
            high = int(edge_index.max())
            if high >= num_nodes:
                fail(who, f"'{name}' indices below num_nodes={num_nodes}", f"maximum {high}")
    return edge_index


def check_feature_width(who: str, x: Any, in_channels: int | None) -> int:
    """Check that ``x`` (a tensor of shape ``(N, F)`` or sparse features with a ``shape``) has ``in_channels``
    columns (``None``: any); return ``N``. Shapes only: cheap enough for every call of a layer."""
    if isinstance(x, Tensor):
        if x.dim() != 2:
            fail(who, "'x' of shape (N, F)", tuple(x.shape))
        shape = tuple(x.shape)
    elif isinstance(getattr(x, "shape", None), tuple) and len(x.shape) == 2:
        shape = x.shape
    else:
        fail(who, "'x' to be a torch.Tensor of shape (N, F)", type(x).__name__, TypeError)
    if in_channels is not None and shape[1] != in_channels:
        fail(who, f"'x' with {in_channels} features per node (in_channels)", shape[1])
    return shape[0]


def check_features(who: str, x: Any, num_nodes: int | None = None, in_channels: int | None = None,
                   name: str = "x") -> Tensor:
    """Check a node-feature matrix: a floating tensor of shape ``(N, F)`` with finite values."""
    if not isinstance(x, Tensor):
        fail(who, f"'{name}' to be a torch.Tensor of shape (N, F)", type(x).__name__, TypeError)
    if not x.is_floating_point():
        fail(who, f"'{name}' of floating dtype", f"dtype {x.dtype}", TypeError)
    if x.dim() != 2:
        fail(who, f"'{name}' of shape (N, F)", tuple(x.shape))
    if in_channels is not None and in_channels > 0 and x.size(1) != in_channels:
        fail(who, f"'{name}' with {in_channels} features per node (in_channels)", f"{x.size(1)}")
    if num_nodes is not None and x.size(0) != num_nodes:
        fail(who, f"'{name}' with one row per node ({num_nodes})", f"{x.size(0)} rows")
    values = x.values() if x.layout != torch.strided else x
    if values.numel() and not _all_finite(values):
        fail(who, f"'{name}' to hold finite values", "NaN or inf")
    return x


def _all_finite(values: Tensor) -> bool:
    """``torch.isfinite(values).all()`` in one reduction: the smallest and largest value are both finite exactly
    when every value is (a NaN propagates into both, an infinity is one of them). Several times cheaper than the
    comparisons behind ``isfinite``, for a check that runs on every mini-batch's features."""
    low, high = torch.aminmax(values)
    return bool(torch.isfinite(torch.stack([low, high])).all())
