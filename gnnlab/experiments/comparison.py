"""Run methods x datasets x splits x seeds, write every finished cell atomically, resume where a run stopped."""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from gnnlab.experiments.config import DATASETS_TABLE, for_dataset, load_config, resolve_config
from gnnlab.experiments.methods import check_config
from gnnlab.experiments.report import write_report
from gnnlab.experiments.task import TASKS, Task
from gnnlab.utils.device import resolve_device
from gnnlab.utils.io import atomic_write, remove_stale_temporaries
from gnnlab.utils.validation import check_choice, check_positive_int, fail


#: test-only: seconds each cell waits before it runs, so a test can interrupt a run mid-way on any machine
class Comparison:
    """One named run of a comparison of ``task``'s methods, stored under ``<out_dir>/<run_name>/``.

    ``runs.json`` (the settings and one row per finished (method, dataset, split, seed)) and ``runs.csv`` (the
    rows) are rewritten atomically after every cell, so an interrupted run loses at most the cell in progress;
    running the same name again skips the finished cells. A run name holds results of one task, one ``quick``
    and one set of ``overrides``, and of one config per method (``runs.json`` keeps each method's): resuming it
    with others, or after a method's config file changed, is refused rather than mixing two settings.

    Args:
        methods, datasets: from ``task.methods`` and ``task.datasets`` (default: all methods, and the task's
            ``default_datasets``, or all of them).
        split: one of ``task.splits`` (default: the task's first).
        seeds: seeds per cell (deterministic methods on a fixed split run once, see :meth:`runs`); default: the
            task's ``default_seeds`` (3; the graph task's 10 folds), 3 at most with ``quick``.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        run_name, out_dir: the results go to ``out_dir/run_name``; the default run name is the task's name,
            with ``-quick`` for a quick run (``results/node``, ``results/node-quick``, ``results/link``).
        quick: tiny epochs and walks (:data:`~gnnlab.experiments.config.QUICK`): a smoke test.
        verbose: a progress bar.
        task: a :class:`~gnnlab.experiments.Task` or its name (default: node classification).
        overrides: config overrides from :func:`~gnnlab.experiments.parse_overrides`
            (``{"gcn.hidden_channels": 64}``), applied to the configs read from the package.
        configs: method -> config, for methods whose config is not a file of the package (scripts that add
            methods to a task); overrides and ``quick`` apply to them too.

    Example::

        >>> import tempfile
        >>> from gnnlab.experiments import Comparison
        >>> with tempfile.TemporaryDirectory() as out_dir:
        ...     comparison = Comparison(["gcn", "labelprop"], ["cora"], seeds=2, device="cpu", out_dir=out_dir,
        ...                             quick=True, verbose=False)
        ...     print(comparison.cells())  # labelprop is deterministic: one seed on the public split
        ...     print(comparison.columns)
        ...     comparison = Comparison(["labelprop"], ["cora"], device="cpu", out_dir=out_dir, run_name="fast",
        ...                             quick=True, verbose=False)
        ...     rows = comparison.run()  # a fraction of a second; GNNs take longer
        ...     print(len(rows), rows[0]["method"], sorted(path.name for path in comparison.folder.iterdir()))
        [('gcn', 'cora', 'public', 0), ('gcn', 'cora', 'public', 1), ('labelprop', 'cora', 'public', 0)]
        ('method', 'dataset', 'split', 'seed', 'accuracy', 'train_time', 'device')
        1 labelprop ['runs.csv', 'runs.json']
    """

    def __init__(self, methods: Sequence[str] | None = None, datasets: Sequence[str] | None = None,
                 split: str | None = None, seeds: int | None = None,
                 device: str = "auto", run_name: str | None = None, out_dir: str | os.PathLike = "results",
                 quick: bool = False, verbose: bool = True, task: Task | str = "node",
                 overrides: Mapping[str, Any] | None = None,
                 configs: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        who = type(self).__name__
        if isinstance(task, str):
            task = TASKS[check_choice(who, "task", task, list(TASKS))]
        methods = list(task.methods) if methods is None else methods
        datasets = list(task.default_datasets or task.datasets) if datasets is None else datasets
        split = next(iter(task.splits)) if split is None else split
        if not methods:
            fail(who, f"at least one method from {list(task.methods)}", "none")
        for method in methods:
            check_choice(who, "methods", method, list(task.methods))
        for dataset in datasets:
            check_choice(who, "datasets", dataset, list(task.datasets))
        check_choice(who, "split", split, list(task.splits))
        if seeds is None:  # a smoke test runs few seeds; a result the task's own number (the graph task: 10 folds)
            seeds = min(3, task.default_seeds) if quick else task.default_seeds
        check_positive_int(who, "seeds", seeds)
        if run_name is None:  # each task and mode its own folder: a smoke test never lands beside a result
            run_name = task.name + ("-quick" if quick else "")
        if not isinstance(run_name, str) or not run_name or any(c in run_name for c in "/\\") \
                or run_name.startswith("."):
            fail(who, "'run_name' to be a plain folder name", repr(run_name))
        self.task, self.methods, self.datasets, self.split = task, list(methods), list(datasets), split
        self.seeds, self.quick, self.verbose = seeds, quick, verbose
        self.overrides = dict(overrides or {})
        self.configs = {method: self._config(method, configs or {}) for method in self.methods}
        self.device = resolve_device(device)
        self.folder = Path(out_dir) / run_name
        self._prepare_folder()
        self.rows = self._load_rows()

    def _config(self, method: str, given: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        if method not in given:
            config = load_config(method, self.quick, self.task.name, self.overrides)
        else:
            config = resolve_config(given[method], method, self.quick, self.overrides)
        # every key against the signature it feeds, now rather than when the method's turn comes, and on every
        # dataset the config changes something for
        changed = config.get(DATASETS_TABLE, {})
        for dataset in changed:
            if dataset not in self.task.datasets:
                fail(method, f"[{DATASETS_TABLE}.<name>] tables of datasets of task '{self.task.name}' "
                     f"({', '.join(self.task.datasets)})", repr(dataset))
        schema = getattr(self.task.methods[method], "schema", None)
        if schema is not None:
            for dataset in (None, *changed):
                check_config(method, for_dataset(config, dataset), schema())
        return config

    def _prepare_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as error:
            fail(type(self).__name__, "a writable output directory ('out_dir')", f"{self.folder}: {error.strerror}")
        # temporary files of a run killed mid-write (this run name has one writer)
        for written in ("runs.json", "runs.csv", "embeddings/*.npy", "predictions/*.npy"):
            remove_stale_temporaries(self.folder / written)

    # -- the record ------------------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """What a run name is bound to: the task, ``quick`` and the overrides."""
        return {"task": self.task.name, "quick": self.quick, "overrides": self.overrides}

    def _load_rows(self) -> list[dict[str, Any]]:
        path = self.folder / "runs.json"
        self._stored_configs: dict[str, Any] = {}
        if not path.is_file():
            return []
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            fail(type(self).__name__, f"a readable '{path}' to resume from (delete it to start over)", str(error))
        # a record of gnnlab 0.1.0 is the bare list of node-classification rows
        rows = record if isinstance(record, list) else record["rows"]
        if isinstance(record, dict):
            stored = {key: record.get(key) for key in self.settings}
            if stored != self.settings:
                fail(type(self).__name__, f"the settings that run '{self.folder.name}' was started with, to "
                     f"resume it ({stored}); results of other settings are never mixed into one run: use another "
                     "run_name (or the same task, quick and overrides)", self.settings)
        unique: dict[tuple, dict[str, Any]] = {}
        for row in rows:
            unique[self.key(row)] = row
        # a record written before the configs were kept has none to compare
        self._stored_configs = dict(record.get("configs", {})) if isinstance(record, dict) else {}
        finished = {row["method"] for row in unique.values()}
        for method in self.methods:
            stored, current = self._stored_configs.get(method), _plain(self.configs[method])
            if method in finished and stored is not None and stored != current:
                fail(type(self).__name__, f"the config of '{method}' that run '{self.folder.name}' was started "
                     f"with, to resume it ({stored}); its finished cells are never mixed with cells of another "
                     "config: use another run_name (or restore the config)", current)
        return list(unique.values())

    @staticmethod
    def key(row: dict[str, Any]) -> tuple:
        return row["method"], row["dataset"], row["split"], int(row["seed"])

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of ``runs.csv``."""
        return ("method", "dataset", "split", "seed", *self.task.metrics, "train_time", "device")

    def _save(self) -> None:
        with atomic_write(self.folder / "runs.json") as handle:
            configs = {**self._stored_configs, **{method: _plain(self.configs[method]) for method in self.methods}}
            json.dump({**self.settings, "configs": configs, "rows": self.rows}, handle, indent=1)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        with atomic_write(self.folder / "runs.csv") as handle:
            handle.write(buffer.getvalue())

    # -- running -----------------------------------------------------------------------------------
    def runs(self, method: str) -> int:
        """Seeds ``method`` runs: :attr:`seeds`, or one for a deterministic method on a split fixed across seeds."""
        return self.task.runs_per_split(method, self.split, self.seeds)

    def cells(self) -> list[tuple[str, str, str, int]]:
        return [(method, dataset, self.split, seed) for dataset in self.datasets for method in self.methods
                for seed in range(self.runs(method))]

    def results(self) -> list[dict[str, Any]]:
        """The finished rows of this comparison's cells (a run name may also hold other cells)."""
        wanted = set(self.cells())
        return [row for row in self.rows if self.key(row) in wanted]

    def run(self, on_cell: Callable[[str, str, str, int], None] | None = None) -> list[dict[str, Any]]:
        """Run the cells not finished yet; return every row of the record.

        Args:
            on_cell: called as ``on_cell(method, dataset, split, seed)`` before each cell runs (the cells
                before it are in the record by then).
        """
        done = {self.key(row) for row in self.rows}
        todo = [cell for cell in self.cells() if cell not in done]
        data_cache: dict[tuple[str, int], Any] = {}
        bar = tqdm(todo, desc="compare", unit="cell", disable=not self.verbose)
        for method, dataset, split, seed in bar:
            bar.set_postfix_str(f"{method} on {dataset}, seed {seed}")
            if on_cell is not None:
                on_cell(method, dataset, split, seed)
            # the data of a split that changes with the seed is drawn per seed; others are drawn once
            data_key = (dataset, seed if self.task.splits[split] else 0)
            if data_key not in data_cache:
                data_cache[data_key] = self.task.load_data(dataset, split, data_key[1])
            config = for_dataset(self.configs[method], dataset)
            result = self.task.methods[method](data_cache[data_key], config, seed, self.device, False)
            self.rows.append(self._row(method, dataset, seed, result))
            for folder, array in (("embeddings", result.embedding), ("predictions", result.predictions)):
                if array is not None and seed == 0:
                    with atomic_write(self.folder / folder / f"{method}-{dataset}-{split}.npy", "wb") as handle:
                        np.save(handle, array.astype(np.float32))
            self._save()
        return self.rows

    def _row(self, method: str, dataset: str, seed: int, result: Any) -> dict[str, Any]:
        missing = [metric for metric in self.task.metrics if metric not in result.scores]
        if missing:
            fail(f"method '{method}'", f"scores for every metric of task '{self.task.name}' "
                 f"({list(self.task.metrics)})", f"no {', '.join(missing)}", RuntimeError)
        return {"method": method, "dataset": dataset, "split": self.split, "seed": seed,
                **{metric: round(100 * result.scores[metric], 2) for metric in self.task.metrics},
                "train_time": round(result.train_time, 3), "device": result.device,
                "val_curve": [round(v, 4) for v in result.curve]}


def _plain(config: Mapping[str, Any]) -> Any:
    """``config`` as ``runs.json`` stores it (JSON types, anything else by its ``repr``), to compare with the
    stored one."""
    return json.loads(json.dumps(config, default=repr))


def compare(methods: Sequence[str] | None = None, datasets: Sequence[str] | None = None, split: str | None = None,
            seeds: int | None = None,
            device: str = "auto", run_name: str | None = None, out_dir: str | os.PathLike = "results",
            quick: bool = False, verbose: bool = True, tsne: bool = True, task: Task | str = "node",
            overrides: Mapping[str, Any] | None = None,
            configs: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Run :class:`Comparison` (or resume it) and write ``summary.md`` and the task's plots (``accuracy.png``,
    ``curves.png``, ``tsne.png`` for node classification) beside ``runs.csv``/``runs.json``.

    Returns ``{"table": the Markdown, "folder", "summary", "csv", "json", "<plot>_plot": path, ...}`` (the plots
    that were written).

    Args:
        methods: method names from ``task.methods`` (e.g. ``["gcn", "gat"]``; default: all of them).
        datasets: dataset names from ``task.datasets`` (``["cora", "citeseer"]``; default: the task's
            ``default_datasets``, or all of them).
        split: one of ``task.splits`` (``"public"`` or ``"random"`` for node classification; default: the
            task's first).
        seeds: seeds per cell (deterministic methods on a fixed split run once; default: as :class:`Comparison`).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        run_name: the run's folder name under ``out_dir``; running it again resumes it (default: the task's
            name, with ``-quick`` for a quick run).
        out_dir: the folder of all runs.
        quick: tiny epochs and walks (:data:`~gnnlab.experiments.config.QUICK`): a smoke test.
        verbose: a progress bar.
        tsne: also draw the t-SNE plot of the embeddings (node classification; the slowest plot).
        task: a :class:`~gnnlab.experiments.Task` or its name (default: node classification).
        overrides: config overrides from :func:`~gnnlab.experiments.parse_overrides`.
        configs: method -> config for methods without a config file of the package (as :class:`Comparison`).

    Example::

        >>> import tempfile
        >>> from gnnlab.experiments import compare
        >>> with tempfile.TemporaryDirectory() as out_dir:
        ...     written = compare(["labelprop"], ["cora"], seeds=1, device="cpu", out_dir=out_dir, quick=True,
        ...                       verbose=False, tsne=False)
        ...     print(sorted(written))
        ...     print(written["table"].splitlines()[0])
        ['accuracy_plot', 'csv', 'curves_plot', 'folder', 'json', 'summary', 'table']
        | method | Cora (ours) | Cora (published) | Cora vs best |
    """
    comparison = Comparison(methods, datasets, split, seeds, device, run_name, out_dir, quick, verbose, task,
                            overrides, configs)
    comparison.run()
    written = write_report(comparison, comparison.results(), skip_plots=() if tsne else ("tsne",))
    folder = comparison.folder
    return {"table": written["summary"].read_text(), "folder": folder, "csv": folder / "runs.csv",
            "json": folder / "runs.json", **written}


__all__ = ["Comparison", "compare"]
