from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GatedGraphConv as PyGGatedGraphConv

from gnnlab.nn.conv import GatedGraphConv
from gnnlab.nn.functional import scatter

from .cases import MESSY_EDGES, MESSY_NODES, adj_t_of, compare_calls, EDGE_CASES, check_permutation_equivariance, compare_to_reference, random_graph


def test_matches_pyg_on_cora(cora):
    torch.manual_seed(0)
    x = cora.x[:, :64].contiguous()  # GatedGraphConv pads its input up to out_channels
    compare_to_reference(GatedGraphConv(96, 3), PyGGatedGraphConv(96, 3), x, cora.edge_index)


@pytest.mark.parametrize("case", list(EDGE_CASES))
@pytest.mark.parametrize("aggr", ["add", "mean", "max"])
def test_matches_pyg_on_edge_cases(case, aggr):
    edge_index, num_nodes, weight = EDGE_CASES[case]
    torch.manual_seed(1)
    x = torch.randn(num_nodes, 5, dtype=torch.float64)
    compare_to_reference(GatedGraphConv(6, 2, aggr=aggr, share_weights=False).double(),
                         PyGGatedGraphConv(6, 2, aggr=aggr).double(), x, edge_index, weight)


def test_shared_weights_do_not_grow_with_steps():
    counts = {steps: sum(p.numel() for p in GatedGraphConv(16, steps, share_weights=True).parameters())
              for steps in (1, 2, 5, 10)}
    assert len(set(counts.values())) == 1
    per_step = {steps: sum(p.numel() for p in GatedGraphConv(16, steps, share_weights=False).parameters())
                for steps in (1, 2)}
    assert per_step[2] - per_step[1] == 16 * 16


def test_shared_weights_apply_the_same_matrix_every_step():
    torch.manual_seed(2)
    conv = GatedGraphConv(4, 3, share_weights=True).double()
    edge_index = random_graph(8, 20, seed=3)
    h = torch.randn(8, 4, dtype=torch.float64)
    expected = h
    for _ in range(3):
        expected = conv.rnn(scatter((expected @ conv.weight)[edge_index[0]], edge_index[1], 0, 8, "sum"), expected)
    torch.testing.assert_close(conv(h, edge_index), expected)


def test_permutation_equivariant():
    torch.manual_seed(7)
    check_permutation_equivariance(GatedGraphConv(8, 3), torch.randn(25, 6), random_graph(25, 80, seed=8))


def test_parameter_names_and_repr():
    ours = GatedGraphConv(8, 3)  # PyG's defaults: one matrix per step, sum (kept under PyG's name "add")
    assert ours.aggr == PyGGatedGraphConv(8, 3).aggr == "add" and not ours.share_weights
    ours.load_state_dict(PyGGatedGraphConv(8, 3).state_dict(), strict=True)
    assert repr(ours) == repr(PyGGatedGraphConv(8, 3)) == "GatedGraphConv(8, num_layers=3)"
    assert repr(GatedGraphConv(8, 3, share_weights=True)) == "GatedGraphConv(8, num_layers=3, share_weights=True)"


def test_input_wider_than_hidden():
    with pytest.raises(ValueError, match="'GatedGraphConv' expected 'x' with at most out_channels=4"):
        GatedGraphConv(4, 2)(torch.randn(5, 6), torch.tensor([[0], [1]]))


@pytest.mark.parametrize("aggr", ["add", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_adjacency_equals_edge_index(aggr, weighted):
    torch.manual_seed(40)
    x = torch.randn(MESSY_NODES, 4, dtype=torch.float64)
    weight = torch.rand(MESSY_EDGES.size(1), dtype=torch.float64) if weighted else None
    extra = () if weight is None else (weight,)
    adj_t = adj_t_of(MESSY_EDGES, MESSY_NODES, values=weight)
    compare_calls(GatedGraphConv(6, 2, aggr=aggr).double(), PyGGatedGraphConv(6, 2, aggr=aggr).double(),
                  lambda conv, x: conv(x, MESSY_EDGES, *extra), x, ours_run=lambda conv, x: conv(x, adj_t))


def test_ggnn_model_keeps_tied_weights_by_default():
    from gnnlab.nn import GGNN

    model = GGNN(10, 3, num_layers=4)
    assert model.conv.share_weights and model.conv.weight.shape == (64, 64)
    assert "num_layers=4" in repr(model)
