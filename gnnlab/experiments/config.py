"""The methods' hyper-parameters: TOML files shipped inside the package, one per task and method.

``gnnlab/experiments/configs/<task>/<method>.toml`` holds a method's settings (the papers' values) as a
``[model]`` table (constructor options) and a ``[train]`` table (trainer options);
``configs/<task>/published.toml`` holds the published figures the tables are compared against. They are read
with :mod:`importlib.resources`, so an installed wheel finds them wherever it is run from. They are the one
source of these numbers: ``gnnlab compare``, ``gnnlab train`` and the scripts in ``experiments/`` all read them,
and a run changes them without editing files through *overrides* (``--set gcn.hidden_channels=64``).
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from gnnlab.utils.validation import fail

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

#: overrides of ``--quick``: a smoke test of the whole pipeline, not a measurement
QUICK = {"epochs": 5, "walks_per_node": 1, "walk_length": 10, "pairs_per_node": 20, "iterations": 5,
         "early_stopping": None, "patience": 5, "n_components": 8}


def _config_folder(task: str) -> Any:
    folder = resources.files("gnnlab.experiments") / "configs" / task
    if not folder.is_dir():
        fail("load_config", f"'task' to have a config folder 'gnnlab/experiments/configs/{task}'", repr(task))
    return folder


def config_methods(task: str = "node") -> list[str]:
    """The methods that have a config file for ``task`` (sorted)."""
    return sorted(entry.name[:-5] for entry in _config_folder(task).iterdir()
                  if entry.name.endswith(".toml") and entry.name != "published.toml")


def load_config(method: str, quick: bool = False, task: str = "node",
                overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings of ``method`` for ``task`` as ``{"model": {...}, "train": {...}}``.

    ``quick`` replaces epochs, walk counts and patience by the tiny values of :data:`QUICK` (and drops early
    stopping); ``overrides`` (from :func:`parse_overrides`, ``{"gcn.hidden_channels": 64}``) are applied last,
    to the entries that name ``method``.
    """
    entry = _config_folder(task) / f"{method}.toml"
    if not entry.is_file():
        fail("load_config", f"'method' to be one with a config file for task '{task}' "
             f"({config_methods(task)})", repr(method), FileNotFoundError)
    return resolve_config(tomllib.loads(entry.read_text(encoding="utf-8")), method, quick, overrides)


def resolve_config(config: Mapping[str, Mapping[str, Any]], method: str, quick: bool = False,
                   overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``config`` with, in this order, the tiny values of :data:`QUICK` for the keys it has (if
    ``quick``) and the ``overrides`` of ``method``; a key left at ``None`` (``--quick``'s early stopping) is
    dropped, so the trainer's default (none) applies."""
    config = {name: {key: QUICK.get(key, value) if quick else value for key, value in table.items()}
              for name, table in config.items()}
    config = apply_overrides(config, method, overrides or {})
    return {name: {key: value for key, value in table.items() if value is not None} for name, table in config.items()}


def load_published(task: str = "node") -> dict[str, Any]:
    """The published figures of ``task`` (``configs/<task>/published.toml``); ``{"sources": {}}`` if it has none."""
    entry = resources.files("gnnlab.experiments") / "configs" / task / "published.toml"
    if not entry.is_file():
        return {"sources": {}}
    return tomllib.loads(entry.read_text(encoding="utf-8"))


def apply_overrides(config: dict[str, Any], method: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with the ``overrides`` of ``method`` (keys ``method.key`` or ``method.table.key``)."""
    config = copy.deepcopy(config)
    for name, value in overrides.items():
        owner, _, key = name.partition(".")
        if owner != method:
            continue
        table, key = _locate(config, method, key)
        config[table][key] = copy.deepcopy(value)
    return config


def _locate(config: dict[str, Any], method: str, key: str) -> tuple[str, str]:
    """The table holding ``key`` (``key`` alone or ``table.key``) in ``method``'s config."""
    valid = [f"{table}.{name}" for table, values in config.items() for name in values]
    table, _, name = key.rpartition(".")
    owners = [t for t, values in config.items() if name in values and table in ("", t)]
    if len(owners) == 1:
        return owners[0], name
    got = f"'{method}.{key}'" + (" (in several tables: name one, as 'method.table.key')" if owners else "")
    fail("--set", f"a key of {method}'s config ({', '.join(f'{method}.{v}' for v in valid) or 'it has none'})",
         got)


def parse_overrides(assignments: Iterable[str], task: str = "node",
                    methods: Iterable[str] | None = None, default_method: str | None = None) -> dict[str, Any]:
    """``["gcn.hidden_channels=64", "gat.dropout=0.5"]`` -> ``{"gcn.hidden_channels": 64, "gat.dropout": 0.5}``.

    Each value is typed from the TOML's own value for that key (int, float, bool, str, or a list of those:
    ``[64, 32]`` or ``64,32``). An unknown method, key or a value of the wrong type raises a ``ValueError``
    that lists the valid choices. ``methods`` limits the methods that may be named (the ones being run);
    with ``default_method`` a bare ``key=value`` refers to it.
    """
    known = config_methods(task)
    allowed = known if methods is None else list(methods)
    overrides: dict[str, Any] = {}
    for assignment in assignments:
        target, equals, text = assignment.partition("=")
        method, dot, key = target.strip().partition(".")
        if not dot and default_method is not None:
            method, key = default_method, method
        if not equals or not key:
            fail("--set", "METHOD.KEY=VALUE (e.g. gcn.hidden_channels=64)", repr(assignment))
        if method not in allowed:
            fail("--set", f"a method from {allowed}" + ("" if methods is None else " (the ones being run)"),
                 repr(method))
        config = load_config(method, task=task)
        table, name = _locate(config, method, key)
        overrides[f"{method}.{name}"] = _typed(text.strip(), config[table][name], f"{method}.{name}")
    return overrides


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _parse(text: str) -> Any:
    """``text`` as a TOML value; a bare word is a string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _typed(text: str, default: Any, name: str) -> Any:
    """``text`` as a value of ``default``'s type; a list is ``[a, b]`` or ``a,b`` with items of its items' type."""
    if isinstance(default, list):
        value = _parse(text)
        items = value if isinstance(value, list) else [_parse(part.strip()) for part in text.strip("[]").split(",")
                                                         if part.strip()]
        return [_coerce(item, default[0], name, text, default) for item in items] if default else items
    return _coerce(_parse(text), default, name, text, default)


def _coerce(value: Any, default: Any, name: str, text: str, shown: Any) -> Any:
    """``value`` as ``default``'s type, or an error naming ``name``, its config value ``shown`` and ``text``."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok, value = True, value if isinstance(value, str) else str(value)
    if not ok:
        kind = _TYPE_NAMES.get(type(default), type(default).__name__)
        kind = f"a list of {kind.removeprefix('a ').removeprefix('an ')}s" if isinstance(shown, list) else kind
        fail("--set", f"'{name}' to be {kind} (its config value is {shown!r})", repr(text))
    return value


__all__ = ["QUICK", "load_config", "load_published", "parse_overrides", "apply_overrides", "resolve_config",
           "config_methods"]
