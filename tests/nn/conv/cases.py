"""Graphs that break message-passing code, and a comparison against a reference layer."""
from __future__ import annotations

import torch

from gnnlab.nn.conv import MessagePassing


def _graph(edges, num_nodes, weights=None):
    edge_index = torch.tensor(edges, dtype=torch.long).view(-1, 2).t().contiguous()
    weight = None if weights is None else torch.tensor(weights, dtype=torch.float64)
    return edge_index, num_nodes, weight


def _ring(n):
    edges = [(i, (i + 1) % n) for i in range(n)]
    return edges + [(b, a) for a, b in edges]


def bipartite_graph(seed: int, with_targets: bool = True):
    """7 sources with 5 features, 4 targets with 3 (``None`` without targets), 15 random edges into targets 0-2
    (target 3 gets nothing), float64."""
    generator = torch.Generator().manual_seed(seed)
    x_src = torch.randn(7, 5, dtype=torch.float64, generator=generator)
    x_dst = torch.randn(4, 3, dtype=torch.float64, generator=generator) if with_targets else None
    edge_index = torch.stack([torch.randint(0, 7, (15,), generator=generator),
                              torch.randint(0, 3, (15,), generator=generator)])
    return x_src, x_dst, edge_index


#: name -> (edge_index, num_nodes, edge_weight or None)
EDGE_CASES = {
    "isolated_nodes": _graph([(0, 1), (1, 0), (1, 2), (2, 1)], 6),
    "self_loops": _graph(_ring(5) + [(0, 0), (3, 3)], 5),
    "duplicate_edges": _graph(_ring(5) + [(0, 1), (0, 1), (2, 3)], 5),
    "directed": _graph([(0, 1), (1, 2), (2, 0), (3, 1), (4, 1), (0, 4)], 5),
    "edge_weights": _graph(_ring(6) + [(0, 3)], 6, [0.5, 2.0, 1.5, 1.0, 0.25, 3.0] * 2 + [0.7]),
    "single_node": _graph([], 1),
    "no_edges": _graph([], 4),
}


def random_graph(num_nodes: int, num_edges: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_nodes, (2, num_edges), generator=generator)


def compare_to_reference(ours: MessagePassing, reference: torch.nn.Module, x: torch.Tensor,
                         edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None,
                         atol: float = 1e-5, paths=(True, False)) -> None:
    """Outputs and input gradients of ``ours`` (sparse and message paths) equal the reference's."""
    ours.load_state_dict(reference.state_dict())
    ours.eval()
    reference.eval()
    extra = () if edge_weight is None else (edge_weight,)
    x_ref = x.clone().requires_grad_(True)
    expected = reference(x_ref, edge_index, *extra)
    upstream = torch.randn_like(expected)
    (expected_grad,) = torch.autograd.grad((expected * upstream).sum(), x_ref)
    for use_sparse in paths:
        ours.use_sparse = use_sparse
        x_ours = x.clone().requires_grad_(True)
        out = ours(x_ours, edge_index, *extra)
        (grad,) = torch.autograd.grad((out * upstream).sum(), x_ours)
        torch.testing.assert_close(out, expected, atol=atol, rtol=0)
        torch.testing.assert_close(grad, expected_grad, atol=atol, rtol=0)
    ours.use_sparse = True


def check_permutation_equivariance(layer: torch.nn.Module, x: torch.Tensor, edge_index: torch.Tensor,
                                   seed: int = 0, atol: float = 1e-5) -> None:
    """layer(P x, P(edge_index)) == P layer(x, edge_index) for a random node permutation P."""
    layer.eval()
    num_nodes = x.size(0)
    perm = torch.randperm(num_nodes, generator=torch.Generator().manual_seed(seed))
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(num_nodes)  # new id of old node
    out = layer(x, edge_index)
    permuted = layer(x[perm], inverse[edge_index])
    torch.testing.assert_close(permuted, out[perm], atol=atol, rtol=1e-5)


#: isolated nodes (5, 6, 7), self-loops (0, 3; two on 3), duplicate edges ((0, 1) three times, (2, 3) twice)
MESSY_EDGES = torch.tensor(_ring(5) + [(0, 0), (3, 3), (3, 3), (0, 1), (0, 1), (2, 3)], dtype=torch.long).t()
MESSY_NODES = 8


def adj_t_of(edge_index: torch.Tensor, num_src: int, num_dst: int | None = None,
             values: torch.Tensor | None = None) -> torch.Tensor:
    """PyG's transposed sparse adjacency (N_dst, N_src), one uncoalesced COO entry per edge."""
    num_dst = num_src if num_dst is None else num_dst
    values = torch.ones(edge_index.size(1), dtype=torch.float64) if values is None else values
    return torch.sparse_coo_tensor(edge_index.flip(0), values, (num_dst, num_src))


def compare_calls(ours: torch.nn.Module, reference: torch.nn.Module, run, x, atol: float = 1e-5,
                  paths=(True, False), ours_run=None) -> None:
    """``run(layer, x)`` of ``ours`` (fast and per-edge paths) equals the reference's, with the gradients
    with respect to every tensor in ``x`` (a tensor or a tuple of tensors/None)."""
    ours.load_state_dict(reference.state_dict())
    ours.eval()
    reference.eval()
    ours_run = run if ours_run is None else ours_run

    def leaves(value):
        items = value if isinstance(value, tuple) else (value,)
        copies = tuple(None if t is None else t.clone().requires_grad_(True) for t in items)
        return (copies if isinstance(value, tuple) else copies[0]), [t for t in copies if t is not None]

    x_ref, ref_leaves = leaves(x)
    expected = run(reference, x_ref)
    upstream = torch.randn_like(expected)
    expected_grads = torch.autograd.grad((expected * upstream).sum(), ref_leaves, allow_unused=True)
    for use_sparse in paths:
        ours.use_sparse = use_sparse
        x_ours, our_leaves = leaves(x)
        out = ours_run(ours, x_ours)
        torch.testing.assert_close(out, expected, atol=atol, rtol=0)
        grads = torch.autograd.grad((out * upstream).sum(), our_leaves, allow_unused=True)
        for grad, expected_grad in zip(grads, expected_grads):
            if expected_grad is None:
                assert grad is None or not grad.any()
            else:
                torch.testing.assert_close(grad, expected_grad, atol=atol, rtol=0)
    ours.use_sparse = True
