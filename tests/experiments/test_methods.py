"""The baselines of the comparison against references: logistic regression against scikit-learn's on the
training nodes, label propagation against its closed form and a float64 recursion, the MLP against a plain
PyTorch loop (Adam on the training nodes, the epoch of best validation accuracy, scored on the test nodes)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from gnnlab.data import synthetic_graph
from gnnlab.experiments import METHODS, for_dataset, load_config
from gnnlab.nn import MLP

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def graph():
    """A small homophilous graph with weak features: label propagation beats features alone on it."""
    return synthetic_graph(300, num_classes=3, avg_degree=6, num_features=8, homophily=0.9, seed=1,
                           feature_noise=1.5, train=0.1, val=0.3)


def test_logreg_is_sklearn_on_the_training_nodes(graph):
    config = load_config("logreg")
    result = METHODS["logreg"](graph, config, 0, CPU, False)
    x, y = graph.x.numpy(), graph.y.numpy()
    train, test = graph.train_mask.numpy(), graph.test_mask.numpy()
    reference = LogisticRegression(**config["model"]).fit(x[train], y[train])
    assert result.scores["accuracy"] == pytest.approx(float((reference.predict(x[test]) == y[test]).mean()))
    # and the result is not the score of a model fitted on more nodes, or scored elsewhere
    elsewhere = LogisticRegression(**config["model"]).fit(x[train | test], y[train | test])
    assert (elsewhere.predict(x[test]) == y[test]).mean() != result.scores["accuracy"]
    assert result.embedding is None and result.curve == []


def _propagation_reference(data, alpha: float, iterations: int | None) -> np.ndarray:
    """``F <- alpha S F + (1 - alpha) Y`` in float64 with ``S = D^-1/2 A D^-1/2``; the fixed point
    ``(1 - alpha) (I - alpha S)^-1 Y`` when ``iterations`` is None."""
    n = data.num_nodes
    adjacency = np.zeros((n, n))
    adjacency[data.edge_index[1].numpy(), data.edge_index[0].numpy()] = 1.0
    degree = adjacency.sum(1)
    scale = np.where(degree > 0, 1 / np.sqrt(np.maximum(degree, 1e-300)), 0.0)
    s = scale[:, None] * adjacency * scale[None, :]
    seeds = np.zeros((n, int(data.y.max()) + 1))
    train = data.train_mask.numpy()
    seeds[train, data.y.numpy()[train]] = 1.0
    if iterations is None:
        return (1 - alpha) * np.linalg.solve(np.eye(n) - alpha * s, seeds)
    labels = seeds.copy()
    for _ in range(iterations):
        labels = alpha * s @ labels + (1 - alpha) * seeds
    return labels


def _agree_where_clear(ours_accuracy: float, reference: np.ndarray, data) -> None:
    """Our accuracy equals the reference's up to the test nodes whose top two scores nearly tie."""
    test = data.test_mask.numpy()
    y = data.y.numpy()[test]
    scores = reference[test]
    top2 = np.sort(scores, axis=1)[:, -2:]
    close = (top2[:, 1] - top2[:, 0]) <= 1e-6 * np.maximum(top2[:, 1], 1e-12)
    correct = scores.argmax(1) == y
    ours = round(ours_accuracy * test.sum())
    assert correct.sum() - close.sum() <= ours <= correct.sum() + close.sum()


@pytest.mark.training
def test_labelprop_follows_its_recursion_and_reaches_the_closed_form(graph):
    config = load_config("labelprop")
    alpha, iterations = config["model"]["alpha"], config["model"]["iterations"]
    result = METHODS["labelprop"](graph, config, 0, CPU, False)
    _agree_where_clear(result.scores["accuracy"], _propagation_reference(graph, alpha, iterations), graph)
    # with enough iterations it is the fixed point (alpha = 0.9: 0.9^400 is negligible)
    converged = {"model": {"alpha": 0.9, "iterations": 400}}
    result = METHODS["labelprop"](graph, converged, 0, CPU, False)
    _agree_where_clear(result.scores["accuracy"], _propagation_reference(graph, 0.9, None), graph)
    # the graph matters: propagation beats the features-alone baseline here
    assert result.scores["accuracy"] > METHODS["logreg"](graph, load_config("logreg"), 0, CPU, False).scores[
        "accuracy"] + 0.1


def _reference_mlp(data, config, seed: int) -> float:
    """Adam on the training nodes, full batch; test accuracy of the weights of the best validation epoch."""
    model_options, train = dict(config["model"]), config["train"]
    torch.manual_seed(seed)
    model = MLP(data.num_features, model_options.pop("hidden_channels"), int(data.y.max()) + 1, **model_options)
    optimizer = torch.optim.Adam(model.parameters(), lr=train["lr"], weight_decay=train["weight_decay"])
    x, y = data.x, data.y
    best, best_state, waited = -1.0, None, 0
    for _ in range(train["epochs"]):
        model.train()
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x[data.train_mask]), y[data.train_mask]).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val = float((model(x[data.val_mask]).argmax(1) == y[data.val_mask]).float().mean())
        if val > best:
            best, best_state, waited = val, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= train["patience"]:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        return float((model(x[data.test_mask]).argmax(1) == y[data.test_mask]).float().mean())


@pytest.mark.training
def test_mlp_is_adam_on_the_training_nodes_at_the_best_validation_epoch(graph):
    # no dropout: the run is then a function of the seed's initial weights alone, as in the reference
    config = load_config("mlp")
    config["model"]["dropout"] = 0.0
    config["train"]["epochs"] = 60
    # the test labels are shifted by one class: training and selection do not see them, and a score taken on
    # any other nodes would be far from the reference's
    graph = graph.clone()
    graph.y[graph.test_mask] = (graph.y[graph.test_mask] + 1) % 3
    result = METHODS["mlp"](graph, config, 3, CPU, False)
    reference = _reference_mlp(graph, config, 3)
    test_nodes = int(graph.test_mask.sum())
    # the same model up to summation order (a node or two may flip on the float path)
    assert abs(result.scores["accuracy"] - reference) * test_nodes <= 2
    assert len(result.curve) >= 1 and max(result.curve) <= 1.0
    # the graph is not used: removing every edge changes nothing
    no_edges = graph.clone()
    no_edges.edge_index = torch.empty(2, 0, dtype=torch.long)
    assert METHODS["mlp"](no_edges, config, 3, CPU, False).scores == result.scores


@pytest.mark.parametrize("method", list(METHODS))
def test_a_misspelt_config_table_is_refused_not_ignored(graph, method):
    config = for_dataset(load_config(method, quick=True), "cora")
    config["trian"] = {"epochs": 1}   # would leave [train] at its defaults
    with pytest.raises(ValueError, match=r"config tables from \['model'(, 'train')?\] \(got trian\)"):
        METHODS[method](graph, config, 0, CPU, False)


def test_a_config_with_dataset_tables_is_refused_until_resolved(graph):
    config = load_config("gat", quick=True)   # its [datasets.pubmed] tables would be silently ignored
    with pytest.raises(ValueError, match=r"'GAT' expected a config resolved for one dataset .*\(got its "
                                         r"\[datasets\] tables for pubmed\)"):
        METHODS["gat"](graph, config, 0, CPU, False)
    METHODS["gat"](graph, for_dataset(config, "cora"), 0, CPU, False)


@pytest.mark.parametrize("method, table, key", [("mlp", "train", "epoch"), ("mlp", "train", "learning_rate"),
                                                ("labelprop", "model", "iteration")])
def test_a_key_the_method_would_ignore_is_refused(graph, method, table, key):
    """The MLP and label propagation read their keys one by one: a typo'd key would silently run the default
    (and ``--set`` accepts any key the file has)."""
    config = load_config(method)
    config[table][key] = 3
    with pytest.raises(ValueError, match=rf"'{method}' expected \[{table}\] keys from .* \(got {key}\)"):
        METHODS[method](graph, config, 0, CPU, False)


@pytest.mark.parametrize("task", ["node", "link"])
def test_every_shipped_config_key_is_an_argument_of_what_it_feeds(task):
    # the TOML files are the one source of the settings: each key must reach a signature (a typo in a shipped
    # file fails here, not in a user's run)
    from gnnlab.experiments import TASKS
    from gnnlab.experiments.methods import check_config

    for method, runner in TASKS[task].methods.items():
        schema = runner.schema()
        assert set(schema) >= {"model"}, method
        config = load_config(method, task=task)
        for dataset in (None, *config.get("datasets", {})):  # every dataset's merged config, too
            check_config(method, for_dataset(config, dataset), schema)


@pytest.mark.parametrize(("task", "method", "table", "key"), [
    ("node", "gcn", "model", "hiden_channels"), ("node", "gat", "train", "learning_rate"),
    ("node", "deepwalk", "model", "walk_len"), ("node", "logreg", "model", "c"),
    ("link", "gae", "model", "hidden"), ("link", "sage", "train", "epoch"), ("link", "sc", "model", "dims"),
])
def test_an_unknown_key_is_refused_when_the_comparison_is_set_up(tmp_path, task, method, table, key):
    from gnnlab.experiments import Comparison, load_config

    config = load_config(method, task=task)
    config.setdefault(table, {})[key] = 1
    with pytest.raises(ValueError, match=rf"'{method}' expected \[{table}\] keys from .* \(got {key}\)"):
        Comparison([method], ["cora"], seeds=1, device="cpu", out_dir=tmp_path, verbose=False, task=task,
                   configs={method: config})
    assert not (tmp_path / task / "runs.json").exists()  # refused before any run


def test_a_method_has_no_settings_of_its_own(graph):
    # what the file leaves out is an error naming it, not a fallback written in the method
    config = load_config("mlp")
    del config["train"]["patience"]
    with pytest.raises(ValueError, match=r"'mlp' expected its config to give \[train\] patience"):
        METHODS["mlp"](graph, config, 0, CPU, False)
    config = load_config("labelprop")
    del config["model"]["alpha"]
    with pytest.raises(ValueError, match=r"'labelprop' expected its config to give \[model\] alpha"):
        METHODS["labelprop"](graph, config, 0, CPU, False)


def test_gnnlab_train_and_the_comparison_train_gnns_through_one_function(graph, monkeypatch, capsys):
    from gnnlab.cli import main
    from gnnlab.experiments import methods

    calls = []
    original = methods.train_gnn

    def recording(model_name, *args, **kwargs):
        calls.append(model_name if isinstance(model_name, str) else model_name.__name__)
        return original(model_name, *args, **kwargs)

    monkeypatch.setattr(methods, "train_gnn", recording)
    assert main(["train", "sage", "--epochs", "2", "--quiet"]) == 0
    METHODS["gcn"](graph, load_config("gcn", quick=True), 0, CPU, False)
    assert calls == ["sage", "GCN"]
