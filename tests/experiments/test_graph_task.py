"""The graph-classification comparison: Errica et al.'s protocol (outer folds, inner hold-out, the grid selected
on the hold-out, the test fold measured once), its configs, and a quick run end to end."""
from __future__ import annotations

import pytest
import torch

from gnnlab.data import stratified_folds
from gnnlab.experiments import GRAPH, Comparison, graph_methods, load_config, load_published
from gnnlab.experiments.config import config_methods, for_dataset
from gnnlab.experiments.graph_methods import NUM_FOLDS, graph_fold, grid_points


@pytest.mark.parametrize("dataset", ["mutag", "proteins"])
def test_folds_are_the_protocols(dataset):
    folds = [graph_fold(dataset, "folds", fold) for fold in range(NUM_FOLDS)]
    labels = torch.cat([graph.y for graph in folds[0].graphs])
    expected = stratified_folds(labels, NUM_FOLDS, seed=0)
    everything = set(range(len(labels)))
    for fold, (train, test) in zip(folds, expected):
        assert torch.equal(fold.test, test)
        parts = [set(fold.train.tolist()), set(fold.holdout.tolist()), set(fold.test.tolist())]
        assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
        assert parts[0] | parts[1] == set(train.tolist()) and parts[0] | parts[1] | parts[2] == everything
        assert abs(len(fold.holdout) - 0.1 * len(train)) <= 1
    assert sorted(i for fold in folds for i in fold.test.tolist()) == sorted(everything)


def test_imdb_gets_degree_features():
    fold = graph_fold("imdb-binary", "folds", 0)
    graph = fold.graphs[5]
    degrees = torch.bincount(graph.edge_index[0], minlength=graph.num_nodes)
    assert torch.equal(graph.x.argmax(1), degrees)
    assert fold.num_features == graph.x.size(1) and fold.num_classes == 2


@pytest.mark.parametrize("dataset", GRAPH.datasets)
def test_every_models_config_builds_on_every_dataset(dataset):
    # each grid point of each trained method, with the dataset's own features and classes (ggnn pads the input
    # to its state: IMDB-BINARY's 136 degree columns need a state at least that wide)
    fold = graph_fold(dataset, "folds", 0)
    for method in ("baseline", "gcn", "sage", "gat", "ggnn", "gin"):
        for point in grid_points(method, for_dataset(load_config(method, task="graph"), dataset)):
            model = graph_methods._model_builder(method)(fold.num_features, fold.num_classes, **point["model"])
            assert model is not None, (method, dataset)


def test_bad_fold():
    with pytest.raises(ValueError, match="'fold' in 0 .. 9"):
        graph_fold("mutag", "folds", 10)


def test_grid_points():
    config = {"model": {"a": 1, "b": 2}, "train": {"lr": 0.1}, "grid": {"a": [1, 3], "lr": [0.1, 0.01]}}
    points = grid_points("m", config)
    assert [(p["model"]["a"], p["train"]["lr"]) for p in points] == [(1, 0.1), (1, 0.01), (3, 0.1), (3, 0.01)]
    assert all(p["model"]["b"] == 2 and "grid" not in p for p in points)
    assert grid_points("m", {"model": {"a": 1}}) == [{"model": {"a": 1}}]
    with pytest.raises(ValueError, match="'c' to be a key of exactly one other table"):
        grid_points("m", {"model": {"a": 1}, "grid": {"c": [1]}})
    with pytest.raises(ValueError, match="non-empty list"):
        grid_points("m", {"model": {"a": 1}, "grid": {"a": []}})


def test_every_method_has_a_config_that_its_schema_accepts(tmp_path):
    assert config_methods("graph") == sorted(GRAPH.methods)
    for method in GRAPH.methods:
        for quick in (False, True):
            config = load_config(method, quick=quick, task="graph")
            Comparison([method], ["mutag"], seeds=1, task="graph", quick=quick, out_dir=tmp_path,
                       verbose=False)  # checks the config (and its per-dataset tables) against the method's schema
            for dataset in GRAPH.datasets:
                points = grid_points(method, for_dataset(config, dataset))
                assert len(points) >= (1 if quick else 2), (method, dataset)  # a real run selects; --quick not
    published = load_published("graph")
    assert published["proteins"]["gin"]["accuracy"] == 73.3 and published["nci1"]["baseline"]["accuracy"] == 69.8


def test_the_selected_point_is_the_best_on_the_holdout_and_the_test_fold_is_read_once(monkeypatch):
    """A recording trainer: every grid point is fit on the inner training graphs and judged on the hold-out; the
    test graphs reach evaluation once, for the selected point."""
    fold = graph_fold("mutag", "folds", 2)
    seen, evaluated = [], []
    holdout_scores = {32: 0.6, 128: 0.9}

    def fake_fit(model, train, holdout, **options):
        assert [int(g.y) for g in train] == [int(fold.graphs[i].y) for i in fold.train.tolist()]
        assert len(holdout) == len(fold.holdout) and len(train) == len(fold.train)
        seen.append((model.lin1.out_features, options["lr"]))
        score = holdout_scores[model.lin1.out_features] + (0.01 if options["lr"] == 0.001 else 0)
        model.chosen = (model.lin1.out_features, options["lr"])
        return {"best_epoch": 0, "val_acc": [score], "val_loss": [0.1]}

    def fake_evaluate(model, graphs, **options):
        evaluated.append((model.chosen, len(graphs)))
        return 0.0, 0.5

    import gnnlab.train.graph_classification as trainer

    monkeypatch.setattr(trainer, "fit_graph_classifier", fake_fit)
    monkeypatch.setattr(trainer, "evaluate_graph_classifier", fake_evaluate)
    config = load_config("baseline", task="graph")
    result = graph_methods.GRAPH_METHODS["baseline"](fold, config, 0, torch.device("cpu"), False)
    assert sorted(seen) == sorted((h, lr) for h in (32, 128) for lr in (0.01, 0.001))
    assert evaluated == [((128, 0.001), len(fold.test))]
    assert result.scores == {"accuracy": 0.5}


@pytest.mark.parametrize("kind", ["wl", "wl_features"])
def test_kernel_methods_select_on_the_holdout(kind, monkeypatch):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    fold = graph_fold("mutag", "folds", 0)
    scored = []
    classifier = SVC if kind == "wl" else LogisticRegression
    original = classifier.score

    def recording(self, inputs, labels):
        scored.append(len(labels))
        return original(self, inputs, labels)

    monkeypatch.setattr(classifier, "score", recording)
    config = {"model": {"num_iterations": 2, "C": 1.0}, "grid": {"num_iterations": [1, 2], "C": [0.1, 1.0]}}
    result = graph_methods.GRAPH_METHODS[kind](fold, config, 0, torch.device("cpu"), False)
    assert scored == [len(fold.holdout)] * 4 + [len(fold.test)]  # four points on the hold-out, then test once
    assert 0.6 <= result.scores["accuracy"] <= 1.0


def test_quick_comparison_end_to_end(tmp_path):
    comparison = Comparison(["baseline", "wl", "gin"], ["mutag"], seeds=2, task="graph", quick=True,
                            out_dir=tmp_path, verbose=False)
    assert comparison.cells() == [(m, "mutag", "folds", s) for m in ("baseline", "wl", "gin") for s in (0, 1)]
    rows = comparison.run()
    assert len(rows) == 6 and all(0.0 <= row["accuracy"] <= 100.0 for row in rows)  # percent
    from gnnlab.experiments.report import report_text

    text = report_text(comparison, rows)
    assert "mean ± std over (n) folds" in text and "89.4" in text  # Xu et al.'s MUTAG GIN beside ours
    assert "(epochs = 5)" in text and "walks_per_node" not in text  # the quick caption names what this task used


def test_defaults_are_mutag_proteins_and_ten_folds(tmp_path):
    comparison = Comparison(task="graph", out_dir=tmp_path, verbose=False)
    assert comparison.datasets == ["mutag", "proteins"] and comparison.seeds == 10
    assert Comparison(task="graph", quick=True, out_dir=tmp_path, verbose=False).seeds == 3
    assert Comparison(task="node", out_dir=tmp_path, verbose=False).seeds == 3
