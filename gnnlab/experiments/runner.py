"""Run methods x datasets x splits x seeds, write every finished cell atomically, resume where a run stopped."""
from __future__ import annotations

import csv
import io
import json
import os

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from gnnlab.data.planetoid import DATASETS, load_planetoid
from gnnlab.experiments.methods import METHODS
from gnnlab.utils.device import resolve_device
from gnnlab.utils.io import atomic_write, remove_stale_temporaries
from gnnlab.utils.validation import check_choice, check_positive_int, fail

SPLITS = ("public", "random")
COLUMNS = ("method", "dataset", "split", "seed", "accuracy", "train_time", "device")
#: overrides of ``--quick``: a smoke test of the whole pipeline, not a measurement
QUICK = {"epochs": 5, "walks_per_node": 1, "walk_length": 10, "pairs_per_node": 20, "iterations": 5,
         "early_stopping": None, "patience": 5}


def experiments_dir() -> Path:
    """The repository's ``experiments/`` folder (configs and published figures)."""
    return Path(os.environ.get("GNNLAB_EXPERIMENTS", Path(__file__).resolve().parents[2] / "experiments"))


def load_config(method: str, quick: bool = False) -> dict[str, Any]:
    path = experiments_dir() / "configs" / f"{method}.toml"
    if not path.is_file():
        fail("load_config", f"a config file for '{method}' at '{path}'", "no such file", FileNotFoundError)
    with open(path, "rb") as handle:
        config = tomllib.load(handle)
    if quick:
        for table in config.values():
            for key, value in QUICK.items():
                if key in table:
                    table[key] = value
            if table.get("early_stopping", 0) is None:
                del table["early_stopping"]
    return config


class Comparison:
    """One named run of the comparison, stored under ``<out_dir>/<run_name>/``.

    ``runs.json`` (the record) and ``runs.csv`` hold one row per finished (method, dataset, split, seed) and are
    rewritten atomically after every cell, so an interrupted run loses at most the cell in progress; running the
    same name again skips the finished cells.
    """

    def __init__(self, methods: Sequence[str], datasets: Sequence[str], split: str = "public", seeds: int = 3,
                 device: str = "auto", run_name: str = "default", out_dir: str | os.PathLike = "results",
                 quick: bool = False, verbose: bool = True) -> None:
        who = "gnnlab compare"
        if not methods:
            fail(who, f"at least one method from {list(METHODS)}", "none")
        for method in methods:
            check_choice(who, "methods", method, list(METHODS))
        for dataset in datasets:
            check_choice(who, "datasets", dataset, list(DATASETS))
        check_choice(who, "split", split, SPLITS)
        check_positive_int(who, "seeds", seeds)
        if not run_name or any(c in run_name for c in "/\\") or run_name.startswith("."):
            fail(who, "'run_name' to be a plain folder name", repr(run_name))
        self.methods, self.datasets, self.split, self.seeds = list(methods), list(datasets), split, seeds
        self.device, self.quick, self.verbose = resolve_device(device), quick, verbose
        self.folder = Path(out_dir) / run_name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as error:
            fail(who, "a writable output directory ('out_dir')", f"{self.folder}: {error.strerror}")
        # temporary files of a run killed mid-write (this run name has one writer)
        for written in ("runs.json", "runs.csv", "embeddings/*.npy"):
            remove_stale_temporaries(self.folder / written)
        self.rows = self._load_rows()

    # -- the record ------------------------------------------------------------------------------
    def _load_rows(self) -> list[dict[str, Any]]:
        path = self.folder / "runs.json"
        if not path.is_file():
            return []
        try:
            rows = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            fail("gnnlab compare", f"a readable '{path}' to resume from (delete it to start over)", str(error))
        unique: dict[tuple, dict[str, Any]] = {}
        for row in rows:
            unique[self.key(row)] = row
        return list(unique.values())

    @staticmethod
    def key(row: dict[str, Any]) -> tuple:
        return row["method"], row["dataset"], row["split"], int(row["seed"])

    def _save(self) -> None:
        with atomic_write(self.folder / "runs.json") as handle:
            json.dump(self.rows, handle, indent=1)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        with atomic_write(self.folder / "runs.csv") as handle:
            handle.write(buffer.getvalue())

    # -- running -----------------------------------------------------------------------------------
    def cells(self) -> list[tuple[str, str, str, int]]:
        return [(method, dataset, self.split, seed) for dataset in self.datasets for method in self.methods
                for seed in range(self.seeds)]

    def run(self) -> list[dict[str, Any]]:
        done = {self.key(row) for row in self.rows}
        todo = [cell for cell in self.cells() if cell not in done]
        data_cache: dict[tuple[str, int], Any] = {}
        configs = {method: load_config(method, self.quick) for method in self.methods}
        bar = tqdm(todo, desc="compare", unit="cell", disable=not self.verbose)
        for method, dataset, split, seed in bar:
            bar.set_postfix_str(f"{method} on {dataset}, seed {seed}")
            # the random split changes with the seed; the public split does not
            data_key = (dataset, seed if split == "random" else 0)
            if data_key not in data_cache:
                data_cache[data_key] = load_planetoid(dataset, split=split, seed=data_key[1])
            result = METHODS[method](data_cache[data_key], configs[method], seed, self.device, False)
            row = {"method": method, "dataset": dataset, "split": split, "seed": seed,
                   "accuracy": round(100 * result.accuracy, 2), "train_time": round(result.train_time, 3),
                   "device": result.device, "val_curve": [round(v, 4) for v in result.curve]}
            if result.embedding is not None and seed == 0:
                with atomic_write(self.folder / "embeddings" / f"{method}-{dataset}-{split}.npy", "wb") as handle:
                    np.save(handle, result.embedding.astype(np.float32))
            self.rows.append(row)
            self._save()
        return self.rows
