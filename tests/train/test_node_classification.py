from __future__ import annotations

import math

import pytest
import torch

from gnnlab.nn import GCN
from gnnlab.regularize import EarlyStopping
from gnnlab.train import fit_node_classifier, sparse_features


def _correct(model, data, mask) -> int:
    model.eval()
    with torch.no_grad():
        return int((model(data.x, data.edge_index).argmax(1)[mask] == data.y[mask]).sum())


@pytest.mark.training
def test_history_and_selected_model(karate):
    torch.manual_seed(0)
    model = GCN(34, 2)
    history = fit_node_classifier(model, karate, epochs=60, verbose=False, seed=0, device="cpu")
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "test_acc", "seconds"):
        assert len(history[key]) == 60
    assert history["train_loss"][-1] < history["train_loss"][0]
    best = history["best_epoch"]
    assert history["best_val_acc"] == max(history["val_acc"])
    # the model is left at the selected epoch
    assert _correct(model, karate, karate.test_mask) == round(history["test_acc"][best] * int(karate.test_mask.sum()))
    assert history["device"] == "cpu" and history["epochs_run"] == 60


def test_same_seed_same_history_and_global_rng_untouched(karate):
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = GCN(34, 2)
        state = torch.get_rng_state()
        runs.append(fit_node_classifier(model, karate, epochs=20, verbose=False, seed=3))
        assert torch.equal(torch.get_rng_state(), state)
    assert runs[0]["train_loss"] == runs[1]["train_loss"]


@pytest.mark.training
def test_patience_stops_early(karate):
    model = GCN(34, 2)
    history = fit_node_classifier(model, karate, epochs=1000, early_stopping=10, lr=0.05, verbose=False, seed=0)
    assert history["epochs_run"] < 1000


@pytest.mark.training
def test_early_stopping_object(karate):
    stopper = EarlyStopping(patience=5, monitor="val_loss")
    history = fit_node_classifier(GCN(34, 2), karate, epochs=1000, early_stopping=stopper, lr=0.1, verbose=False)
    assert history["epochs_run"] < 1000 and stopper.should_stop


@pytest.mark.training
def test_sparse_and_dense_features_train_identically(cora):
    # without dropout (whose masks are drawn differently for the two layouts) the runs are the same
    results = []
    for sparse in (True, False):
        torch.manual_seed(0)
        model = GCN(1433, 7, dropout=0.0)
        results.append(fit_node_classifier(model, cora, epochs=10, verbose=False, seed=0, sparse=sparse))
    torch.testing.assert_close(torch.tensor(results[0]["train_loss"]), torch.tensor(results[1]["train_loss"]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sparse_features_at_the_density_boundary(dtype):
    # a (10, 20) matrix with k non-zeros (arbitrary values, negatives included): sparse when k <= max_density
    # * 200, then holding exactly those entries (the same dense matrix, nnz = k, the same products); else
    # the very tensor given back
    from gnnlab.nn.functional.sparse import SparseMatrix

    generator = torch.Generator().manual_seed(0)
    positions = torch.randperm(200, generator=generator)
    values = torch.randn(200, generator=generator, dtype=torch.float64).to(dtype)
    weight = torch.randn(20, 3, generator=generator, dtype=torch.float64).to(dtype)
    for nonzeros, max_density, expect_sparse in [(20, 0.1, True), (21, 0.1, False), (21, 0.105, True),
                                                 (0, 0.1, True), (200, 1.0, True), (1, 0.0, False)]:
        x = torch.zeros(200, dtype=dtype)
        x[positions[:nonzeros]] = values[:nonzeros] + torch.sign(values[:nonzeros])  # no accidental zero
        x = x.view(10, 20)
        result = sparse_features(x, max_density=max_density)
        if not expect_sparse:
            assert result is x, (nonzeros, max_density)
            continue
        assert isinstance(result, SparseMatrix), (nonzeros, max_density)
        assert result.shape == (10, 20) and result.nnz == nonzeros and result.values.dtype == dtype
        assert torch.equal(result.to_dense(), x)
        torch.testing.assert_close(result @ weight, x @ weight)
    dense = torch.ones(3, 3)
    assert sparse_features(dense) is dense  # density 1
    for kept in (torch.zeros(5), torch.zeros(0, 4), torch.eye(4).to_sparse()):  # not a 2-D strided matrix
        assert sparse_features(kept) is kept


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "'epochs'"),
    (dict(lr=-0.1), "'lr'"),
    (dict(select="best"), "'select'"),
    (dict(early_stopping=0), "'early_stopping'"),
    (dict(device="tpu"), "'device'"),
])
def test_bad_arguments(karate, kwargs, message):
    with pytest.raises(ValueError, match=f"'fit_node_classifier' expected {message}|'resolve_device' expected"):
        fit_node_classifier(GCN(34, 2), karate, verbose=False, **kwargs)


def test_bad_masks(karate):
    data = karate.clone()
    data.train_mask = data.train_mask[:10]
    with pytest.raises(ValueError, match=r"'data.train_mask' to be a bool tensor of shape \(34,\)"):
        fit_node_classifier(GCN(34, 2), data, verbose=False)


def _selected_by_definition(history: dict) -> dict[str, int]:
    """Each select rule applied by brute force to the recorded validation curves."""
    accuracy, loss = history["val_acc"], history["val_loss"]
    epochs = range(len(accuracy))
    return {
        "val_acc": max(epochs, key=lambda e: (accuracy[e], -loss[e])),  # max keeps the earliest
        "val_loss": min(epochs, key=lambda e: loss[e]),
        "val_acc_and_loss": max(e for e in epochs if all(accuracy[e] >= a for a in accuracy[:e])
                                and all(loss[e] <= value for value in loss[:e])),
        "last": len(accuracy) - 1,
    }


@pytest.mark.training
def test_every_select_rule_keeps_its_own_epoch():
    from gnnlab.data import synthetic_graph

    # a noisy graph, a large step and no dropout: the four rules pick four different epochs
    data = synthetic_graph(300, 4, avg_degree=4, num_features=32, homophily=0.5, seed=2, feature_noise=1.5,
                           train=0.2, val=0.4)
    chosen = {}
    for select in ("val_acc", "val_loss", "val_acc_and_loss", "last"):
        torch.manual_seed(0)
        model = GCN(32, 4, dropout=0.0)
        history = fit_node_classifier(model, data, epochs=40, lr=0.1, weight_decay=0.0, select=select, seed=0,
                                      verbose=False)
        expected = _selected_by_definition(history)
        assert history["best_epoch"] == expected[select], select
        chosen[select] = history["best_epoch"]
        # the model is left with that epoch's parameters
        assert _correct(model, data, data.test_mask) == round(history["best_test_acc"] * int(data.test_mask.sum()))
    assert len(set(chosen.values())) == 4, chosen


def test_metrics_per_mask_match_a_plain_computation():
    """Loss and accuracy of every mask at once (one host copy), an empty mask giving NaN."""
    from gnnlab.train.node_classification import _metrics

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 4, generator=generator)
    y = torch.randint(0, 4, (50,), generator=generator)
    masks = {"train": torch.arange(50) < 20, "val": torch.arange(50) % 3 == 0, "test": torch.zeros(50, dtype=bool)}
    got = _metrics(logits, y, masks)
    for name in ("train", "val"):
        mask = masks[name]
        correct = int((logits[mask].argmax(1) == y[mask]).sum())
        assert got[f"{name}_acc"] == correct / int(mask.sum())  # a count over a count: exact
        assert got[f"{name}_loss"] == pytest.approx(float(torch.nn.functional.cross_entropy(logits[mask], y[mask])),
                                                    rel=1e-6)
    assert math.isnan(got["test_acc"]) and math.isnan(got["test_loss"])
    assert set(got) == {f"{name}_{kind}" for name in masks for kind in ("loss", "acc")}
    unlabelled = y.clone()
    unlabelled[~(masks["train"] | masks["val"])] = -1  # labels outside every mask do not count
    assert _metrics(logits, unlabelled, masks) == pytest.approx(got, nan_ok=True)


def _relabelled(data, mask):
    """A copy of ``data`` with the label of every node under ``mask`` moved to another class."""
    changed = data.clone()
    changed.y = torch.where(mask, (data.y + 1) % (int(data.y.max()) + 1), data.y)
    return changed


def _trained_weights(data, **options) -> list[torch.Tensor]:
    """The parameters of a GCN trained on ``data`` with fixed seeds, at its last epoch (``select="last"``: the
    epoch kept by ``select="val_acc"`` depends on the validation labels by design)."""
    torch.manual_seed(0)
    model = GCN(data.num_features, 2)
    fit_node_classifier(model, data, epochs=6, select="last", seed=0, device="cpu", verbose=False, **options)
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("options", [{}, {"batch_size": 5, "num_neighbors": [3, 3]}], ids=["full", "mini-batch"])
def test_only_the_training_labels_reach_the_weights(karate, options):
    """Exact on any float path: the loss is over ``train_mask`` alone, so moving every validation and test label
    to another class leaves the trained weights bit-identical, while moving one training label does not."""
    reference = _trained_weights(karate, **options)
    held_out = _relabelled(karate, ~karate.train_mask)
    assert all(torch.equal(a, b) for a, b in zip(reference, _trained_weights(held_out, **options)))
    one = _relabelled(karate, torch.arange(karate.num_nodes) == int(karate.train_mask.nonzero()[0]))
    assert not all(torch.equal(a, b) for a, b in zip(reference, _trained_weights(one, **options)))


@pytest.mark.training
def test_a_reused_early_stopping_starts_afresh(karate):
    """A stopper that has already stopped a run, passed to the next one, is reset by the trainer: the second run
    is the run a fresh stopper gives (accuracy cannot rise by more than 1, so each stops after 1 + 3 epochs)."""
    def run(stopper):
        torch.manual_seed(0)
        model = GCN(34, 2)
        history = fit_node_classifier(model, karate, epochs=50, early_stopping=stopper, seed=0, verbose=False)
        return history, [p.detach().clone() for p in model.parameters()]

    stopper = EarlyStopping(3, mode="max", monitor="val_acc", min_delta=1.0)
    first, weights = run(stopper)
    assert first["epochs_run"] == 4 and stopper.should_stop
    again, reused_weights = run(stopper)
    fresh, fresh_weights = run(EarlyStopping(3, mode="max", monitor="val_acc", min_delta=1.0))
    for history in (again, fresh):
        assert {k: v for k, v in history.items() if k not in ("seconds", "train_time")} == \
            {k: v for k, v in first.items() if k not in ("seconds", "train_time")}
    assert all(torch.equal(a, b) and torch.equal(a, c) for a, b, c in zip(weights, reused_weights, fresh_weights))


def test_features_edited_in_place_between_calls_are_checked_again(karate):
    """The model checks its inputs once per tensor: a NaN written into ``data.x`` after a first fit must be an
    error naming ``x`` in the next, not a run of NaN losses."""
    data = karate.clone()
    model = GCN(34, 2)
    fit_node_classifier(model, data, epochs=2, seed=0, verbose=False, device="cpu")
    data.x[3, 5] = float("nan")
    with pytest.raises(ValueError, match="'GCN' expected 'x' to hold finite values"):
        fit_node_classifier(model, data, epochs=2, seed=0, verbose=False, device="cpu")


class _UsersModel(torch.nn.Module):
    """A researcher's own model, as PyG's examples write one: dropout and a Linear layer on x first."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        from torch_geometric.nn import GCNConv as PyGGCNConv

        self.lin = torch.nn.Linear(in_channels, 16)
        self.conv = PyGGCNConv(16, out_channels)
        self.seen = []

    def forward(self, x, edge_index):
        self.seen.append(type(x))
        x = torch.nn.functional.dropout(x, p=0.5, training=self.training)
        return self.conv(self.lin(x).relu(), edge_index)


def test_any_model_gets_dense_features_and_gnnlabs_get_sparse_ones(cora):
    # Cora's bag-of-words is large and mostly zeros: sparse="auto" would convert it, but only for a model that says
    # it takes sparse features; a user's own model gets the dense tensor it was written for
    from gnnlab.nn.functional import SparseMatrix
    from gnnlab.train._shared import takes_sparse_features

    model = _UsersModel(cora.num_features, 7)
    assert not takes_sparse_features(model)
    fit_node_classifier(model, cora, epochs=2, verbose=False, seed=0, device="cpu")
    assert set(model.seen) == {torch.Tensor}
    with pytest.raises(ValueError, match="'fit_node_classifier' expected sparse=True only with a model that takes "
                                         "sparse features.*got _UsersModel"):
        fit_node_classifier(model, cora, epochs=1, sparse=True, verbose=False)

    class Recording(GCN):
        def forward(self, x, edge_index, *args, **kwargs):
            seen.append(type(x))
            return super().forward(x, edge_index, *args, **kwargs)

    seen = []
    fit_node_classifier(Recording(cora.num_features, 7), cora, epochs=1, verbose=False, device="cpu")
    assert takes_sparse_features(Recording(4, 2)) and seen[0] is SparseMatrix


def test_on_epoch_end_sees_each_epoch_once_with_its_metrics(karate):
    from gnnlab.data import link_split
    from gnnlab.nn import GAE
    from gnnlab.train import fit_classifier, fit_link_predictor

    seen = []
    fit_node_classifier(GCN(34, 2), karate, epochs=3, verbose=False,
                        on_epoch_end=lambda epoch, metrics: seen.append((epoch, metrics["val_acc"])))
    assert [epoch for epoch, _ in seen] == [0, 1, 2] and all(0 <= acc <= 1 for _, acc in seen)
    seen.clear()
    train, val, test = link_split(karate, seed=0)
    fit_link_predictor(GAE.with_gcn(34), train, val, test, epochs=2, verbose=False,
                       on_epoch_end=lambda epoch, metrics: seen.append((epoch, metrics["val_auc"])))
    assert [epoch for epoch, _ in seen] == [0, 1]
    seen.clear()
    fit_classifier(torch.nn.Linear(34, 2), karate.x, karate.y, epochs=2, verbose=False,
                   on_epoch_end=lambda epoch, metrics: seen.append(epoch))
    assert seen == [0, 1]
