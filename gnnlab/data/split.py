"""The notes' train/validation/test split (section 3.3: 60/20/20)."""
from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_positive_int, describe, fail, is_integer


def random_split(
    data: Data | Tensor | int,
    train: float = 0.6,
    val: float = 0.2,
    test: float = 0.2,
    seed: int = 0,
    stratify: bool = True,
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Split the nodes into disjoint train/validation/test boolean masks covering every node.

    With ``stratify=True`` each class is split on its own in the given proportions, so every split keeps
    the class proportions of the whole graph. Sizes are rounded so that the three counts sum to the
    number of nodes, each within one node of its fraction per class (largest remainders get the spare
    nodes, so the totals are within one node of ``fraction * N`` as well).

    Args:
        data: a ``Data`` with ``y`` (for stratification) or ``num_nodes``, a label tensor, or a node count.
        train, val, test: positive fractions summing to 1.
        seed: the same seed gives the same split.
        stratify: split each class separately (needs labels).

    Returns:
        ``(train_mask, val_mask, test_mask)``, each a ``bool`` tensor of shape ``(N,)``.

    Example::

        >>> from gnnlab.data import karate_club, random_split
        >>> data = karate_club()  # 17 nodes in each class
        >>> train, val, test = random_split(data, seed=0)
        >>> int(train.sum()), int(val.sum()), int(test.sum())
        (20, 7, 7)
        >>> bool((train | val | test).all()), bool((train & test).any())
        (True, False)
        >>> [int(mask.sum()) for mask in random_split(10, 0.8, 0.1, 0.1, stratify=False)]
        [8, 1, 1]
    """
    who = "random_split"
    fractions = {"train": train, "val": val, "test": test}
    for key, value in fractions.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
            fail(who, f"'{key}' to be a fraction in (0, 1)", describe(value))
    if abs(train + val + test - 1.0) > 1e-6:
        fail(who, "'train', 'val' and 'test' to sum to 1 (e.g. 0.6, 0.2, 0.2)", f"{train + val + test:g}")
    check_positive_int(who, "seed", seed, minimum=0)

    labels: Tensor | None
    if isinstance(data, Tensor):
        labels = data
        num_nodes = data.numel()
    elif is_integer(data):
        labels, num_nodes = None, data
    elif isinstance(data, Data):
        labels = getattr(data, "y", None)
        num_nodes = data.num_nodes
    else:
        fail(who, "'data' to be a torch_geometric Data, a label tensor or a node count", type(data).__name__,
             TypeError)
    check_positive_int(who, "data (number of nodes)", num_nodes, minimum=3)
    if stratify and labels is None:
        fail(who, "labels ('data.y') when stratify=True; pass stratify=False to split without them", "none")

    generator = make_generator(seed)
    weights = torch.tensor([train, val, test], dtype=torch.float64)
    groups = [torch.arange(num_nodes)]
    if stratify:
        flat = labels.view(-1).cpu()
        groups = [(flat == c).nonzero().view(-1) for c in torch.unique(flat)]

    counts = _apportion(weights, torch.tensor([len(g) for g in groups]))
    masks = torch.zeros(3, num_nodes, dtype=torch.bool)
    for group, group_counts in zip(groups, counts):
        shuffled = group[torch.randperm(len(group), generator=generator)]
        start = 0
        for part, size in enumerate(group_counts.tolist()):
            masks[part, shuffled[start:start + size]] = True
            start += size
    device = labels.device if labels is not None else torch.device("cpu")
    return masks[0].to(device), masks[1].to(device), masks[2].to(device)


def _apportion(weights: Tensor, sizes: Tensor) -> Tensor:
    """Integer counts ``(groups, parts)``: each row sums to its size and each cell is within one of
    ``weights * size``; the column totals follow the largest-remainder rounding of ``weights * sizes.sum()``."""
    ideal = weights.unsqueeze(0) * sizes.unsqueeze(1).to(weights.dtype)
    counts = ideal.floor().long()
    total_ideal = weights * sizes.sum()
    totals = total_ideal.floor().long()
    leftover = int(sizes.sum() - totals.sum())
    totals[torch.argsort(total_ideal - totals, descending=True, stable=True)[:leftover]] += 1

    # Give each row its spare units, largest remainders first (each cell rounds up at most once) ...
    row_spare = sizes - counts.sum(1)
    for flat_index in torch.argsort((ideal - counts).flatten(), descending=True, stable=True).tolist():
        group, part = divmod(flat_index, weights.numel())
        if row_spare[group] > 0:
            counts[group, part] += 1
            row_spare[group] -= 1
    # ... then move rounded-up units between columns until every column meets its total. A move along
    # a path of columns o -> m -> ... -> u (found by breadth-first search) keeps every row sum and keeps
    # every cell at its floor or floor + 1; such a path exists by the matrix rounding theorem.
    rounded_up = counts > ideal.floor().long()
    can_round_up = ideal > ideal.floor()  # a cell whose ideal count is whole must keep it
    while True:
        excess = counts.sum(0) - totals
        over = (excess > 0).nonzero().view(-1)
        if over.numel() == 0:
            return counts
        path = _move_path(rounded_up, can_round_up, int(over[0]), excess)
        for group, source, target in path:
            counts[group, source] -= 1
            counts[group, target] += 1
            rounded_up[group, source] = False
            rounded_up[group, target] = True


def _move_path(rounded_up: Tensor, can_round_up: Tensor, start: int, excess: Tensor) -> list[tuple[int, int, int]]:
    """Shortest chain of single-unit moves from column ``start`` to a column below its total."""
    parts = rounded_up.size(1)
    previous: dict[int, tuple[int, int]] = {start: (-1, -1)}
    frontier = [start]
    while frontier:
        following = []
        for column in frontier:
            for target in range(parts):
                if target in previous:
                    continue
                rows = (rounded_up[:, column] & ~rounded_up[:, target] & can_round_up[:, target]).nonzero().view(-1)
                if rows.numel() == 0:
                    continue
                previous[target] = (column, int(rows[0]))
                if excess[target] < 0:
                    path, node = [], target
                    while previous[node][0] != -1:
                        source, group = previous[node]
                        path.append((group, source, node))
                        node = source
                    return path[::-1]
                following.append(target)
        frontier = following
    raise RuntimeError("no rounding-preserving move found")  # impossible for consistent totals


def _graph_labels(who: str, labels) -> Tensor:
    """The class of every graph as a 1-D CPU tensor, from labels or from a dataset of graphs with ``y``."""
    if not isinstance(labels, Tensor):
        try:
            labels = torch.cat([graph.y.view(-1) for graph in labels])
        except (AttributeError, TypeError, RuntimeError):
            fail(who, "'labels' to be a 1-D tensor of classes or a dataset of graphs with 'y'", describe(labels),
                 TypeError)
    if labels.dim() != 1 or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        fail(who, "'labels' to be a 1-D integer tensor of classes, one per graph", describe(labels))
    return labels.cpu()


def stratified_folds(labels, num_folds: int = 10, seed: int = 0) -> list[tuple[Tensor, Tensor]]:
    r"""Stratified :math:`k`-fold cross-validation splits of a dataset's graphs, as Errica et al. (2020) use.

    The graphs are shuffled (seeded) and each class dealt out to the folds so that every fold has that class's
    share of the graphs to within one graph; each graph is in exactly one test fold. This is scikit-learn's
    ``StratifiedKFold(num_folds, shuffle=True, random_state=seed)``, whose NumPy generator gives the same folds
    on every machine.

    Args:
        labels: the class of each graph, a 1-D integer tensor, or a dataset of graphs with ``y``.
        num_folds: :math:`k`, at least 2 and at most the size of the smallest class.
        seed: the same seed gives the same folds.

    Returns:
        ``num_folds`` pairs ``(train_index, test_index)`` of sorted ``int64`` index tensors.

    Example::

        >>> import torch
        >>> from gnnlab.data import stratified_folds
        >>> labels = torch.tensor([0] * 6 + [1] * 4)
        >>> folds = stratified_folds(labels, num_folds=2, seed=0)
        >>> [(len(train), len(test)) for train, test in folds]
        [(5, 5), (5, 5)]
        >>> [labels[test].tolist().count(1) for _, test in folds]  # two graphs of class 1 in each fold
        [2, 2]
        >>> sorted(torch.cat([test for _, test in folds]).tolist()) == list(range(10))
        True
    """
    from sklearn.model_selection import StratifiedKFold

    who = "stratified_folds"
    labels = _graph_labels(who, labels)
    num_folds = check_positive_int(who, "num_folds", num_folds, minimum=2)
    check_positive_int(who, "seed", seed, minimum=0)
    smallest = int(torch.unique(labels, return_counts=True)[1].min()) if labels.numel() else 0
    if num_folds > smallest:
        fail(who, f"'num_folds' at most the size of the smallest class ({smallest})", num_folds)
    splitter = StratifiedKFold(n_splits=num_folds, shuffle=True, random_state=seed)
    return [(torch.from_numpy(train).long(), torch.from_numpy(test).long())
            for train, test in splitter.split(labels.numpy().reshape(-1, 1), labels.numpy())]


def holdout_split(index: Tensor, labels, fraction: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Split the graphs ``index`` into a training part and a stratified held-out part (``fraction`` of them):
    the inner model-selection split of Errica et al. (2020), 90/10 by default, inside an outer training fold.

    Args:
        index: the graphs to split, a 1-D index tensor into ``labels`` (e.g. an outer fold's training graphs).
        labels: the class of every graph of the dataset (1-D tensor), or the dataset itself.
        fraction: the held-out share, in ``(0, 1)``; each class keeps its proportion to within one graph.
        seed: the same seed gives the same split (scikit-learn's ``train_test_split``, stratified).

    Returns:
        ``(train_index, holdout_index)``: sorted, disjoint, together ``index``.

    Example::

        >>> import torch
        >>> from gnnlab.data import holdout_split, stratified_folds
        >>> labels = torch.tensor([0, 1] * 50)
        >>> train, test = stratified_folds(labels, seed=0)[0]
        >>> inner, holdout = holdout_split(train, labels, seed=0)
        >>> len(inner), len(holdout), labels[holdout].tolist().count(1)
        (81, 9, 4)
        >>> set(holdout.tolist()) & set(test.tolist())
        set()
    """
    from sklearn.model_selection import train_test_split

    who = "holdout_split"
    labels = _graph_labels(who, labels)
    if not isinstance(index, Tensor) or index.dim() != 1 or index.dtype.is_floating_point \
            or index.dtype == torch.bool:
        fail(who, "'index' to be a 1-D integer tensor of graph indices", describe(index))
    index = index.cpu()
    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= labels.numel()):
        fail(who, f"'index' in [0, {labels.numel()})", f"values in [{int(index.min())}, {int(index.max())}]")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        fail(who, "'fraction' in (0, 1)", describe(fraction))
    check_positive_int(who, "seed", seed, minimum=0)
    num_classes = int(torch.unique(labels[index]).numel())
    held = math.ceil(fraction * index.numel())  # scikit-learn's rounding
    if held < num_classes or index.numel() - held < num_classes:
        fail(who, f"'fraction' to hold out at least one graph of each of the {num_classes} classes and keep one of "
             f"each for training ({index.numel()} graphs)", f"{fraction:g}: {held} held out")
    train, held_out = train_test_split(index.numpy(), test_size=fraction, random_state=seed,
                                       stratify=labels[index].numpy())
    return torch.from_numpy(train).long().sort().values, torch.from_numpy(held_out).long().sort().values
