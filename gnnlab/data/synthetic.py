r"""Synthetic graphs of any size for scaling experiments: a stochastic-block-model-like generator."""
from __future__ import annotations

import torch
from torch_geometric.data import Data

from gnnlab.data.split import random_split
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int


def synthetic_graph(
    num_nodes: int,
    num_classes: int = 10,
    avg_degree: float = 10.0,
    num_features: int = 64,
    homophily: float = 0.8,
    seed: int = 0,
    *,
    feature_noise: float = 1.0,
    train: float = 0.6,
    val: float = 0.2,
) -> Data:
    r"""A random undirected graph with planted classes, vectorised in torch (1M nodes / 10M edges in seconds).

    The classes cut a random permutation of the nodes into near-equal blocks.
    :math:`\lfloor N \cdot \text{avg\_degree} / 2 \rfloor` node pairs are drawn: the first end uniformly,
    the second from the first end's class with probability ``homophily`` and otherwise from the other
    classes (uniformly among their nodes), as in a stochastic block model with :math:`p_{in} / p_{out}` set
    by ``homophily``. Each pair is stored in both directions;
    self-loops and repeated pairs are dropped, so the mean degree is slightly below ``avg_degree`` and the
    fraction of edges joining two nodes of the same class (edge homophily) is about ``homophily``.

    Features are class-dependent Gaussians: :math:`x_i = \mu_{y_i} + \sigma \varepsilon_i`,
    :math:`\varepsilon_i \sim \mathcal{N}(0, I)`, with random class centres :math:`\mu_c` of unit norm and
    :math:`\sigma =` ``feature_noise``. With the defaults, features alone put about a third of the nodes
    nearest their own class centre, and the mean over a node's neighbours about three quarters: the
    graph is what makes the task solvable.

    Args:
        num_nodes: :math:`N` (at least 2).
        num_classes: number of classes (at least 2).
        avg_degree: the target mean number of neighbours per node.
        num_features: feature width.
        homophily: probability that a drawn pair stays within a class, in ``[0, 1]``.
        seed: the same seed gives the same graph.
        feature_noise: standard deviation of the feature noise per coordinate (the centres have norm 1).
        train, val: fractions of the stratified random split (the rest is the test set): the notes' 60/20/20.

    Returns:
        A PyG ``Data`` with ``x`` ``(N, num_features)`` float32, ``edge_index`` ``(2, E)`` (sorted by source,
        both directions of each pair), ``y`` ``(N,)`` and ``train_mask``/``val_mask``/``test_mask``.

    Example::

        >>> from gnnlab.data import synthetic_graph
        >>> data = synthetic_graph(1000, num_classes=4, avg_degree=6, num_features=16, seed=0)
        >>> data.x.shape, data.x.dtype, data.y.bincount()
        (torch.Size([1000, 16]), torch.float32, tensor([250, 250, 250, 250]))
        >>> data.is_undirected(), data.has_self_loops()
        (True, False)
        >>> int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())
        (600, 200, 200)
    """
    who = "synthetic_graph"
    check_positive_int(who, "num_nodes", num_nodes, minimum=2)
    check_positive_int(who, "num_classes", num_classes, minimum=2)
    check_number(who, "avg_degree", avg_degree, low=0.0)
    check_positive_int(who, "num_features", num_features)
    check_number(who, "homophily", homophily, low=0.0, high=1.0)
    check_number(who, "feature_noise", feature_noise, low=0.0)
    check_positive_int(who, "seed", seed, minimum=0)
    if num_classes > num_nodes:
        raise ValueError(f"'{who}' expected 'num_classes' <= 'num_nodes' (got {num_classes} > {num_nodes})")
    generator = make_generator(seed)
    y, by_class, class_start = _planted_classes(num_nodes, num_classes, generator)
    edge_index = _draw_edges(y, by_class, class_start, int(num_nodes * avg_degree / 2), homophily, generator)
    centres = torch.randn(num_classes, num_features, generator=generator)
    centres /= centres.norm(dim=1, keepdim=True).clamp_min(1e-12)
    x = torch.randn(num_nodes, num_features, generator=generator)
    x.mul_(feature_noise).add_(centres[y])

    data = Data(x=x, edge_index=edge_index, y=y)
    data.train_mask, data.val_mask, data.test_mask = random_split(
        y, train=train, val=val, test=1.0 - train - val, seed=seed)
    return data


def _planted_classes(num_nodes: int, num_classes: int,
                     generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Labels ``y`` from a random permutation cut into near-equal blocks (every class has about N / C nodes),
    the nodes ordered by class (``by_class``) and where each class starts in that order (``class_start``)."""
    by_class = torch.randperm(num_nodes, generator=generator)
    class_start = torch.arange(num_classes + 1) * num_nodes // num_classes
    y = torch.empty(num_nodes, dtype=torch.long)
    y[by_class] = torch.repeat_interleave(torch.arange(num_classes), class_start.diff())
    return y, by_class, class_start


def _draw_edges(y: torch.Tensor, by_class: torch.Tensor, class_start: torch.Tensor, num_pairs: int,
                homophily: float, generator: torch.Generator) -> torch.Tensor:
    """``num_pairs`` pairs, each end drawn as :func:`synthetic_graph` says, as a sorted ``(2, E)`` edge index of
    both directions without self-loops or repeated pairs."""
    num_nodes, num_classes = y.numel(), class_start.numel() - 1
    first = torch.randint(num_nodes, (num_pairs,), generator=generator)
    first_class = y[first]
    same = torch.rand(num_pairs, generator=generator) < homophily
    # the second end's class: its own, or one of the other C - 1 classes uniformly
    shift = torch.randint(1, num_classes, (num_pairs,), generator=generator)
    second_class = torch.where(same, first_class, (first_class + shift) % num_classes)
    size = class_start.diff()[second_class]
    offset = (torch.rand(num_pairs, generator=generator, dtype=torch.float64) * size).long().minimum(size - 1)
    second = by_class[class_start[second_class] + offset]
    del first_class, same, shift, second_class, size, offset

    keep = first != second
    source = torch.cat([first[keep], second[keep]])
    target = torch.cat([second[keep], first[keep]])
    del first, second, keep
    key = torch.unique(source * num_nodes + target)  # sorted, without repeated pairs
    del source, target
    return torch.stack([key // num_nodes, key % num_nodes])
