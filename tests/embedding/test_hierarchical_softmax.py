from __future__ import annotations

import heapq

import pytest
import torch

from gnnlab.embedding import hierarchical_softmax, random_walks, train_skipgram
from gnnlab.embedding.hierarchical_softmax import HuffmanTree, hierarchical_softmax_step
from tests.embedding.test_skipgram import two_cliques


def _huffman_cost(counts: list[int]) -> int:
    """Sum of count x code length over an optimal prefix code: the sum of every merge's weight (heap)."""
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


def _root_first(tree: HuffmanTree, node: int) -> tuple[list[int], str]:
    """Node's inner nodes and code from the root down."""
    length = int(tree.lengths[node])
    points = tree.points[node, :length].tolist()[::-1]
    code = "".join(str(int(bit)) for bit in tree.codes[node, :length].tolist()[::-1])
    return points, code


@pytest.mark.parametrize("num, seed", [(2, 0), (3, 1), (7, 2), (50, 3), (257, 4), (300, 5)])
def test_huffman_tree_is_an_optimal_prefix_code(num, seed):
    generator = torch.Generator().manual_seed(seed)
    counts = torch.randint(0, 40, (num,), generator=generator) ** 2  # skewed, with ties and zeros
    tree = HuffmanTree.from_counts(counts.double())
    lengths = tree.lengths.tolist()
    assert tree.points.shape == tree.codes.shape == (num, max(lengths))
    # optimal: the expected code length of Huffman's algorithm, computed independently with a heap
    assert sum(c * n for c, n in zip(counts.tolist(), lengths)) == _huffman_cost(counts.tolist())
    # a full binary tree: Kraft's sum is exactly one, the codes are distinct and none is a prefix of another
    assert sum(2.0 ** -n for n in lengths) == 1.0
    paths = [_root_first(tree, node) for node in range(num)]
    codes = sorted(code for _, code in paths)
    assert len(set(codes)) == num
    assert all(not b.startswith(a) for a, b in zip(codes, codes[1:]))
    # the inner nodes are 0..N-2, the root (N - 2, made last) first on every path, and one code prefix
    # is one inner node: the same prefix always leads to the same node, different prefixes to different ones
    assert all(points[0] == num - 2 for points, _ in paths)
    prefix_of = {}
    for points, code in paths:
        for depth, inner in enumerate(points):
            assert prefix_of.setdefault(code[:depth], inner) == inner
    assert sorted(prefix_of.values()) == list(range(num - 1))
    # padding is zero
    padding = torch.arange(tree.depth) >= tree.lengths.unsqueeze(1)
    assert (tree.points[padding] == 0).all() and (tree.codes[padding] == 0).all()


def test_frequent_nodes_get_short_codes_and_one_node_none():
    tree = HuffmanTree.from_counts(torch.tensor([5.0, 1.0, 1.0, 2.0, 10.0]))
    assert tree.lengths.tolist() == [2, 4, 4, 3, 1]
    single = HuffmanTree.from_counts(torch.tensor([3.0]))
    assert single.depth == 0 and single.lengths.tolist() == [0]


def test_path_probabilities_sum_to_one():
    """P(o | c) = prod_j sigma((1 - 2 b_j) u_c . theta_{n_j}) is a distribution over the nodes for any u."""
    generator = torch.Generator().manual_seed(0)
    tree = HuffmanTree.from_counts(torch.rand(37, generator=generator, dtype=torch.float64))
    inner = torch.randn(36, 6, generator=generator, dtype=torch.float64)
    u = torch.randn(6, generator=generator, dtype=torch.float64)
    scores = inner[tree.points] @ u  # (N, D)
    on_path = torch.arange(tree.depth) < tree.lengths.unsqueeze(1)
    log_p = (torch.nn.functional.logsigmoid((1 - 2 * tree.codes.double()) * scores) * on_path).sum(1)
    assert float(log_p.exp().sum()) == pytest.approx(1.0, abs=1e-12)


def _shared_counts(tree: HuffmanTree, context: torch.Tensor) -> dict[int, int]:
    counts: dict[int, int] = {}
    for node in context.tolist():
        for inner in tree.points[node, :int(tree.lengths[node])].tolist():
            counts[inner] = counts.get(inner, 0) + 1
    return counts


@pytest.mark.parametrize("shared_steps", [10**9, 3])
def test_step_is_the_gradient_of_the_log_likelihood(monkeypatch, shared_steps):
    """Against autograd in float64: u moves by lr times its gradient of sum log P(o | c) (repeated centres
    summed); an inner node by lr times its gradient, times min(1, S / m) when m > S pairs of the batch share it."""
    monkeypatch.setattr(hierarchical_softmax, "SHARED_STEPS", shared_steps)
    num_nodes, dimensions, lr, size = 11, 4, 0.3, 16
    generator = torch.Generator().manual_seed(1)
    tree = HuffmanTree.from_counts(torch.randint(1, 30, (num_nodes,), generator=generator).double())
    inputs = torch.randn(num_nodes, dimensions, dtype=torch.float64, generator=generator)
    inner = torch.randn(num_nodes - 1, dimensions, dtype=torch.float64, generator=generator)
    centre = torch.randint(0, num_nodes, (size,), generator=generator)
    context = torch.randint(0, num_nodes, (size,), generator=generator)

    u, theta = inputs.clone().requires_grad_(), inner.clone().requires_grad_()
    log_likelihood = torch.zeros((), dtype=torch.float64)
    for c, o in zip(centre.tolist(), context.tolist()):
        for j in range(int(tree.lengths[o])):
            sign = 1.0 - 2.0 * float(tree.codes[o, j])
            log_likelihood = log_likelihood + torch.nn.functional.logsigmoid(sign * (u[c] @ theta[tree.points[o, j]]))
    log_likelihood.backward()
    share = torch.ones(num_nodes - 1, 1, dtype=torch.float64)
    for node, shared in _shared_counts(tree, context).items():
        share[node] = min(1.0, shared_steps / shared)
    assert share.min() < 1 if shared_steps == 3 else share.min() == 1

    hierarchical_softmax_step(inputs, inner, centre, context, tree, lr)
    torch.testing.assert_close(inputs, u.detach() + lr * u.grad)
    torch.testing.assert_close(inner, theta.detach() + lr * share * theta.grad)


@pytest.mark.training
def test_large_batches_stay_finite():
    """Every pair of a batch shares the root: summed plainly, 8192 steps at one stale point overflow."""
    walks = random_walks(two_cliques(), 40, walk_length=40, walks_per_node=50, seed=1)
    vectors, inner = train_skipgram(walks, 40, dimensions=16, window_size=5, batch_size=8192, learning_rate=0.05,
                                    seed=0, objective="hierarchical_softmax")
    assert torch.isfinite(vectors).all() and torch.isfinite(inner).all()


@pytest.mark.parametrize("counts, expected", [
    (torch.tensor([[1.0, 2.0]]), "1-D"), (torch.tensor([]), "non-empty"), ([1.0, 2.0], "tensor"),
    (torch.tensor([1.0, -2.0]), "non-negative"), (torch.tensor([1.0, float("nan")]), "finite"),
])
def test_bad_counts_are_named(counts, expected):
    with pytest.raises((TypeError, ValueError), match="counts") as info:
        HuffmanTree.from_counts(counts)
    assert expected in str(info.value)


def test_mismatched_pairs_are_named():
    tree = HuffmanTree.from_counts(torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="'centre' and 'context'"):
        hierarchical_softmax_step(torch.zeros(3, 2), torch.zeros(2, 2), torch.tensor([0, 1]), torch.tensor([2]),
                                  tree, 0.1)
