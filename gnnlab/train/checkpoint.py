"""Training checkpoints: everything needed to resume a run exactly, written atomically, loaded safely.

:class:`Checkpoint` is the file; :func:`save_training` and :func:`resume_training` put a training run into it and
take it out again (the run's identity, its stateful parts, progress and random-generator states), for every
trainer built on :func:`gnnlab.train.loop.run_epochs`.
"""
from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from gnnlab.utils.io import atomic_write, remove_stale_temporaries
from gnnlab.utils.validation import fail

FORMAT = "gnnlab-checkpoint"
VERSION = 1
#: how save_training lays a run out in a checkpoint (1, unmarked: the node trainer's own layout in gnnlab 0.1.0)
TRAINING_LAYOUT = 2


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

    ``fit_node_classifier(..., checkpoint=path)`` saves one after every epoch and resumes from it
    (:func:`save_training`, :func:`resume_training`).

    Args:
        path: the checkpoint file.

    Example::

        >>> import tempfile
        >>> from pathlib import Path
        >>> import torch
        >>> from gnnlab.train import Checkpoint
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = Checkpoint(Path(folder.name) / "run.pt")
        >>> store.exists()
        False
        >>> store.save({"epoch": 3, "weights": torch.ones(2)})
        >>> store.exists(), store.load()
        (True, {'epoch': 3, 'weights': tensor([1., 1.])})
        >>> torch.save({"weights": torch.ones(2)}, Path(folder.name) / "bare.pt")  # not a gnnlab checkpoint
        >>> Checkpoint(Path(folder.name) / "bare.pt").load()
        Traceback (most recent call last):
            ...
        ValueError: 'Checkpoint.load' expected a gnnlab checkpoint written by Checkpoint.save (got ...)
        >>> folder.cleanup()
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


def rng_states(device: torch.device, generators: Sequence[torch.Generator], distributed: bool = False) -> list[dict]:
    """The states of PyTorch's global generator (and the CUDA one of ``device``) and of ``generators``, one dict
    per rank: every rank's when ``distributed`` (a collective call: every rank must make it), else this one's."""
    state = {"torch": torch.get_rng_state(),
             "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
             "generators": [generator.get_state() for generator in generators]}
    if not distributed:
        return [state]
    states: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(states, state)
    return states


def set_rng_states(states: list[dict], device: torch.device, generators: Sequence[torch.Generator],
                   rank: int = 0) -> None:
    """Put back the generator states that :func:`rng_states` returned (``rank``'s own)."""
    state = states[rank]
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and state["cuda"] is not None:
        torch.cuda.set_rng_state(state["cuda"], device)
    for generator, generator_state in zip(generators, state["generators"]):
        generator.set_state(generator_state)


def save_training(store: Checkpoint, run: Mapping[str, Any], parts: Mapping[str, Any], **progress: Any) -> None:
    """Save a training run: its identity ``run`` (checked on resume), the ``state_dict()`` of each of its
    stateful ``parts`` (model, optimiser, scheduler, early stopping, best epoch...; ``None`` for an absent
    one) and its ``progress`` (epoch, history, generator states...)."""
    states = {name: None if part is None else part.state_dict() for name, part in parts.items()}
    clash = sorted(set(states) & (set(progress) | {"run", "layout"}))
    if clash:
        fail("save_training", "part names other than 'run', 'layout' and the progress keys", clash)
    store.save({"layout": TRAINING_LAYOUT, "run": dict(run), **states, **progress})


def model_identity(model: torch.nn.Module) -> dict[str, Any]:
    """What a checkpoint's run knows its model by: the class, every parameter's and buffer's name and shape (a
    model of another width or depth is another run, even where a custom model's repr says nothing of them), and
    the repr (gnnlab's models show their dropout, aggregation... there, which no shape shows).

    Args:
        model: the model being trained (a ``DistributedDataParallel`` wrapper is looked through).

    Example::

        >>> from gnnlab.nn import GCN
        >>> from gnnlab.train.checkpoint import model_identity
        >>> identity = model_identity(GCN(34, 2, hidden_channels=4))
        >>> identity["class"], identity["shapes"]["convs.0.lin.weight"]
        ('gnnlab.nn.models.gcn.GCN', [4, 34])
    """
    base = getattr(model, "module", model) if type(model).__name__ == "DistributedDataParallel" else model
    cls = type(base)
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "repr": repr(base),
            "shapes": {name: list(tensor.shape) for name, tensor in base.state_dict().items()}}


def resume_training(who: str, store: Checkpoint, run: Mapping[str, Any], parts: Mapping[str, Any]) -> dict | None:
    """Load the run saved at ``store`` into ``parts`` (``load_state_dict``) and return the whole saved dict,
    or ``None`` when there is no checkpoint yet. ``ValueError`` (naming ``who``) when it comes from another
    run: a different value of any key of ``run``, or a file another program wrote."""
    if not store.exists():
        return None
    saved = store.load()
    previous = saved.get("run")
    if not isinstance(previous, dict) or any(name not in saved for name in parts):
        fail(who, f"a training checkpoint of {who} at {store.path}", "a checkpoint of something else")
    if saved.get("layout") != TRAINING_LAYOUT:
        fail(who, f"a training checkpoint of layout {TRAINING_LAYOUT} at {store.path} (remove it to start afresh)",
             f"layout {saved.get('layout', 1)}, written by an older gnnlab")
    for key, value in run.items():
        if previous.get(key) != value:
            fail(who, f"the checkpoint at {store.path} to come from this run ({key} = {value!r}); remove it or "
                 "pass another path to start afresh", f"{key} = {previous.get(key)!r} there")
    for name, part in parts.items():
        if part is not None:
            part.load_state_dict(saved[name])
    return saved
