"""Training checkpoints: everything needed to resume a run exactly, written atomically, loaded safely."""
from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from gnnlab.utils.io import atomic_write, remove_stale_temporaries
from gnnlab.utils.validation import fail

FORMAT = "gnnlab-checkpoint"
VERSION = 1


class Checkpoint:
    """A checkpoint file of a training run.

    :meth:`save` writes a dict of tensors, numbers, strings and containers of them (model and optimiser
    ``state_dict``, scheduler and early-stopping state, random-generator states, epoch, history) to a
    temporary file beside ``path``, flushes it to disk and renames it onto ``path`` (``os.replace``): a
    crash at any moment leaves either the previous checkpoint or the new one, never half of one.

    :meth:`load` reads it with ``torch.load(weights_only=True)``, PyTorch's restricted unpickler, which
    builds only tensors and plain containers: a file crafted to run code when unpickled (an object whose
    ``__reduce__`` calls ``os.system``, say) is refused before anything in it runs. A file that is not a
    gnnlab checkpoint (another program's pickle, a bare ``state_dict``, a truncated file) gets a
    ``ValueError`` that says so.

    ``fit_node_classifier(..., checkpoint=path)`` saves one after every epoch and resumes from it.

    Args:
        path: the checkpoint file.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        if not isinstance(path, (str, os.PathLike)):
            fail("Checkpoint", "'path' to be a str or os.PathLike", type(path).__name__, TypeError)
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.is_file()

    def save(self, state: dict[str, Any]) -> None:
        """Write ``state`` atomically (a fresh temporary file, fsync, ``os.replace``)."""
        if not isinstance(state, dict):
            fail("Checkpoint.save", "'state' to be a dict", type(state).__name__, TypeError)
        remove_stale_temporaries(self.path)  # from a run killed while writing
        with atomic_write(self.path, "wb") as handle:
            torch.save({"format": FORMAT, "version": VERSION, "state": state}, handle)

    def load(self, map_location: str | torch.device | None = "cpu") -> dict[str, Any]:
        """The saved state; ``FileNotFoundError`` if there is none, ``ValueError`` if the file is not a
        gnnlab checkpoint or cannot be loaded without running code."""
        who = "Checkpoint.load"
        if not self.exists():
            raise FileNotFoundError(f"'{who}' expected a checkpoint file at {self.path} (got no such file)")
        try:
            with warnings.catch_warnings():  # the restricted unpickler warns about foreign pickle protocols
                warnings.simplefilter("ignore", UserWarning)
                content = torch.load(self.path, map_location=map_location, weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError, ValueError, TypeError,
                IndexError, KeyError, OSError, UnicodeDecodeError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(f"'{who}' expected a gnnlab checkpoint that loads with weights_only=True (got "
                             f"{self.path}, refused: {reason[:300]})") from None
        if not isinstance(content, dict) or content.get("format") != FORMAT or "state" not in content:
            what = (type(content).__name__ if not isinstance(content, dict)
                    else f"a dict with keys {sorted(map(str, content))[:8]}")
            raise ValueError(f"'{who}' expected a gnnlab checkpoint written by Checkpoint.save (got {self.path}: "
                             f"{what})")
        if content.get("version") != VERSION:
            raise ValueError(f"'{who}' expected checkpoint format version {VERSION} (got version "
                             f"{content.get('version')!r} in {self.path})")
        return content["state"]

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"
