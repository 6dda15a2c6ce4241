"""Uniform sampling of non-edges (negative pairs) for link prediction, in plain vectorised PyTorch."""
from __future__ import annotations

import math

import torch
from torch import Tensor

from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_edge_index, check_positive_int, describe, fail

#: below this fraction of acceptable candidates, or when more than this share of all non-edges is wanted,
#: the non-edges are listed instead of drawn by rejection (the graph is then dense or the request large,
#: and listing costs about as much as the answer)
_LIST_BELOW_ACCEPTANCE = 0.1
_LIST_ABOVE_SHARE = 0.3


def negative_sampling(edge_index: Tensor, num_nodes: int, num_samples: int | None = None,
                      seed: int | torch.Generator | None = None, undirected: bool = True,
                      exclude: Tensor | None = None) -> Tensor:
    r"""``num_samples`` distinct non-edges drawn uniformly at random.

    A pair :math:`(i, j)` can be drawn when :math:`i \ne j` and it is not an edge of ``edge_index`` (nor of
    ``exclude``). With ``undirected=True`` (the default, for undirected graphs stored with both directions
    as in PyG) pairs are unordered: :math:`(i, j)` is excluded when either direction is an edge, no pair is
    drawn in both directions, and every pair comes out as ``row < col``. With ``undirected=False``, ordered
    pairs :math:`(i, j)` not in ``edge_index`` are drawn.

    Every subset of ``num_samples`` non-edges is equally likely: candidates are drawn uniformly over all
    pairs in vectorised batches, self-loops, edges and repeats are rejected (sorted keys and
    ``torch.searchsorted``), and a uniform subset of the distinct survivors is kept. When the acceptable
    pairs are scarce (a dense graph) or most of them are wanted, they are listed and a random subset taken,
    so the time stays bounded by the size of the graph and the answer.

    Args:
        edge_index: ``(2, E)`` edges (duplicates and self-loops allowed; they exclude nothing more).
        num_nodes: number of nodes :math:`N`.
        num_samples: pairs to draw; default one per edge of ``edge_index`` (after removing duplicates, one
            per undirected edge when ``undirected=True``).
        seed: an integer seed or a ``torch.Generator`` (on ``edge_index``'s device); ``None`` draws a fresh seed.
        undirected: sample unordered pairs of an undirected graph (see above).
        exclude: ``(2, K)`` further pairs that must not be drawn (e.g. negatives already used elsewhere).

    Returns:
        ``(2, num_samples)`` long tensor on ``edge_index``'s device.

    Raises:
        ValueError: naming ``num_samples`` when the graph has fewer non-edges than asked for.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.utils import negative_sampling, to_undirected
        >>> cycle = to_undirected(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]))  # 0 - 1 - 2 - 3 - 0
        >>> negatives = negative_sampling(cycle, num_nodes=4, num_samples=2, seed=0)
        >>> sorted(map(tuple, negatives.t().tolist()))  # the cycle's only two non-edges
        [(0, 2), (1, 3)]
        >>> data = karate_club()  # 78 undirected edges
        >>> negatives = negative_sampling(data.edge_index, data.num_nodes, seed=0)
        >>> negatives.shape, bool((negatives[0] < negatives[1]).all())
        (torch.Size([2, 78]), True)
    """
    who = "negative_sampling"
    check_positive_int(who, "num_nodes", num_nodes)
    check_edge_index(who, edge_index, num_nodes)
    if exclude is not None:
        check_edge_index(who, exclude, num_nodes, name="exclude")
    if not isinstance(undirected, bool):
        fail(who, "'undirected' to be a bool", describe(undirected), TypeError)
    device = edge_index.device
    edges = edge_index if exclude is None else torch.cat([edge_index, exclude.to(device)], dim=1)
    forbidden = sorted_unique(_keys(edges[:, edges[0] != edges[1]], num_nodes, undirected))
    if num_samples is None:
        num_samples = int(sorted_unique(_keys(edge_index[:, edge_index[0] != edge_index[1]], num_nodes,
                                             undirected)).numel())
    check_positive_int(who, "num_samples", num_samples, minimum=0)
    pairs = num_nodes * (num_nodes - 1) // (2 if undirected else 1)
    if num_samples > pairs - forbidden.numel():
        kind = "unordered pairs" if undirected else "ordered pairs"
        fail(who, f"'num_samples' at most the {pairs - forbidden.numel()} non-edges ({kind} that are neither an "
             f"edge nor a self-loop) of this graph with {num_nodes} nodes", num_samples)
    generator = seed if isinstance(seed, torch.Generator) else make_generator(seed, device)
    keys = sample_non_edge_keys(forbidden, num_nodes, num_samples, generator, undirected)
    return torch.stack([keys // num_nodes, keys % num_nodes])


def sample_non_edge_keys(forbidden: Tensor, num_nodes: int, num_samples: int, generator: torch.Generator,
                         undirected: bool = True) -> Tensor:
    """The sampler behind :func:`negative_sampling`, on pair keys ``row * N + col``: ``forbidden`` must be
    sorted, distinct and free of self-loops (``row < col`` when ``undirected``), and ``num_samples`` at most
    the pairs left. For callers that already hold those keys (:func:`~gnnlab.data.link_split`)."""
    pairs = num_nodes * (num_nodes - 1) // (2 if undirected else 1)
    available = pairs - forbidden.numel()
    if num_samples == 0:
        return forbidden.new_zeros(0)
    if available < _LIST_BELOW_ACCEPTANCE * pairs or num_samples > _LIST_ABOVE_SHARE * available:
        return _listed(forbidden, num_nodes, undirected, num_samples, generator)
    return _rejection(forbidden, num_nodes, undirected, num_samples, available / pairs, generator)


def _keys(edge_index: Tensor, num_nodes: int, undirected: bool) -> Tensor:
    """One integer per pair: ``row * N + col``, with ``row < col`` for unordered pairs."""
    row, col = edge_index[0].long(), edge_index[1].long()
    if undirected:
        row, col = torch.minimum(row, col), torch.maximum(row, col)
    return row * num_nodes + col


def sort_keys(keys: Tensor) -> Tensor:
    """``keys`` (1-D, integer) sorted; a sorted input (PyG's coalesced graphs) is returned as it is."""
    if keys.numel() < 2 or bool((keys[1:] >= keys[:-1]).all()):
        return keys
    return torch.sort(keys).values


def sorted_unique(keys: Tensor) -> Tensor:
    """The distinct values of a 1-D integer tensor, sorted (``torch.unique``, faster)."""
    keys = sort_keys(keys)
    if keys.numel() < 2:
        return keys
    keep = torch.ones_like(keys, dtype=torch.bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def _draw(count: int, num_nodes: int, undirected: bool, generator: torch.Generator, device) -> Tensor:
    """Keys of ``count`` uniform ordered pairs without the self-loops, canonicalised for unordered ones (each pair
    :math:`\\{i, j\\}`, :math:`i \\ne j`, then has probability :math:`2 / N^2`: still uniform)."""
    ends = torch.randint(num_nodes, (2, count), generator=generator, device=device)
    return _keys(ends[:, ends[0] != ends[1]], num_nodes, undirected)


def _rejection(forbidden: Tensor, num_nodes: int, undirected: bool, num_samples: int, acceptance: float,
               generator: torch.Generator) -> Tensor:
    device = forbidden.device
    found = forbidden.new_zeros(0)
    while found.numel() < num_samples:
        missing = num_samples - found.numel()
        # enough candidates that one round nearly always suffices (rejected: self-loops, edges, repeats)
        count = int(math.ceil(1.2 * missing / acceptance)) + 64
        keys = _draw(count, num_nodes, undirected, generator, device)
        if forbidden.numel():
            position = torch.searchsorted(forbidden, keys).clamp_(max=forbidden.numel() - 1)
            keys = keys[forbidden[position] != keys]
        found = sorted_unique(torch.cat([found, keys]))
    # the distinct survivors are a uniform random set; a uniform subset of it is a uniform sample
    return found[torch.randperm(found.numel(), generator=generator, device=device)[:num_samples]]


def _listed(forbidden: Tensor, num_nodes: int, undirected: bool, num_samples: int,
            generator: torch.Generator) -> Tensor:
    device = forbidden.device
    allowed = torch.ones(num_nodes, num_nodes, dtype=torch.bool, device=device)
    allowed = torch.triu(allowed, diagonal=1) if undirected else allowed.fill_diagonal_(False)
    allowed.view(-1)[forbidden] = False
    keys = allowed.view(-1).nonzero().view(-1)
    return keys[torch.randperm(keys.numel(), generator=generator, device=device)[:num_samples]]
