"""Pick the device to run on."""
from __future__ import annotations

import torch

from gnnlab.utils.validation import describe, fail


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a :class:`torch.device` into a usable device.

    ``"auto"`` (or ``None``) picks CUDA when it is available and the CPU otherwise. A CUDA device comes back
    with its index (``"cuda"`` is the current device, e.g. ``cuda:0``), as tensors report theirs, so that
    ``tensor.device == resolve_device("cuda")`` holds and records say which card ran. Asking for a device that this
    machine does not have is a :class:`ValueError` that says what is available.

    Args:
        device: ``"auto"`` or ``None`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:<index>"`` (any case,
            surrounding spaces ignored) or a :class:`torch.device`.

    Example::

        >>> import torch
        >>> from gnnlab.utils import resolve_device
        >>> resolve_device("cpu")
        device(type='cpu')
        >>> resolve_device("auto").type in ("cpu", "cuda")
        True
        >>> resolve_device("tpu")
        Traceback (most recent call last):
            ...
        ValueError: 'resolve_device' expected 'device' to be 'auto', 'cpu', 'cuda' or 'cuda:<index>' (got 'tpu')
    """
    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, (str, torch.device)):
        fail("resolve_device", "'device' to be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a torch.device",
             describe(device), TypeError)
    try:
        resolved = torch.device(device.strip().lower() if isinstance(device, str) else device)
    except RuntimeError:
        fail("resolve_device", "'device' to be 'auto', 'cpu', 'cuda' or 'cuda:<index>'", describe(device))
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            fail("resolve_device", "'device' to be available; this machine has no CUDA device, use 'cpu' or "
                 "'auto' (or install a CUDA build of PyTorch)", describe(device))
        if resolved.index is not None and resolved.index >= count:
            fail("resolve_device", f"'device' to be one of cuda:0..cuda:{count - 1}", describe(device))
        if resolved.index is None:
            resolved = torch.device("cuda", torch.cuda.current_device())
    elif resolved.type != "cpu":
        fail("resolve_device", "'device' to be 'auto', 'cpu' or a CUDA device", describe(device))
    return resolved
