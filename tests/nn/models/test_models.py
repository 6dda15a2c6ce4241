"""The GNN models: structure, validation at entry, and short fixed-seed accuracy runs on the real data."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GATConv as PyGGATConv
from torch_geometric.nn import GCNConv as PyGGCNConv

from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.train import fit_node_classifier

from ..conv.cases import check_permutation_equivariance, random_graph

MODELS = [GCN, GraphSAGE, GAT, GGNN]


@pytest.mark.parametrize("cls", MODELS)
def test_shapes_embed_and_equivariance(cls):
    torch.manual_seed(0)
    model = cls(12, 3).eval()
    x, edge_index = torch.randn(30, 12), random_graph(30, 90, seed=1)
    assert model(x, edge_index).shape == (30, 3)
    assert model.embed(x, edge_index).shape[0] == 30
    check_permutation_equivariance(model, x, edge_index)


@pytest.mark.parametrize("cls", MODELS)
def test_reset_parameters_reinitialises(cls):
    model = cls(12, 3)
    before = [p.clone() for p in model.parameters()]
    model.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_gcn_equals_pyg_stack_in_eval():
    torch.manual_seed(2)
    ours = GCN(8, 3, hidden_channels=5).eval()
    first, second = PyGGCNConv(8, 5), PyGGCNConv(5, 3)
    ours.convs[0].load_state_dict(first.state_dict())
    ours.convs[1].load_state_dict(second.state_dict())
    x, edge_index = torch.randn(20, 8), random_graph(20, 60, seed=3)
    torch.testing.assert_close(ours(x, edge_index), second(torch.relu(first(x, edge_index)), edge_index))


def test_gat_paper_architecture():
    model = GAT(1433, 7)
    assert [conv.heads for conv in model.convs] == [8, 1]
    assert model.convs[0].out_channels == 8 and model.convs[1].in_channels == 64
    assert model.dropout == 0.6 and model.convs[0].dropout == 0.6
    # same parameter count as the paper's model built from PyG layers
    reference = sum(p.numel() for m in (PyGGATConv(1433, 8, heads=8), PyGGATConv(64, 7, concat=False))
                    for p in m.parameters())
    assert sum(p.numel() for p in model.parameters()) == reference


def test_ggnn_shares_weights_across_steps():
    sizes = {steps: sum(p.numel() for p in GGNN(10, 3, num_layers=steps).parameters()) for steps in (1, 2, 6)}
    assert len(set(sizes.values())) == 1


@pytest.mark.parametrize("cls", [GCN, GraphSAGE, GAT, GGNN])
def test_pyg_style_positional_arguments_are_refused(cls):
    # PyG's models.GCN(in, hidden, num_layers, out): here the same call must not build another network
    with pytest.raises(TypeError, match="positional argument"):
        cls(1433, 16, 2, 7)
    model = cls(1433, 7, hidden_channels=16, num_layers=2)
    assert (model.in_channels, model.out_channels, model.hidden_channels, model.num_layers) == (1433, 7, 16, 2)


def test_repr():
    assert repr(GCN(1433, 7)) == "GCN(1433, 7, hidden_channels=16, num_layers=2, dropout=0.5)"
    assert "heads=8" in repr(GAT(1433, 7)) and "share_weights=True" in repr(GGNN(5, 2))


@pytest.mark.parametrize("cls", MODELS)
def test_bad_inputs_name_the_model_and_argument(cls):
    model = cls(4, 2)
    edge_index = torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'x' with 4 features"):
        model(torch.randn(3, 5), edge_index)
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'edge_index' indices below num_nodes=3"):
        model(torch.randn(3, 4), torch.tensor([[0, 1], [1, 3]]))
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'edge_index' of shape"):
        model(torch.randn(3, 4), edge_index.t().contiguous().view(1, 4))
    bad = torch.randn(3, 4)
    bad[1, 2] = float("nan")
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'x' to hold finite values"):
        model(bad, edge_index)
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'hidden_channels'"):
        cls(4, 2, hidden_channels=0)


@pytest.mark.parametrize("cls", MODELS)
def test_inputs_edited_in_place_after_a_call_are_checked_again(cls):
    """Inputs are checked once per tensor, not once per call: a NaN written into ``x`` (or a bad index into
    ``edge_index``, a NaN into ``edge_weight`` or a sparse ``x``'s values) after a first call must still be an
    error naming the argument, not NaN logits."""
    model = cls(4, 2)
    edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
    x = torch.randn(3, 4)
    model(x, edge_index)
    x[1, 2] = float("nan")
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'x' to hold finite values"):
        model(x, edge_index)
    x[1, 2] = 0.5
    model(x, edge_index)
    edge_index[1, 0] = 7
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'edge_index' indices below num_nodes=3"):
        model(x, edge_index)
    edge_index[1, 0] = 1
    sparse = SparseMatrix.from_dense(x)
    model(sparse, edge_index)
    sparse.values[0] = float("nan")
    with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'x' to hold finite values"):
        model(sparse, edge_index)
    if cls is not GAT:  # GAT takes no edge weights
        edge_weight = torch.ones(3)
        model(x, edge_index, edge_weight)
        edge_weight[2] = float("inf")
        with pytest.raises(ValueError, match=f"'{cls.__name__}' expected 'edge_weight' to hold finite values"):
            model(x, edge_index, edge_weight)


# Short runs with fixed seeds on the public split. The README's 10-seed means ± std are GCN 82.0 ± 0.5 (Cora)
# and 71.1 ± 1.0 (CiteSeer), GraphSAGE 81.1 ± 0.6, GAT 83.1 ± 0.8, GGNN 77.3 ± 1.4; each threshold sits 2 points
# (GCN Cora, 4 std), 3.1 (GCN CiteSeer, 3 std), 3.1 (SAGE, 5 std), 3.1 (GAT, 4 std) and 3.3 (GGNN, 2.4 std)
# below its mean: a seed's noise stays above, a broken layer (accuracy near 30 %) falls far below.
@pytest.mark.parametrize("dataset, cls, options, train, threshold", [
    ("cora", GCN, {}, {}, 0.80),
    ("citeseer", GCN, {}, {}, 0.68),
    ("cora", GraphSAGE, {}, {}, 0.78),
    ("cora", GAT, {}, {"lr": 0.005, "epochs": 300}, 0.80),
    ("cora", GGNN, {}, {}, 0.74),
])
@pytest.mark.training
def test_accuracy_on_planetoid(request, dataset, cls, options, train, threshold):
    data = request.getfixturevalue(dataset)
    torch.manual_seed(0)
    model = cls(data.num_features, int(data.y.max()) + 1, **options)
    history = fit_node_classifier(model, data, seed=0, verbose=False, **train)
    assert history["best_test_acc"] >= threshold


def test_repr_of_a_model_without_hidden_layers_or_dropout():
    from gnnlab.nn.models._base import NodeModel

    class Linear1(NodeModel):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.in_channels, self.out_channels = in_channels, out_channels
            self.lin = torch.nn.Linear(in_channels, out_channels)

        def _run(self, x, edge_index, edge_weight):
            return self.lin(x), x

    assert repr(Linear1(3, 2)) == "Linear1(3, 2)"
    assert repr(GCN(5, 3)) == "GCN(5, 3, hidden_channels=16, num_layers=2, dropout=0.5)"
