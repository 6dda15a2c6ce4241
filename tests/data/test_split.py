from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gnnlab.data import random_split


def _check(masks, num_nodes, fractions):
    stacked = torch.stack(masks).int()
    assert (stacked.sum(0) == 1).all(), "masks must be disjoint and cover every node"
    for mask, fraction in zip(masks, fractions):
        assert abs(int(mask.sum()) - fraction * num_nodes) < 1


def test_cora_60_20_20(cora):
    masks = random_split(cora, seed=0)
    _check(masks, cora.num_nodes, (0.6, 0.2, 0.2))
    assert all(m.dtype == torch.bool and m.shape == (cora.num_nodes,) for m in masks)


def test_same_seed_same_split_other_seed_other_split(cora):
    assert all(torch.equal(a, b) for a, b in zip(random_split(cora, seed=5), random_split(cora, seed=5)))
    assert not torch.equal(random_split(cora, seed=5)[0], random_split(cora, seed=6)[0])


def test_stratified_keeps_class_proportions(citeseer):
    masks = random_split(citeseer, seed=1)
    y = citeseer.y
    for c in y.unique():
        members = int((y == c).sum())
        for mask, fraction in zip(masks, (0.6, 0.2, 0.2)):
            assert abs(int((mask & (y == c)).sum()) - fraction * members) < 1


@settings(max_examples=60, deadline=None)
@given(num_nodes=st.integers(3, 400), classes=st.integers(1, 8), train=st.floats(0.1, 0.8),
       share=st.floats(0.1, 0.9), seed=st.integers(0, 10_000))
def test_property_any_labels_any_fractions(num_nodes, classes, train, share, seed):
    val = (1 - train) * share
    test = 1 - train - val
    labels = torch.randint(0, classes, (num_nodes,), generator=torch.Generator().manual_seed(seed))
    masks = random_split(labels, train, val, test, seed=seed)
    _check(masks, num_nodes, (train, val, test))
    for c in labels.unique():
        members = int((labels == c).sum())
        for mask, fraction in zip(masks, (train, val, test)):
            assert abs(int((mask & (labels == c)).sum()) - fraction * members) < 1


def test_unstratified_from_count():
    masks = random_split(10, 0.5, 0.3, 0.2, stratify=False)
    assert [int(m.sum()) for m in masks] == [5, 3, 2]


@pytest.mark.parametrize("fractions, argument", [
    ((0.6, 0.3, 0.3), "sum to 1"),
    ((0.0, 0.5, 0.5), "'train'"),
    ((0.6, -0.2, 0.6), "'val'"),
    ((0.6, 0.2, 1.2), "'test'"),
])
def test_bad_fractions(fractions, argument, cora):
    with pytest.raises(ValueError, match=argument):
        random_split(cora, *fractions)


def test_stratify_needs_labels():
    with pytest.raises(ValueError, match="stratify=False"):
        random_split(10)
