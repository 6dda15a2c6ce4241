"""synthetic_graph: size, planted homophily, determinism, a valid simple undirected graph."""
from __future__ import annotations

import pytest
import torch

from gnnlab.data import synthetic_graph


@pytest.mark.parametrize("homophily", [0.1, 0.5, 0.9])
def test_homophily_degree_and_shapes(homophily):
    data = synthetic_graph(5000, num_classes=5, avg_degree=8, num_features=16, homophily=homophily, seed=3)
    source, target = data.edge_index
    measured = float((data.y[source] == data.y[target]).float().mean())
    assert abs(measured - homophily) < 0.02
    assert 7.8 < data.num_edges / data.num_nodes <= 8.0
    assert data.x.shape == (5000, 16) and data.x.dtype == torch.float32
    assert torch.bincount(data.y).min() == 1000  # balanced classes


def test_simple_undirected_graph_and_split():
    data = synthetic_graph(3000, seed=1)
    source, target = data.edge_index
    assert bool((source != target).all())
    keys = source * data.num_nodes + target
    assert torch.unique(keys).numel() == keys.numel()
    reverse = torch.sort(target * data.num_nodes + source).values
    assert torch.equal(torch.sort(keys).values, reverse)
    masks = torch.stack([data.train_mask, data.val_mask, data.test_mask])
    assert bool((masks.sum(0) == 1).all())
    assert abs(int(data.train_mask.sum()) - 1800) <= 1


def test_same_seed_same_graph_other_seed_other_graph():
    a, b, c = synthetic_graph(500, seed=7), synthetic_graph(500, seed=7), synthetic_graph(500, seed=8)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.y, c.y)


def test_features_carry_the_class_and_the_graph_helps():
    from gnnlab.nn.functional import scatter

    data = synthetic_graph(20000, num_classes=10, num_features=64, seed=0)
    centres = torch.stack([data.x[data.y == c].mean(0) for c in range(10)])

    def accuracy(x):
        return float((torch.cdist(x, centres).argmin(1) == data.y).float().mean())

    alone = accuracy(data.x)
    neighbours = accuracy(scatter(data.x[data.edge_index[0]], data.edge_index[1], 0, data.num_nodes, "mean") / 0.8)
    assert 0.25 < alone < 0.45 and neighbours > 0.7


@pytest.mark.parametrize("noise", [0.0, 0.5, 2.0])
def test_features_are_unit_centres_plus_gaussian_noise_of_the_given_width(noise):
    # x_i = mu_{y_i} + noise * eps_i: with no noise every node is its class centre, of norm 1; otherwise the
    # deviations from the class means have standard deviation `noise` (20000 values per class here)
    data = synthetic_graph(2000, num_classes=4, num_features=40, seed=2, feature_noise=noise)
    means = torch.stack([data.x[data.y == c].mean(0) for c in range(4)])
    deviation = data.x - means[data.y]
    if noise == 0.0:
        assert float(deviation.abs().max()) < 1e-6
        torch.testing.assert_close(means.norm(dim=1), torch.ones(4))
    else:
        assert float(deviation.std()) == pytest.approx(noise, rel=0.02)


@pytest.mark.parametrize("train, val", [(0.6, 0.2), (0.1, 0.3), (0.5, 0.45)])
def test_split_has_the_given_fractions_in_every_class(train, val):
    # the masks are random_split's stratified split with these fractions: disjoint, covering, and within a
    # node of each fraction in each of the 5 classes (600 nodes each)
    data = synthetic_graph(3000, num_classes=5, seed=4, train=train, val=val)
    masks = torch.stack([data.train_mask, data.val_mask, data.test_mask])
    assert bool((masks.sum(0) == 1).all())
    for mask, fraction in zip(masks, (train, val, 1.0 - train - val)):
        per_class = torch.bincount(data.y[mask], minlength=5).double()
        assert bool(((per_class - fraction * 600).abs() <= 1).all()), (fraction, per_class.tolist())


@pytest.mark.parametrize("kwargs, word", [
    ({"num_nodes": 1}, "num_nodes"), ({"num_nodes": 10, "num_classes": 1}, "num_classes"),
    ({"num_nodes": 10, "homophily": 1.5}, "homophily"), ({"num_nodes": 10, "avg_degree": -1}, "avg_degree"),
    ({"num_nodes": 10, "num_features": 0}, "num_features"), ({"num_nodes": 3, "num_classes": 5}, "num_classes"),
])
def test_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        synthetic_graph(**kwargs)
