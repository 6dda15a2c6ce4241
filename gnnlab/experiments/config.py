"""The methods' hyper-parameters: TOML files shipped inside the package, one per task and method.

``gnnlab/experiments/configs/<task>/<method>.toml`` holds a method's settings (the papers' values) as a
``[model]`` table (constructor options) and a ``[train]`` table (trainer options);
``configs/<task>/published.toml`` holds the published figures the tables are compared against. They are read
with :mod:`importlib.resources`, so an installed wheel finds them wherever it is run from. They are the one
source of these numbers: ``gnnlab compare``, ``gnnlab train`` and the scripts in ``experiments/`` all read them,
and a run changes them without editing files through *overrides* (``--set gcn.hidden_channels=64``).

A setting that differs on one dataset (a paper's PubMed or NCI1 values) lives in the same file, as a table
``[datasets.<dataset>.<table>]`` whose keys replace the base table's on that dataset (:func:`for_dataset`);
``--quick`` and the overrides reach those keys too.
"""
from __future__ import annotations

import copy
import os
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


#: the parsed files, by path and the file's size and modification time: a run reads each file once (the
#: command line types its --set values from it, the comparison then loads it), and an edited file is read again
_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


#: the table of a method's config holding its per-dataset changes, ``[datasets.<dataset>.<table>]``
DATASETS_TABLE = "datasets"


def _tables(config: Mapping[str, Any]) -> dict[str, Any]:
    """The base tables of ``config`` (``model``, ``train``, ``grid``...), without the per-dataset changes."""
    return {name: table for name, table in config.items() if name != DATASETS_TABLE}


def for_dataset(config: Mapping[str, Any], dataset: str | None) -> dict[str, Any]:
    """The config a method runs with on ``dataset``: the base tables, with the keys of
    ``[datasets.<dataset>.<table>]`` replacing (or adding to) theirs, and no ``datasets`` table.

    Args:
        config: a method's config, as :func:`load_config` returns it; not modified.
        dataset: the dataset's name, as the task spells it (``"nci1"``, ``"pubmed"``); ``None``: the base tables.

    Example::

        >>> from gnnlab.experiments.config import for_dataset
        >>> config = {"train": {"epochs": 100, "lr": 0.01}, "datasets": {"nci1": {"train": {"epochs": 350}}}}
        >>> for_dataset(config, "nci1")
        {'train': {'epochs': 350, 'lr': 0.01}}
        >>> for_dataset(config, "mutag")
        {'train': {'epochs': 100, 'lr': 0.01}}
    """
    merged = {name: dict(table) for name, table in _tables(config).items()}
    for name, table in (config.get(DATASETS_TABLE, {}).get(dataset, {}) if dataset is not None else {}).items():
        merged.setdefault(name, {}).update(table)
    return copy.deepcopy(merged)


def _read(entry: Any) -> dict[str, Any]:
    """The TOML file ``entry`` (a path or a package resource), parsed; a copy, so callers may change it."""
    try:
        info = os.stat(str(entry))
        key = (str(entry), info.st_size, info.st_mtime_ns)
    except OSError:  # a resource that is not a plain file (a zipped package): no cache
        return tomllib.loads(entry.read_text(encoding="utf-8"))
    if key not in _PARSED:
        _PARSED[key] = tomllib.loads(entry.read_text(encoding="utf-8"))
    return copy.deepcopy(_PARSED[key])


def _config_folder(task: str) -> Any:
    folder = resources.files("gnnlab.experiments") / "configs" / task
    if not folder.is_dir():
        fail("load_config", f"'task' to have a config folder 'gnnlab/experiments/configs/{task}'", repr(task))
    return folder


def config_methods(task: str = "node") -> list[str]:
    """The methods that have a config file for ``task`` (sorted).

    Args:
        task: a task's name (``"node"``, ``"link"``): the folder ``gnnlab/experiments/configs/<task>/``.

    Example::

        >>> from gnnlab.experiments.config import config_methods
        >>> config_methods("node")
        ['deepwalk', 'gat', 'gcn', 'ggnn', 'labelprop', 'logreg', 'mlp', 'node2vec', 'sage']
    """
    return sorted(entry.name[:-5] for entry in _config_folder(task).iterdir()
                  if entry.name.endswith(".toml") and entry.name != "published.toml")


def load_config(method: str, quick: bool = False, task: str = "node",
                overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings of ``method`` for ``task`` as ``{"model": {...}, "train": {...}}``.

    ``quick`` replaces epochs, walk counts and patience by the tiny values of :data:`QUICK` (and drops early
    stopping and the model-selection ``[grid]``); ``overrides`` (from :func:`parse_overrides`,
    ``{"gcn.hidden_channels": 64}``) are applied last,
    to the entries that name ``method``.

    Args:
        method: a method with a config file for ``task`` (:func:`config_methods`), e.g. ``"gcn"``.
        quick: use the tiny values of :data:`QUICK` (a smoke test, not a measurement).
        task: the task's name (``"node"`` or ``"link"``).
        overrides: ``{"method.key": value}`` or ``{"method.table.key": value}``; entries of other methods are
            ignored.

    Example::

        >>> from gnnlab.experiments import load_config
        >>> config = load_config("gcn")
        >>> sorted(config), sorted(config["train"])
        (['model', 'train'], ['epochs', 'lr', 'weight_decay'])
        >>> load_config("gcn", quick=True)["train"]["epochs"]
        5
        >>> load_config("gcn", overrides={"gcn.hidden_channels": 64, "gat.dropout": 0.1})["model"]["hidden_channels"]
        64
    """
    entry = _config_folder(task) / f"{method}.toml"
    if not entry.is_file():
        fail("load_config", f"'method' to be one with a config file for task '{task}' "
             f"({config_methods(task)})", repr(method), FileNotFoundError)
    return resolve_config(_read(entry), method, quick, overrides)


def resolve_config(config: Mapping[str, Mapping[str, Any]], method: str, quick: bool = False,
                   overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``config`` with, in this order, the tiny values of :data:`QUICK` for the keys it has (if
    ``quick``) and the ``overrides`` of ``method``; a key left at ``None`` (``--quick``'s early stopping) is
    dropped, so the trainer's default (none) applies.

    Args:
        config: ``{"model": {...}, "train": {...}}`` (any tables), as read from a method's TOML file; not modified.
        method: the method's name, which the keys of ``overrides`` start with.
        quick: use the tiny values of :data:`QUICK` for the keys ``config`` has.
        overrides: ``{"method.key": value}`` or ``{"method.table.key": value}`` (as :func:`apply_overrides`).

    Example::

        >>> from gnnlab.experiments.config import resolve_config
        >>> config = {"model": {"hidden_channels": 16}, "train": {"epochs": 200, "early_stopping": 100}}
        >>> resolve_config(config, "gcn", quick=True)  # QUICK's early_stopping is None: dropped
        {'model': {'hidden_channels': 16}, 'train': {'epochs': 5}}
        >>> resolve_config(config, "gcn", overrides={"gcn.epochs": 10, "gat.epochs": 1})
        {'model': {'hidden_channels': 16}, 'train': {'epochs': 10, 'early_stopping': 100}}
    """
    def shrunk(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        # a smoke test selects no model: the [grid] table (graph classification's) is dropped, [model]/[train] stay
        return {name: {key: QUICK.get(key, value) if quick else value for key, value in table.items()}
                for name, table in tables.items() if not (quick and name == "grid")}

    def kept(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        return {name: {key: value for key, value in table.items() if value is not None}
                for name, table in tables.items()}

    per_dataset = config.get(DATASETS_TABLE, {})
    config = shrunk(_tables(config))
    if per_dataset:
        config[DATASETS_TABLE] = {dataset: shrunk(tables) for dataset, tables in per_dataset.items()}
    config = apply_overrides(config, method, overrides or {})
    resolved = kept(_tables(config))
    if per_dataset:
        resolved[DATASETS_TABLE] = {dataset: kept(tables) for dataset, tables in config[DATASETS_TABLE].items()}
    return resolved


def load_published(task: str = "node") -> dict[str, Any]:
    """The published figures of ``task`` (``configs/<task>/published.toml``); ``{"sources": {}}`` if it has none.

    Args:
        task: the task's name (``"node"`` or ``"link"``).

    Returns:
        ``{"sources": {key: citation}, "<dataset>": {"<method>": {"<metric>": value, "source": key}}}``, the
        figures in percent.

    Example::

        >>> from gnnlab.experiments import load_published
        >>> published = load_published("node")
        >>> sorted(published)
        ['citeseer', 'cora', 'pubmed', 'sources']
        >>> published["cora"]["gcn"]
        {'accuracy': 81.5, 'source': 'kipf2017'}
    """
    entry = resources.files("gnnlab.experiments") / "configs" / task / "published.toml"
    if not entry.is_file():
        return {"sources": {}}
    return _read(entry)


def apply_overrides(config: dict[str, Any], method: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with the ``overrides`` of ``method`` (keys ``method.key`` or ``method.table.key``).

    Args:
        config: the method's config, ``{"model": {...}, "train": {...}}``; not modified.
        method: the method's name; overrides of other methods are skipped.
        overrides: ``{"method.key": value}`` (the one table holding ``key``) or ``{"method.table.key": value}``;
            a key that ``config`` does not have raises a ``ValueError`` listing the valid ones.

    Example::

        >>> from gnnlab.experiments.config import apply_overrides
        >>> config = {"model": {"hidden_channels": 16}, "train": {"lr": 0.01}}
        >>> apply_overrides(config, "gcn", {"gcn.lr": 0.05, "gcn.model.hidden_channels": 32, "gat.lr": 0.5})
        {'model': {'hidden_channels': 32}, 'train': {'lr': 0.05}}
        >>> config["train"]["lr"]  # left as it was
        0.01
    """
    config = copy.deepcopy(config)
    for name, value in overrides.items():
        owner, _, key = name.partition(".")
        if owner != method:
            continue
        table, key = _locate(config, method, key)
        config[table][key] = copy.deepcopy(value)
        # an override is the run's value on every dataset, also where the file changes it for one
        for tables in config.get(DATASETS_TABLE, {}).values():
            if key in tables.get(table, {}):
                tables[table][key] = copy.deepcopy(value)
    return config


def _locate(config: dict[str, Any], method: str, key: str) -> tuple[str, str]:
    """The table holding ``key`` (``key`` alone or ``table.key``) in ``method``'s config."""
    tables = _tables(config)
    valid = [f"{table}.{name}" for table, values in tables.items() for name in values]
    table, _, name = key.rpartition(".")
    owners = [t for t, values in tables.items() if name in values and table in ("", t)]
    if len(owners) == 1:
        return owners[0], name
    got = f"'{method}.{key}'" + (" (in several tables: name one, as 'method.table.key')" if owners else "")
    fail("overrides", f"a key of {method}'s config ({', '.join(f'{method}.{v}' for v in valid) or 'it has none'})",
         got)


def parse_overrides(assignments: Iterable[str], task: str = "node",
                    methods: Iterable[str] | None = None, default_method: str | None = None) -> dict[str, Any]:
    """``["gcn.hidden_channels=64", "gat.dropout=0.5"]`` -> ``{"gcn.hidden_channels": 64, "gat.dropout": 0.5}``.

    Each value is typed from the TOML's own value for that key (int, float, bool, str, or a list of those:
    ``[64, 32]`` or ``64,32``). An unknown method, key or a value of the wrong type raises a ``ValueError``
    that lists the valid choices. ``methods`` limits the methods that may be named (the ones being run);
    with ``default_method`` a bare ``key=value`` refers to it.

    Args:
        assignments: strings ``"METHOD.KEY=VALUE"`` (or ``"METHOD.TABLE.KEY=VALUE"``), as ``--set`` takes them.
        task: the task whose config files give the methods, keys and types (``"node"`` or ``"link"``).
        methods: the methods that may be named (default: every method with a config file for ``task``).
        default_method: the method a bare ``"KEY=VALUE"`` refers to (``None``: a method must be named).

    Example::

        >>> from gnnlab.experiments import parse_overrides
        >>> parse_overrides(["gcn.hidden_channels=64", "gat.dropout=0.5"])
        {'gcn.hidden_channels': 64, 'gat.dropout': 0.5}
        >>> parse_overrides(["lr=0.05"], default_method="gcn")
        {'gcn.lr': 0.05}
        >>> parse_overrides(["gcn.hidden_channels=wide"])
        Traceback (most recent call last):
            ...
        ValueError: 'overrides' expected 'gcn.hidden_channels' to be an integer (its config value is 16) (got 'wide')
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
            fail("overrides", "METHOD.KEY=VALUE (e.g. gcn.hidden_channels=64)", repr(assignment))
        if method not in allowed:
            fail("overrides", f"a method from {allowed}" + ("" if methods is None else " (the ones being run)"),
                 repr(method))
        config = load_config(method, task=task)
        table, name = _locate(config, method, key)
        # the table stays in the key where another table has the same name (a [grid] list beside its [model] value)
        unique = sum(name in values for values in _tables(config).values()) == 1
        target = f"{method}.{name}" if unique else f"{method}.{table}.{name}"
        overrides[target] = _typed(text.strip(), config[table][name], target)
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
        fail("overrides", f"'{name}' to be {kind} (its config value is {shown!r})", repr(text))
    return value


__all__ = ["QUICK", "load_config", "load_published", "parse_overrides", "apply_overrides", "resolve_config",
           "config_methods"]
