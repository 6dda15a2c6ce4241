from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GatedGraphConv as PyGGatedGraphConv

from gnnlab.nn.conv import GatedGraphConv
from gnnlab.nn.functional import scatter

from .cases import (
    EDGE_CASES,
    MESSY_EDGES,
    MESSY_NODES,
    adj_t_of,
    check_permutation_equivariance,
    compare_calls,
    compare_to_reference,
    random_graph,
)


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


# -- edge types (Li et al.'s propagation model) ---------------------------------------------------------------

def _typed_graph(seed: int, num_nodes: int = 7, num_edges: int = 16, num_edge_types: int = 3):
    """A directed multigraph with self-loops and duplicate edges, node ``num_nodes - 1`` isolated, random types."""
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes - 1, (2, num_edges), generator=generator)
    edge_index[:, -2:] = torch.tensor([[2, 2], [2, 2]])  # a duplicated self-loop
    edge_type = torch.randint(0, num_edge_types, (num_edges,), generator=generator)
    weight = torch.rand(num_edges, generator=generator, dtype=torch.float64) + 0.5
    return edge_index, edge_type, weight


def dense_typed_reference(conv, x, edge_index, edge_type, edge_weight=None):
    """Li et al.'s propagation with one dense matrix A_k per edge type, A_k[i, j] = weight of j -> i, float64:
    a_i = [sum_k (A_k (H W_out[k] + b_out[k]))_i || sum_k (A_k^T (H W_in[k] + b_in[k]))_i], then the paper's GRU
    (eqs. 4-6) written out, for every step."""
    num_nodes, d, types = x.size(0), conv.out_channels, conv.num_edge_types
    h = torch.cat([x, x.new_zeros(num_nodes, d - x.size(1))], dim=1)
    adjacency = x.new_zeros(types, num_nodes, num_nodes)
    count = x.new_zeros(types, num_nodes, num_nodes)
    for e in range(edge_index.size(1)):
        j, i, k = int(edge_index[0, e]), int(edge_index[1, e]), int(edge_type[e])
        adjacency[k, i, j] += 1.0 if edge_weight is None else edge_weight[e]
        count[k, i, j] += 1.0
    into, out_of = count.sum((0, 2)).clamp(min=1), count.sum((0, 1)).clamp(min=1)  # edges per node, per direction
    w_g, b_g, w_t, b_t = conv.rnn.gates.weight, conv.rnn.gates.bias, conv.rnn.transform.weight, conv.rnn.transform.bias
    for step in range(conv.num_layers):
        weight = conv.weight if conv.share_weights else conv.weight[step]
        bias = conv.message_bias if conv.share_weights else conv.message_bias[step]
        along = sum(adjacency[k] @ (h @ weight[k] + bias[k]) for k in range(types))
        against = sum(adjacency[k].t() @ (h @ weight[types + k] + bias[types + k]) for k in range(types))
        if conv.aggr == "mean":
            along, against = along / into.view(-1, 1), against / out_of.view(-1, 1)
        a = torch.cat([along, against], dim=1)
        # Li et al.'s GRU: z, r from [a, h]; the candidate from [a, r * h] (the reset gate inside the product)
        z = torch.sigmoid(a @ w_g[:d, :2 * d].t() + h @ w_g[:d, 2 * d:].t() + b_g[:d])
        r = torch.sigmoid(a @ w_g[d:, :2 * d].t() + h @ w_g[d:, 2 * d:].t() + b_g[d:])
        candidate = torch.tanh(a @ w_t[:, :2 * d].t() + (r * h) @ w_t[:, 2 * d:].t() + b_t)
        h = (1 - z) * h + z * candidate
    return h


def _value_and_grads(run, conv, x):
    x = x.clone().requires_grad_(True)
    out = run(x)
    upstream = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    leaves = [x, *conv.parameters()]
    return out, torch.autograd.grad((out * upstream).sum(), leaves)


@pytest.mark.parametrize("share_weights", [True, False])
@pytest.mark.parametrize("aggr", ["add", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("use_sparse", [True, False])
def test_edge_types_match_a_dense_reference_with_gradients(share_weights, aggr, weighted, use_sparse):
    torch.manual_seed(11)
    edge_index, edge_type, weight = _typed_graph(seed=12)
    weight = weight if weighted else None
    conv = GatedGraphConv(5, 3, aggr=aggr, share_weights=share_weights, num_edge_types=3).double()
    conv.use_sparse = use_sparse
    x = torch.randn(7, 3, dtype=torch.float64)
    out, grads = _value_and_grads(lambda x: conv(x, edge_index, weight, edge_type=edge_type), conv, x)
    expected, expected_grads = _value_and_grads(
        lambda x: dense_typed_reference(conv, x, edge_index, edge_type, weight), conv, x)
    # 1e-7: the fused mean's 1/degree coefficients of an unweighted graph are float32 (gnnlab's SparseMatrix)
    torch.testing.assert_close(out, expected, atol=1e-7, rtol=0)
    for grad, expected_grad in zip(grads, expected_grads):  # x, weight, message_bias, the GRU's four tensors
        torch.testing.assert_close(grad, expected_grad, atol=1e-7, rtol=0)


def test_edge_directions_have_their_own_matrices():
    # one edge 0 -> 1: node 1 hears W_out h_0 in its first half, node 0 hears W_in h_1 in its second half
    torch.manual_seed(13)
    conv = GatedGraphConv(4, 1, num_edge_types=2).double()
    edge_index, edge_type = torch.tensor([[0], [1]]), torch.tensor([1])
    x = torch.randn(3, 4, dtype=torch.float64)
    messages = []
    conv.register_propagate_forward_hook(lambda module, inputs, out: messages.append(out.reshape(3, 8)))
    conv(x, edge_index, edge_type=edge_type)
    expected = torch.zeros(3, 8, dtype=torch.float64)
    expected[1, :4] = x[0] @ conv.weight[0, 1] + conv.message_bias[0, 1]
    expected[0, 4:] = x[1] @ conv.weight[0, 3] + conv.message_bias[0, 3]
    torch.testing.assert_close(messages[0], expected)


def test_edge_types_flow_and_permutation():
    torch.manual_seed(14)
    edge_index, edge_type, _ = _typed_graph(seed=15)
    x = torch.randn(7, 4)
    forward = GatedGraphConv(6, 2, share_weights=True, num_edge_types=3)
    backward = GatedGraphConv(6, 2, share_weights=True, num_edge_types=3, flow="target_to_source")
    backward.load_state_dict(forward.state_dict())
    torch.testing.assert_close(backward(x, edge_index.flip(0), edge_type=edge_type),
                               forward(x, edge_index, edge_type=edge_type))
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(16))
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(7)
    torch.testing.assert_close(forward(x[perm], inverse[edge_index], edge_type=edge_type),
                               forward(x, edge_index, edge_type=edge_type)[perm], atol=1e-6, rtol=1e-5)


def test_edge_type_parameters_and_repr():
    d, types = 6, 3
    conv = GatedGraphConv(d, 4, share_weights=True, num_edge_types=types)
    gru = 3 * d * (3 * d) + 3 * d
    assert dict((name, tuple(p.shape)) for name, p in conv.named_parameters()) == {
        "weight": (2 * types, d, d), "message_bias": (2 * types, d), "rnn.gates.weight": (2 * d, 3 * d),
        "rnn.gates.bias": (2 * d,), "rnn.transform.weight": (d, 3 * d), "rnn.transform.bias": (d,)}
    assert sum(p.numel() for p in conv.parameters()) == 2 * types * (d * d + d) + gru
    per_step = GatedGraphConv(d, 4, num_edge_types=types)
    assert per_step.weight.shape == (4, 2 * types, d, d) and per_step.message_bias.shape == (4, 2 * types, d)
    plain = GatedGraphConv(d, 4, bias=False, num_edge_types=types)
    assert plain.message_bias is None and plain.rnn.gates.bias is None and plain.rnn.transform.bias is None
    assert repr(conv) == "GatedGraphConv(6, num_layers=4, share_weights=True, num_edge_types=3)"
    assert repr(per_step) == "GatedGraphConv(6, num_layers=4, num_edge_types=3)"
    # without edge types nothing changes: PyG's parameter names, no message bias
    assert set(GatedGraphConv(d, 4).state_dict()) == set(PyGGatedGraphConv(d, 4).state_dict())


def test_edge_type_errors_say_what_to_do():
    typed = GatedGraphConv(4, 2, num_edge_types=2)
    x, edge_index = torch.randn(3, 2), torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=r"'GatedGraphConv' expected 'edge_type' to be an integer tensor of shape \(2"):
        typed(x, edge_index)
    with pytest.raises(ValueError, match=r"'edge_type' values in \[0, 2\) \(num_edge_types=2\) \(got values from 0 to"):
        typed(x, edge_index, edge_type=torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r"'edge_type' to be an integer tensor"):
        typed(x, edge_index, edge_type=torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="'edge_index' to be a \\(2, E\\) tensor when the layer has edge types"):
        typed(x, adj_t_of(edge_index, 3), edge_type=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="no 'edge_type' from a layer built without num_edge_types"):
        GatedGraphConv(4, 2)(x, edge_index, edge_type=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="'num_edge_types' to be an integer >= 1"):
        GatedGraphConv(4, 2, num_edge_types=0)
