"""The notes' train/validation/test split (section 3.3: 60/20/20)."""
from __future__ import annotations

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
