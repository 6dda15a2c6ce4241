"""gnnlab.kernels.WeisfeilerLehman: equal to grakel's WeisfeilerLehman (VertexHistogram base kernel) on TU datasets
and random graphs, by hand on tiny graphs, and its estimator contract."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from grakel.kernels import VertexHistogram
from grakel.kernels import WeisfeilerLehman as GrakelWeisfeilerLehman
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from torch_geometric.data import Data

from gnnlab.data import load_tu
from gnnlab.kernels import WeisfeilerLehman

ITERATIONS = [0, 1, 3, 5]


# --- the reference -----------------------------------------------------------------------------------------------

def grakel_input(graphs: list[Data], labels: list[list[int]]) -> list[list[dict]]:
    """grakel's input: per graph [edge dictionary {target: {source: 1.0}}, node labels {node: label}], every node
    a key (isolated ones too)."""
    converted = []
    for graph, node_labels in zip(graphs, labels):
        edges = {node: {} for node in range(graph.num_nodes)}
        for source, target in graph.edge_index.t().tolist():
            edges[target][source] = 1.0
        converted.append([edges, dict(enumerate(node_labels))])
    return converted


def argmax_labels(graphs: list[Data]) -> list[list[int]]:
    return [graph.x.argmax(dim=1).tolist() for graph in graphs]


def grakel_kernels(train, test, num_iterations: int, normalize: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """grakel's train kernel and (test, train) kernel; grakel refuses n_iter=0, whose kernel is VertexHistogram's."""
    kernel = VertexHistogram(normalize=normalize) if num_iterations == 0 else \
        GrakelWeisfeilerLehman(n_iter=num_iterations, normalize=normalize)
    fitted = kernel.fit_transform(train)
    return fitted, None if test is None else kernel.transform(test)


def assert_kernel_equal(ours: np.ndarray, theirs: np.ndarray, normalize: bool) -> None:
    assert ours.shape == theirs.shape and ours.dtype == np.float64
    if normalize:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    else:  # counts: exact
        np.testing.assert_array_equal(ours, theirs)


@pytest.fixture(scope="session")
def mutag() -> list[Data]:
    return list(load_tu("MUTAG"))


@pytest.fixture(scope="session")
def proteins() -> list[Data]:
    """240 PROTEINS graphs drawn at random (seed 0)."""
    dataset = load_tu("PROTEINS")
    return [dataset[int(i)] for i in np.random.default_rng(0).permutation(len(dataset))[:240]]


def mutag_split(graphs: list[Data]) -> tuple[list[Data], list[Data]]:
    """Fit on graphs without iodine (4) and bromine (6) atoms; the held-out graphs have all of those."""
    rare = [bool(np.isin(graph.x.argmax(dim=1).numpy(), [4, 6]).any()) for graph in graphs]
    plain = [graph for graph, is_rare in zip(graphs, rare) if not is_rare]
    return plain[:130], plain[130:] + [graph for graph, is_rare in zip(graphs, rare) if is_rare]


def proteins_split(graphs: list[Data]) -> tuple[list[Data], list[Data]]:
    return graphs[:160], graphs[160:]


# --- equal to grakel -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("num_iterations", ITERATIONS)
@pytest.mark.parametrize("dataset", ["mutag", "proteins"])
def test_fit_transform_equals_grakel(dataset, num_iterations, normalize, request):
    graphs = request.getfixturevalue(dataset)
    ours = WeisfeilerLehman(num_iterations=num_iterations, normalize=normalize).fit_transform(graphs)
    theirs, _ = grakel_kernels(grakel_input(graphs, argmax_labels(graphs)), None, num_iterations, normalize)
    assert_kernel_equal(ours, theirs, normalize)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("num_iterations", ITERATIONS)
@pytest.mark.parametrize("dataset", ["mutag", "proteins"])
def test_transform_with_unseen_labels_equals_grakel(dataset, num_iterations, normalize, request):
    train, test = (mutag_split if dataset == "mutag" else proteins_split)(request.getfixturevalue(dataset))
    model = WeisfeilerLehman(num_iterations=num_iterations, normalize=normalize).fit(train)
    ours = model.transform(test)
    _, theirs = grakel_kernels(grakel_input(train, argmax_labels(train)), grakel_input(test, argmax_labels(test)),
                               num_iterations, normalize)
    assert ours.shape == (len(test), len(train))
    assert_kernel_equal(ours, theirs, normalize)
    # the held-out graphs do have labels the fit never met (else this would not test them)
    sizes = np.array([graph.num_nodes for graph in test])
    seen = np.asarray(model.features(test).sum(axis=1)).ravel()
    if dataset == "mutag" or num_iterations > 0:
        assert (seen < (num_iterations + 1) * sizes).any()


def random_graphs(count: int, seed: int, num_labels: int = 3) -> tuple[list[Data], list[list[int]]]:
    """Small random graphs with node labels below ``num_labels`` (one-hot ``x`` of width 5), isolated nodes,
    self-loops, duplicate and one-way edges."""
    rng = np.random.default_rng(seed)
    graphs, labels = [], []
    for _ in range(count):
        num_nodes = int(rng.integers(1, 9))
        num_edges = int(rng.integers(0, 2 * num_nodes + 1))
        edges = rng.integers(0, num_nodes, size=(2, num_edges))
        both = rng.random(num_edges) < 0.8  # most edges both ways, some one way
        edge_index = np.concatenate([edges, edges[::-1, both]], axis=1)
        node_labels = rng.integers(0, num_labels, size=num_nodes)
        graphs.append(Data(edge_index=torch.from_numpy(edge_index), num_nodes=num_nodes,
                           x=torch.nn.functional.one_hot(torch.from_numpy(node_labels), 5).float()))
        labels.append(node_labels.tolist())
    return graphs, labels


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("num_iterations", [0, 1, 2, 4])
def test_random_graphs_with_loops_duplicates_and_one_way_edges_equal_grakel(num_iterations, normalize):
    # fitted on labels 0-2; the held-out graphs also have the unseen labels 3 and 4, often both in one graph
    train, train_labels = random_graphs(40, seed=num_iterations)
    test, test_labels = random_graphs(30, seed=100 + num_iterations, num_labels=5)
    assert any(bool((graph.edge_index[0] == graph.edge_index[1]).any()) for graph in train)
    assert sum({3, 4} <= set(labels) for labels in test_labels) >= 3
    model = WeisfeilerLehman(num_iterations=num_iterations, normalize=normalize)
    ours_train = model.fit_transform(train)
    ours_test = model.transform(test)
    theirs_train, theirs_test = grakel_kernels(grakel_input(train, train_labels), grakel_input(test, test_labels),
                                               num_iterations, normalize)
    assert_kernel_equal(ours_train, theirs_train, normalize)
    assert_kernel_equal(ours_test, theirs_test, normalize)


def test_degree_and_constant_labels_equal_grakel():
    # IMDB-BINARY has no node labels: the papers start from degrees
    graphs = [graph for graph in load_tu("IMDB-BINARY")[:150]]
    assert graphs[0].x is None
    degrees = [np.bincount(graph.edge_index[1].numpy(), minlength=graph.num_nodes).tolist() for graph in graphs]
    constant = [[0] * graph.num_nodes for graph in graphs]
    for initial, labels in [("degree", degrees), ("label", constant), ("constant", constant)]:
        ours = WeisfeilerLehman(num_iterations=2, initial=initial).fit_transform(graphs)
        theirs, _ = grakel_kernels(grakel_input(graphs, labels), None, 2, True)
        assert_kernel_equal(ours, theirs, True)


# --- by hand ---------------------------------------------------------------------------------------------------

def path() -> Data:
    """0 - 1 - 2"""
    return Data(edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), num_nodes=3)


def triangle() -> Data:
    return Data(edge_index=torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]]), num_nodes=3)


def star() -> Data:
    """centre 0, leaves 1, 2, 3"""
    return Data(edge_index=torch.tensor([[0, 1, 0, 2, 0, 3], [1, 0, 2, 0, 3, 0]]), num_nodes=4)


def test_path_and_triangle_by_hand():
    # one label a everywhere. Iteration 1: the path's ends are (a, [a]) and its middle (a, [a, a]); the
    # triangle's nodes are all (a, [a, a]). Iteration 2: the path's ends (A1, [A2]), its middle (A2, [A1, A1]);
    # the triangle's nodes (A2, [A2, A2]): nothing in common.
    model = WeisfeilerLehman(num_iterations=2, normalize=False)
    kernel = model.fit_transform([path(), triangle()])
    # columns: a | (a,[a]) (a,[a,a]) | (A1,[A2]) (A2,[A1,A1]) (A2,[A2,A2]), each iteration by degree, then value
    np.testing.assert_array_equal(model.features_.toarray(), [[3, 2, 1, 2, 1, 0],
                                                              [3, 0, 3, 0, 0, 3]])
    np.testing.assert_array_equal(kernel, [[9 + 5 + 5, 9 + 3 + 0],
                                           [9 + 3 + 0, 9 + 9 + 9]])
    first = WeisfeilerLehman(num_iterations=1).fit_transform([path(), triangle()])
    np.testing.assert_allclose(first, [[1, 12 / np.sqrt(14 * 18)], [12 / np.sqrt(14 * 18), 1]], rtol=1e-15)
    dictionaries = WeisfeilerLehman(num_iterations=1).fit([path(), triangle()]).label_dictionaries_
    np.testing.assert_array_equal(dictionaries[0], [0])
    assert sorted(dictionaries[1]) == [1, 2]
    np.testing.assert_array_equal(dictionaries[1][1], [[0, 0]])
    np.testing.assert_array_equal(dictionaries[1][2], [[0, 0, 0]])


def labelled_path(labels: list[int]) -> Data:
    graph = path()
    graph.x = torch.nn.functional.one_hot(torch.tensor(labels), 2).float()
    return graph


def test_labelled_paths_by_hand():
    # A-B-A and A-A-B: the same labels (A twice, B once) but no common neighbourhood:
    # (A,[B]) x2 and (B,[A,A]) against (A,[A]), (A,[A,B]) and (B,[A])
    model = WeisfeilerLehman(num_iterations=1, normalize=False)
    kernel = model.fit_transform([labelled_path([0, 1, 0]), labelled_path([0, 0, 1])])
    np.testing.assert_array_equal(kernel, [[5 + 4 + 1, 5 + 0], [5 + 0, 5 + 3]])
    # columns: A B | (A,[A]) (A,[B]) (B,[A]) | (A,[A,B]) (B,[A,A])
    np.testing.assert_array_equal(model.features_.toarray(), [[2, 1, 0, 2, 0, 0, 1],
                                                              [2, 1, 1, 0, 1, 1, 0]])


def test_unseen_labels_by_hand():
    # fitted on the path and the triangle; the star's centre (a, [a, a, a]) was never seen: it counts in the star's
    # own k(S, S) = 4^2 + 3^2 + 1^2 = 26 but matches nothing; its leaves (a, [a]) match the path's ends
    model = WeisfeilerLehman(num_iterations=1, normalize=False).fit([path(), triangle()])
    np.testing.assert_array_equal(model.features([star()]).toarray(), [[4, 3, 0]])
    np.testing.assert_array_equal(model.transform([star()]), [[4 * 3 + 3 * 2, 4 * 3]])
    model.set_params(normalize=True)
    np.testing.assert_allclose(model.transform([star()]), [[18 / np.sqrt(26 * 14), 12 / np.sqrt(26 * 18)]],
                               rtol=1e-15)


def test_a_graph_without_nodes_has_a_zero_row():
    nothing = Data(edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=0)
    kernel = WeisfeilerLehman(num_iterations=2).fit_transform([path(), nothing, triangle()])
    assert np.isfinite(kernel).all()
    np.testing.assert_array_equal(kernel[1], 0)
    np.testing.assert_array_equal(kernel[:, 1], 0)
    np.testing.assert_allclose(kernel.diagonal()[[0, 2]], 1, rtol=1e-15)


# --- the features ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("num_iterations", ITERATIONS)
def test_features_count_every_node_once_per_iteration(mutag, num_iterations):
    model = WeisfeilerLehman(num_iterations=num_iterations, normalize=False)
    kernel = model.fit_transform(mutag)
    features = model.features(mutag)
    assert features.format == "csr" and features.dtype == np.float64
    assert (features != model.features_).nnz == 0
    sizes = np.array([graph.num_nodes for graph in mutag])
    np.testing.assert_array_equal(np.asarray(features.sum(axis=1)).ravel(), (num_iterations + 1) * sizes)
    np.testing.assert_array_equal((features @ features.T).toarray(), kernel)
    assert features.shape[1] == sum(len(d) if isinstance(d, np.ndarray) else sum(map(len, d.values()))
                                    for d in model.label_dictionaries_)


def test_fit_transform_equals_fit_then_transform(mutag):
    model = WeisfeilerLehman(num_iterations=3)
    np.testing.assert_allclose(model.fit_transform(mutag), model.fit(mutag).transform(mutag), rtol=1e-15)


def test_relabelling_nodes_changes_nothing(mutag):
    # WL labels depend on structure and labels only: shuffling each graph's node order gives the same features
    rng = np.random.default_rng(0)
    shuffled = []
    for graph in mutag:
        order = torch.from_numpy(rng.permutation(graph.num_nodes))  # new node i is old node order[i]
        new_index = torch.empty_like(order)
        new_index[order] = torch.arange(graph.num_nodes)
        shuffled.append(Data(x=graph.x[order], edge_index=new_index[graph.edge_index], num_nodes=graph.num_nodes))
    ours = WeisfeilerLehman(num_iterations=4).fit(mutag).features_
    theirs = WeisfeilerLehman(num_iterations=4).fit(shuffled).features_
    assert ours.shape == theirs.shape and (ours != theirs).nnz == 0


def test_node_label_attribute(mutag):
    graphs = mutag[:60]
    from_x = WeisfeilerLehman(num_iterations=3).fit_transform(graphs)
    named, renamed, merged = [], [], []
    for graph in graphs:
        atom = graph.x.argmax(dim=1)
        named.append(Data(edge_index=graph.edge_index, num_nodes=graph.num_nodes, atom=atom))
        renamed.append(Data(edge_index=graph.edge_index, num_nodes=graph.num_nodes, atom=(100 - 7 * atom)[:, None]))
        merged.append(Data(edge_index=graph.edge_index, num_nodes=graph.num_nodes, atom=atom.clamp(max=1)))
    np.testing.assert_array_equal(WeisfeilerLehman(3, node_label="atom").fit_transform(named), from_x)
    # any one-to-one renaming of the labels gives the same kernel; merging labels does not
    np.testing.assert_array_equal(WeisfeilerLehman(3, node_label="atom").fit_transform(renamed), from_x)
    assert not np.allclose(WeisfeilerLehman(3, node_label="atom").fit_transform(merged), from_x)


@pytest.mark.training
def test_features_are_a_graph_classification_baseline(mutag):
    # WL features + a linear classifier: Shervashidze et al. report ~82-87% on MUTAG
    features = WeisfeilerLehman(num_iterations=3).fit(mutag).features_
    labels = np.array([int(graph.y) for graph in mutag])
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    accuracy = cross_val_score(LogisticRegression(C=0.1, max_iter=2000), features, labels, cv=folds).mean()
    majority = max(labels.mean(), 1 - labels.mean())
    assert accuracy > 0.8 > majority + 0.1


# --- contract and errors ---------------------------------------------------------------------------------------

def test_estimator_contract():
    model = WeisfeilerLehman(num_iterations=2)
    for method in (model.transform, model.features):
        with pytest.raises(NotFittedError):
            method([path()])
    assert not hasattr(model, "features_")
    assert model.fit([path(), triangle()]) is model
    params = model.get_params()
    assert params == {"num_iterations": 2, "normalize": True, "node_label": "argmax", "initial": "label"}
    unfitted = clone(model)
    assert unfitted.get_params() == params and not hasattr(unfitted, "features_")
    # normalize applies to the output only; the labelling settings must be the fitted ones
    assert model.set_params(normalize=False).transform([path()])[0, 0] == 9 + 4 + 1 + 4 + 1
    for name, value, fitted in [("num_iterations", 3, 2), ("initial", "degree", "'label'"),
                                ("node_label", "atom", "'argmax'")]:
        changed = copy.deepcopy(model).set_params(**{name: value})
        with pytest.raises(ValueError) as caught:
            changed.transform([path()])
        assert f"'WeisfeilerLehman' expected '{name}' as fitted ({fitted}; call fit again after set_params) " \
               f"(got {value!r})" in str(caught.value)


def test_repr():
    assert repr(WeisfeilerLehman()) == "WeisfeilerLehman(num_iterations=5, normalize=True)"
    assert repr(WeisfeilerLehman(3, normalize=False, initial="degree")) == \
        "WeisfeilerLehman(num_iterations=3, normalize=False, initial='degree')"
    assert repr(WeisfeilerLehman(node_label="atom")) == \
        "WeisfeilerLehman(num_iterations=5, normalize=True, node_label='atom')"


def with_x(graph: Data, x) -> Data:
    return Data(edge_index=graph.edge_index, num_nodes=graph.num_nodes, x=x)


BAD_SETTINGS = [
    (dict(num_iterations=-1), ValueError, "'WeisfeilerLehman' expected 'num_iterations' to be an integer >= 0 "
                                          "(got -1)"),
    (dict(num_iterations=1.5), ValueError, "'num_iterations' to be an integer >= 0 (got 1.5)"),
    (dict(num_iterations=True), ValueError, "'num_iterations' to be an integer >= 0 (got True)"),
    (dict(normalize="yes"), ValueError, "'normalize' to be True or False (got 'yes')"),
    (dict(initial="degrees"), ValueError, "'initial' to be one of ['label', 'degree', 'constant'] (got 'degrees')"),
    (dict(node_label=3), ValueError, "'node_label' to be 'argmax' or the name of a node attribute (got 3)"),
]


@pytest.mark.parametrize("settings, error, message", BAD_SETTINGS)
def test_bad_settings(settings, error, message):
    with pytest.raises(error) as caught:
        WeisfeilerLehman(**settings).fit([path()])
    assert message in str(caught.value)


BAD_GRAPHS = [
    (lambda: [], ValueError, "'WeisfeilerLehman' expected 'graphs' to hold at least one graph (got an empty"),
    (path, TypeError, "expected 'graphs' to be a sequence of graphs (wrap one graph in a list) (got a single Data)"),
    (lambda: 3, TypeError, "expected 'graphs' to be a sequence of torch_geometric Data (got int)"),
    (lambda: [path(), "triangle"], TypeError, "'graphs' to hold torch_geometric Data (got str at index 1)"),
    (lambda: [path(), Data(edge_index=torch.tensor([[0], [5]]), num_nodes=3)], ValueError,
     "'graphs[1].edge_index' indices below num_nodes=3 (got maximum 5)"),
    (lambda: [with_x(path(), torch.eye(3)), path()], ValueError,
     "expected every graph to have 'x' or none to (graphs without x give every node one label) "
     "(got NoneType at graphs[1].x)"),
    (lambda: [with_x(path(), torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]))], ValueError,
     "one-hot rows in 'x' (node labels; for other labels pass node_label='<attribute>' or initial='degree') "
     "(got graphs[0].x row 1 = [0.5, 0.5])"),
    (lambda: [with_x(path(), torch.tensor([[2.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))], ValueError,
     "(got graphs[0].x row 0 = [2.0, 0.0])"),
    (lambda: [with_x(path(), torch.eye(3)), with_x(triangle(), torch.eye(3)[:, :2])], ValueError,
     "'x' of one width in every graph (one-hot node labels) (got widths [2, 3])"),
    (lambda: [with_x(path(), torch.eye(4))], ValueError,
     "'graphs[0].x' of shape (num_nodes, F) with num_nodes=3 (got (4, 4))"),
]


@pytest.mark.parametrize("make, error, message", BAD_GRAPHS)
def test_bad_graphs(make, error, message):
    with pytest.raises(error) as caught:
        WeisfeilerLehman().fit(make())
    assert message in str(caught.value)


def test_bad_node_attribute():
    graph = path()
    with pytest.raises(ValueError, match=r"expected every graph to have the node attribute 'atom' \(node_label\) "
                                         r"\(got NoneType at graphs\[0\].atom\)"):
        WeisfeilerLehman(node_label="atom").fit([graph])
    graph.atom = torch.zeros(3)
    with pytest.raises(TypeError, match=r"expected 'atom' \(node_label\) of integer dtype \(got dtype torch.float32"):
        WeisfeilerLehman(node_label="atom").fit([graph])
    graph.atom = torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match=r"'graphs\[0\].atom' of shape \(num_nodes,\) with num_nodes=3 \(got \(2,\)\)"):
        WeisfeilerLehman(node_label="atom").fit([graph])
