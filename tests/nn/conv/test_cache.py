"""The caches of the layers and models and their one rule (gnnlab.nn.conv.cache.InputCache): tensors by identity
and in-place version counter, other values by equality; emptied by reset_parameters, never carried by a copy;
and the one rule by which an overridden message or aggregate disables a fast path."""
from __future__ import annotations

import copy
import pickle

import pytest
import torch

from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE
from gnnlab.nn.conv import GATConv, GatedGraphConv, GCNConv, MessagePassing, SAGEConv
from gnnlab.nn.conv.cache import InputCache
from gnnlab.nn.conv.message_passing import overridden_below

from .cases import adj_t_of, random_graph

N, F_IN = 12, 6

#: each layer, and the caches a call on a plain edge_index (with edge weights where it takes them) fills
LAYERS = {
    "GCNConv": (lambda: GCNConv(F_IN, 3), {"_check_cache", "_norm_cache", "_fused_cache"}),
    "GCNConv-cached": (lambda: GCNConv(F_IN, 3, cached=True), {"_check_cache", "_norm_cache", "_fused_cache"}),
    "SAGEConv": (lambda: SAGEConv(F_IN, 3), {"_check_cache", "_fused_cache"}),
    "GATConv": (lambda: GATConv(F_IN, 3, heads=2), {"_check_cache", "_loops_cache"}),
    "GatedGraphConv": (lambda: GatedGraphConv(F_IN, 2), {"_check_cache", "_fused_cache"}),
}
MODELS = [GCN, GraphSAGE, GAT, GGNN]


def _inputs(seed=0):
    torch.manual_seed(seed)
    edge_index = random_graph(N, 40, seed=seed)
    return torch.randn(N, F_IN), edge_index, torch.rand(edge_index.size(1)) + 0.5


def _call(layer, x, edge_index, edge_weight):
    return layer(x, edge_index) if isinstance(layer, (GATConv, GAT)) else layer(x, edge_index, edge_weight)


def _caches(module):
    """Every cache of ``module`` and of its submodules, by ``(submodule name, attribute)``."""
    return {(name, attr): cache for name, sub in module.named_modules()
            for attr, cache in InputCache.caches_of(sub).items()}


@pytest.fixture
def puts(monkeypatch):
    """The caches written to, in order (by identity), while the test runs."""
    written = []
    original = InputCache.put

    def recording(self, key, value):
        written.append(self)
        return original(self, key, value)

    monkeypatch.setattr(InputCache, "put", recording)
    return written


# -- the rule --------------------------------------------------------------------------------------------
def test_tensors_match_by_identity_and_version_other_values_by_equality():
    cache = InputCache()
    a, w = torch.tensor([[0, 1], [1, 0]]), torch.ones(2)
    assert not cache and cache.get((a,)) is None
    assert cache.put((a, w, (2, 2), "source_to_target", None), "value") == "value"
    assert cache and cache.get((a, w, (2, 2), "source_to_target", None)) == "value"
    assert cache.get((a, w, tuple([2, 2]), "source_to_target", None)) == "value"  # equal, not identical
    for other in ((a.clone(), w, (2, 2), "source_to_target", None),  # equal values, another tensor
                  (a, w, (2, 3), "source_to_target", None), (a, w, (2, 2), "target_to_source", None),
                  (a, None, (2, 2), "source_to_target", None), (a, w, (2, 2), "source_to_target"),  # shorter
                  (a, w, (2, 2), "source_to_target", None, None), ()):
        assert cache.get(other) is None, other
    w.mul_(2)  # in place: the counter moves
    assert cache.get((a, w, (2, 2), "source_to_target", None)) is None
    cache.put((a, w), 1)
    a[0, 0] = 1
    assert cache.get((a, w)) is None
    cache.clear()
    assert not cache and cache.get(()) is None


def test_the_empty_key_matches_only_itself():
    cache = InputCache()
    cache.put((), "pinned")
    assert cache.get(()) == "pinned" and cache.get((torch.ones(1),)) is None


def test_a_tensor_without_a_version_counter_is_never_cached():
    cache = InputCache()
    with torch.inference_mode():
        a = torch.ones(3)
        assert cache.put((a,), "value") == "value"
        assert not cache and cache.get((a,)) is None
    b = torch.ones(3)
    cache.put((b,), "value")
    with torch.inference_mode():
        assert cache.get((torch.ones(3),)) is None


def test_a_cache_is_copied_empty():
    cache = InputCache()
    cache.put((torch.ones(1),), "value")
    for clone in (copy.deepcopy(cache), pickle.loads(pickle.dumps(cache))):
        assert isinstance(clone, InputCache) and not clone
    assert cache
    state = {"_c": cache, "other": 1}
    emptied = InputCache.without_contents(state)
    assert emptied["other"] == 1 and not emptied["_c"] and emptied["_c"] is not cache and state["_c"] is cache


# -- every layer's caches --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(LAYERS))
def test_a_call_fills_the_layers_caches_and_the_same_inputs_hit_them(name, puts):
    make, expected = LAYERS[name]
    layer = make().eval()
    x, edge_index, edge_weight = _inputs()
    first = _call(layer, x, edge_index, edge_weight)
    filled = {attr for attr, cache in InputCache.caches_of(layer).items() if cache}
    assert filled == expected
    del puts[:]
    torch.testing.assert_close(_call(layer, x, edge_index, edge_weight), first)
    assert puts == []  # every cache answered


@pytest.mark.parametrize(("name", "edited"), [(name, edited) for edited in ("edge_index", "edge_weight")
                                               for name in LAYERS if (name, edited) != ("GATConv", "edge_weight")])
def test_an_in_place_edit_invalidates_every_cache(name, edited, puts):
    make, expected = LAYERS[name]  # (GATConv takes no edge weights)
    layer = make().eval()
    x, edge_index, edge_weight = _inputs()
    before = _call(layer, x, edge_index, edge_weight)
    if edited == "edge_index":
        edge_index[0].copy_(edge_index[0].flip(0))  # the same tensor, other edges
    else:
        edge_weight.mul_(torch.linspace(0.1, 3.0, edge_weight.numel()))
    del puts[:]
    after = _call(layer, x, edge_index, edge_weight)
    rebuilt = {attr for attr, cache in InputCache.caches_of(layer).items() if any(c is cache for c in puts)}
    fresh = copy.deepcopy(layer)  # no cache: computes everything from the edited tensors
    if name == "GCNConv-cached":  # PyG's cached=True: the first normalisation, kept for good
        torch.testing.assert_close(after, before)
        assert edited == "edge_weight" or "_check_cache" in rebuilt
        return
    reference = _call(fresh, x, edge_index, edge_weight)
    torch.testing.assert_close(after, reference)
    assert not torch.allclose(after, before)
    # each cache keyed on the edited tensor (the checks do not look at the weights) built its entry again
    assert rebuilt == (expected - {"_check_cache"} if edited == "edge_weight" else expected)


@pytest.mark.parametrize("name", list(LAYERS))
def test_an_edge_index_edited_in_place_is_checked_again(name):
    layer = LAYERS[name][0]()
    x, edge_index, edge_weight = _inputs()
    _call(layer, x, edge_index, edge_weight)
    edge_index[1, 0] = N + 3
    with pytest.raises(ValueError, match="edge_index"):
        _call(layer, x, edge_index, edge_weight)


def test_the_fused_matrix_is_stale_after_an_in_place_edit_of_edge_weight():
    layer = GatedGraphConv(F_IN, 1)
    x, edge_index, edge_weight = _inputs()
    layer(x, edge_index, edge_weight)
    key = (edge_index, edge_weight, (N, N), layer.flow, edge_index.device)
    assert layer._fused_cache.get(key) is not None  # the key propagate uses (so this test reads the cache it means)
    edge_weight[0] = 7.0
    assert layer._fused_cache.get(key) is None


@pytest.mark.parametrize("name", list(LAYERS))
def test_reset_parameters_empties_every_cache_of_a_layer(name):
    layer = LAYERS[name][0]()
    _call(layer, *_inputs())
    assert any(InputCache.caches_of(layer).values())
    layer.reset_parameters()
    assert not any(InputCache.caches_of(layer).values())
    if isinstance(layer, GCNConv):
        assert layer._cached_edge_index is None and layer._cached_adj_t is None


@pytest.mark.parametrize("name", list(LAYERS))
def test_copies_of_a_layer_carry_no_cache(name):
    layer = LAYERS[name][0]().eval()
    x, edge_index, edge_weight = _inputs()
    out = _call(layer, x, edge_index, edge_weight)
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer)), copy.copy(layer)):
        caches = InputCache.caches_of(clone)
        assert set(caches) == set(InputCache.caches_of(layer)) and not any(caches.values())
        assert all(caches[attr] is not cache for attr, cache in InputCache.caches_of(layer).items())
        torch.testing.assert_close(_call(clone, x, edge_index, edge_weight), out)
    assert all(InputCache.caches_of(layer)[attr] for attr in LAYERS[name][1])  # the original keeps its own


class Memo(SAGEConv):
    """A subclass with a cache of its own (at module level: pickled by reference)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._degree_cache = InputCache()

    def forward(self, x, edge_index, edge_weight=None):
        key = (edge_index, x.size(0))
        if self._degree_cache.get(key) is None:
            self._degree_cache.put(key, torch.bincount(edge_index[1], minlength=x.size(0)))
        return super().forward(x, edge_index, edge_weight)


def test_a_subclass_cache_is_emptied_and_dropped_by_the_base():
    layer = Memo(F_IN, 3)
    _call(layer, *_inputs())
    assert layer._degree_cache
    assert not pickle.loads(pickle.dumps(layer))._degree_cache and not copy.deepcopy(layer)._degree_cache
    layer.reset_parameters()
    assert not layer._degree_cache


# -- the models ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", MODELS)
def test_reset_parameters_empties_every_cache_of_a_model(cls):
    model = cls(F_IN, 2)
    _call(model, *_inputs())
    caches = _caches(model)
    assert caches[("", "_check_cache")] and sum(map(bool, caches.values())) > 1
    model.reset_parameters()
    assert not any(_caches(model).values())


@pytest.mark.parametrize("cls", MODELS)
def test_copies_of_a_model_carry_no_cache(cls):
    model = cls(F_IN, 2).eval()
    x, edge_index, edge_weight = _inputs()
    out = _call(model, x, edge_index, edge_weight)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert set(_caches(clone)) == set(_caches(model)) and not any(_caches(clone).values())
        torch.testing.assert_close(_call(clone, x, edge_index, edge_weight), out)
    shallow = copy.copy(model)  # it shares the layers, not the model's own caches
    assert not shallow._check_cache and model._check_cache


@pytest.mark.parametrize("cls", MODELS)
def test_a_model_checks_inputs_edited_in_place_again(cls):
    model = cls(F_IN, 2)
    x, edge_index, edge_weight = _inputs()
    _call(model, x, edge_index, edge_weight)
    x[0, 0] = float("inf")
    with pytest.raises(ValueError, match="'x' to hold finite values"):
        _call(model, x, edge_index, edge_weight)
    x[0, 0] = 0.0
    _call(model, x, edge_index, edge_weight)
    if cls is not GAT:  # GAT takes no edge weights
        edge_weight[0] = float("nan")
        with pytest.raises(ValueError, match="'edge_weight' to hold finite values"):
            model(x, edge_index, edge_weight)


@pytest.mark.parametrize("cls", MODELS)
def test_inference_mode_tensors_are_computed_not_cached(cls):
    model = cls(F_IN, 2).eval()
    x, edge_index, edge_weight = _inputs()
    expected = _call(model, x, edge_index, edge_weight)
    model = copy.deepcopy(model)
    with torch.inference_mode():
        x, edge_index, edge_weight = x.clone(), edge_index.clone(), edge_weight.clone()
        for _ in range(2):
            torch.testing.assert_close(_call(model, x, edge_index, edge_weight), expected)
        assert not any(_caches(model).values())


# -- one rule for "an override disables the fast path" ---------------------------------------------------
def test_overridden_below():
    class Message(SAGEConv):
        def message(self, x_j, edge_weight=None):
            return x_j

    class Update(SAGEConv):
        def update(self, inputs):
            return inputs

    class Mixin:
        def aggregate(self, inputs, index, ptr=None, dim_size=None):
            return MessagePassing.aggregate(self, inputs, index, ptr, dim_size)

    class Ahead(Mixin, SAGEConv):
        pass

    class Behind(SAGEConv, Mixin):
        pass

    assert not overridden_below(SAGEConv, SAGEConv) and not overridden_below(Update, SAGEConv)
    assert not overridden_below(Behind, SAGEConv)
    assert overridden_below(Message, SAGEConv) and overridden_below(Ahead, SAGEConv)
    assert not overridden_below(Message, Message) and overridden_below(Message, SAGEConv, ("message",))
    assert not overridden_below(Message, SAGEConv, ("aggregate",))
    assert overridden_below(SAGEConv, MessagePassing)  # SAGEConv defines both itself


@pytest.mark.parametrize("graph", ["edge_index", "adj_t"])
def test_a_gcn_subclass_overriding_message_gets_its_message_called(graph):
    calls = []

    class Doubled(GCNConv):
        def message(self, x_j, edge_weight):
            calls.append(x_j.size(0))
            return 2 * super().message(x_j, edge_weight)

    torch.manual_seed(3)
    base = GCNConv(F_IN, 3)
    layer = Doubled(F_IN, 3)
    layer.load_state_dict(base.state_dict())
    x, edge_index, edge_weight = _inputs()
    adj = adj_t_of(edge_index, N, values=edge_weight) if graph == "adj_t" else edge_index
    weight = None if graph == "adj_t" else edge_weight
    for _ in range(2):  # the second call hits the caches: still the override
        out = layer(x, adj, weight)
        torch.testing.assert_close(out - layer.bias, 2 * (base(x, adj, weight) - base.bias), atol=1e-5, rtol=1e-5)
    assert len(calls) == 2 and not layer._fused_cache


def test_sage_projects_first_unless_message_or_aggregate_is_overridden():
    class Message(SAGEConv):
        def message(self, x_j, edge_weight=None):
            return x_j

    class Update(SAGEConv):
        def update(self, inputs):
            return inputs

    class Mixin:
        def aggregate(self, inputs, index, ptr=None, dim_size=None):
            return MessagePassing.aggregate(self, inputs, index, ptr, dim_size)

    class Ahead(Mixin, SAGEConv):
        pass

    x, edge_index, _ = _inputs()
    for cls, projected in ((SAGEConv, True), (Update, True), (Message, False), (Ahead, False)):
        layer = cls(F_IN, 2, aggr="sum")
        widths = []
        layer.register_propagate_forward_pre_hook(
            lambda module, inputs, seen=widths: seen.append(inputs[2]["x"][0].size(-1)))
        layer(x, edge_index)
        assert widths == [2 if projected else F_IN], cls.__name__


def test_a_call_under_inference_mode_leaves_nothing_for_training():
    # an inference tensor kept in a cache fails the next backward ("cannot be saved for backward")
    from gnnlab.nn import GAT, GATConv, GCNConv

    torch.manual_seed(0)
    x, edge_index = torch.randn(20, 8), torch.randint(0, 20, (2, 60))
    for module in (GATConv(8, 4), GCNConv(8, 4), GAT(8, 3)):
        with torch.inference_mode():
            module(x, edge_index)
        module(x, edge_index).sum().backward()


def test_a_value_whose_equality_is_no_truth_value_is_a_miss():
    import numpy as np

    cache = InputCache()
    cache.put((torch.ones(2), None), "stored")
    assert cache.get((cache._key[0], np.zeros(3))) is None  # numpy's == gives an array: not equal, no error
    assert cache.get((cache._key[0], None)) == "stored"
