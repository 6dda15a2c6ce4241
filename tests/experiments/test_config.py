"""The configs ship inside the package (read with importlib.resources) and the wheel's package data covers them."""
from __future__ import annotations

import fnmatch
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pytest

from gnnlab.experiments import NODE, load_config, load_published
from gnnlab.experiments.config import config_methods

ROOT = Path(__file__).resolve().parents[2]


def test_every_method_of_the_node_task_has_one_config_and_nothing_else_does():
    assert config_methods("node") == sorted(NODE.methods)
    for method in NODE.methods:
        assert set(load_config(method)) <= {"model", "train", "datasets"}
    # the published figures name methods of the task and give its primary metric
    published = load_published("node")
    for dataset in NODE.datasets:
        for method, entry in published[dataset].items():
            assert method in NODE.methods and NODE.primary in entry and entry["source"] in published["sources"]


def test_no_copy_of_the_configs_outside_the_package():
    assert not (ROOT / "experiments" / "configs").exists()
    assert not (ROOT / "experiments" / "published.toml").exists()


def _package_data_covers(package: str, folder: Path, files: list[Path]) -> list[Path]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        patterns = tomllib.load(handle)["tool"]["setuptools"]["package-data"][package]
    return [f for f in files if not any(fnmatch.fnmatch(f.relative_to(folder).as_posix(), p) for p in patterns)]


def test_the_wheel_ships_every_config_and_every_bundled_file():
    configs = ROOT / "gnnlab" / "experiments"
    assert _package_data_covers("gnnlab.experiments", configs, sorted((configs / "configs").rglob("*.toml"))) == []
    datasets = ROOT / "datasets"
    bundled = [f for f in datasets.rglob("*") if f.is_file() and "processed" not in f.parts
               and f.suffix not in (".py", ".pyc")]
    planetoid = [f for f in bundled if f.relative_to(datasets).parts[0] not in ("TU", "bAbI")]
    assert len(planetoid) == 26  # 8 raw files of each of Cora, CiteSeer and PubMed, the licence, PubMed's PROVENANCE
    tu = [f for f in bundled if f.relative_to(datasets).parts[0] == "TU" and f.parent.name == "raw"]
    assert len(tu) == 22  # MUTAG, PROTEINS, ENZYMES 5 files; NCI1 4; IMDB-BINARY 3
    assert (datasets / "TU" / "PROVENANCE.md").is_file() and (datasets / "bAbI" / "PROVENANCE.md").is_file()
    assert (datasets / "PubMed" / "PROVENANCE.md").is_file()
    assert _package_data_covers("gnnlab.datasets", datasets, bundled) == []


def test_quick_then_overrides():
    paper = load_config("gat")
    quick = load_config("gat", quick=True)
    assert quick["train"]["epochs"] == 5 and "early_stopping" not in quick["train"]
    assert quick["model"] == paper["model"] and quick["train"]["lr"] == paper["train"]["lr"]
    # an override wins over --quick, even for the key --quick drops
    both = load_config("gat", quick=True, overrides={"gat.early_stopping": 3, "gat.epochs": 9, "gcn.epochs": 1})
    assert both["train"] == {**quick["train"], "epochs": 9, "early_stopping": 3}


def test_a_run_reads_each_config_file_once_and_an_edited_file_again(tmp_path, monkeypatch):
    import os

    from gnnlab.experiments import config as config_module

    reads = []
    original = config_module.tomllib.loads

    def counting(text):
        if not text.startswith("value = "):  # not parse_overrides' own typing of a value
            reads.append(text)
        return original(text)

    monkeypatch.setattr(config_module, "_PARSED", {})
    monkeypatch.setattr(config_module.tomllib, "loads", counting)
    overrides = config_module.parse_overrides(["gcn.hidden_channels=64"])  # types the value from the file
    config = config_module.load_config("gcn", overrides=overrides)
    assert config["model"]["hidden_channels"] == 64 and len(reads) == 1
    config["model"]["hidden_channels"] = 1  # a caller's change does not reach the next load
    assert config_module.load_config("gcn")["model"]["hidden_channels"] == 16
    # the same file edited is read again (a notebook that edits a config between two runs)
    copy = tmp_path / "gcn.toml"
    copy.write_text("[model]\nhidden_channels = 8\n")
    assert config_module._read(copy)["model"]["hidden_channels"] == 8
    copy.write_text("[model]\nhidden_channels = 32\n")
    os.utime(copy, ns=(1, 10**18))
    assert config_module._read(copy)["model"]["hidden_channels"] == 32


PER_DATASET = {"model": {"hidden_channels": 32}, "train": {"epochs": 100, "lr": 0.01},
               "grid": {"hidden_channels": [32, 64]},
               "datasets": {"nci1": {"train": {"epochs": 350, "batch_size": 128}, "grid": {"hidden_channels": [64]}},
                            "mutag": {"model": {"dropout": 0.0}}}}


def test_a_dataset_table_replaces_and_adds_keys_on_that_dataset_only():
    from gnnlab.experiments import for_dataset

    nci1 = for_dataset(PER_DATASET, "nci1")
    assert nci1 == {"model": {"hidden_channels": 32}, "train": {"epochs": 350, "lr": 0.01, "batch_size": 128},
                    "grid": {"hidden_channels": [64]}}
    assert for_dataset(PER_DATASET, "mutag")["model"] == {"hidden_channels": 32, "dropout": 0.0}
    assert for_dataset(PER_DATASET, "proteins") == for_dataset(PER_DATASET, None) == {
        name: table for name, table in PER_DATASET.items() if name != "datasets"}
    nci1["train"]["epochs"] = 1  # a copy: the config is left as it was
    assert PER_DATASET["datasets"]["nci1"]["train"]["epochs"] == 350 and PER_DATASET["train"]["epochs"] == 100


def test_quick_and_overrides_reach_the_dataset_tables():
    from gnnlab.experiments.config import for_dataset, resolve_config

    quick = resolve_config(PER_DATASET, "gin", quick=True)
    assert "grid" not in for_dataset(quick, "nci1") and for_dataset(quick, "nci1")["train"]["epochs"] == 5
    assert for_dataset(quick, "nci1")["train"]["batch_size"] == 128
    # an override is the run's value everywhere, also where a dataset table changes it
    both = resolve_config(PER_DATASET, "gin", overrides={"gin.epochs": 7, "gin.grid.hidden_channels": [16]})
    for dataset in ("nci1", "mutag"):
        assert for_dataset(both, dataset)["train"]["epochs"] == 7
        assert for_dataset(both, dataset)["grid"] == {"hidden_channels": [16]}
    assert PER_DATASET["train"]["epochs"] == 100


def test_a_key_of_two_tables_keeps_its_table_from_the_command_line_to_the_config():
    from gnnlab.experiments import parse_overrides

    # gin's [model] and [grid] both have hidden_channels: naming the table picks one, and it stays picked
    overrides = parse_overrides(["gin.grid.hidden_channels=[64]", "gin.model.hidden_channels=16", "gin.epochs=3"],
                                task="graph")
    assert overrides == {"gin.grid.hidden_channels": [64], "gin.model.hidden_channels": 16, "gin.epochs": 3}
    config = load_config("gin", task="graph", overrides=overrides)
    assert config["grid"]["hidden_channels"] == [64] and config["model"]["hidden_channels"] == 16
    with pytest.raises(ValueError, match="in several tables: name one"):
        parse_overrides(["gin.hidden_channels=64"], task="graph")


def test_a_comparison_runs_each_dataset_with_its_config_and_refuses_a_wrong_table(tmp_path):
    from torch_geometric.data import Data

    from gnnlab.experiments import Comparison, MethodResult, Task

    seen = {}

    def run(data, config, seed, device, verbose):
        seen[data.name] = config
        return MethodResult({"score": config["train"]["epochs"]}, 0.0, "cpu")

    run.schema = lambda: {"model": ["hidden_channels", "dropout"], "train": ["epochs", "lr", "batch_size"],
                          "grid": None}
    task = Task(name="toy", description="toy", methods={"a": run}, datasets={"nci1": "NCI1", "mutag": "MUTAG"},
                load_data=lambda dataset, split, seed: Data(name=dataset), splits={"fixed": False},
                metrics={"score": "score"}, plots=())
    Comparison(["a"], ["nci1", "mutag"], seeds=1, out_dir=tmp_path, task=task, configs={"a": PER_DATASET},
               verbose=False).run()
    assert seen["nci1"]["train"]["epochs"] == 350 and seen["mutag"]["model"]["dropout"] == 0.0
    assert "datasets" not in seen["nci1"] and seen["mutag"]["train"]["epochs"] == 100
    wrong_dataset = {**PER_DATASET, "datasets": {"nci": {"train": {"epochs": 1}}}}
    with pytest.raises(ValueError, match=r"\[datasets.<name>\] tables of datasets of task 'toy' .*\(got 'nci'\)"):
        Comparison(["a"], ["nci1"], out_dir=tmp_path, run_name="w", task=task, configs={"a": wrong_dataset})
    wrong_key = {**PER_DATASET, "datasets": {"nci1": {"train": {"epoch": 1}}}}
    with pytest.raises(ValueError, match=r"\[train\] keys from .* \(got epoch\)"):
        Comparison(["a"], ["nci1"], out_dir=tmp_path, run_name="k", task=task, configs={"a": wrong_key})


def test_gat_takes_the_papers_pubmed_settings_there_only():
    from gnnlab.experiments import for_dataset

    config = load_config("gat")
    pubmed, cora = for_dataset(config, "pubmed"), for_dataset(config, "cora")
    assert (pubmed["model"]["out_heads"], pubmed["train"]["lr"], pubmed["train"]["weight_decay"]) == (8, 0.01, 0.001)
    assert (cora["model"]["out_heads"], cora["train"]["lr"], cora["train"]["weight_decay"]) == (1, 0.005, 5e-4)
    assert pubmed["model"]["heads"] == cora["model"]["heads"] == 8
