"""The link-prediction split of Kipf & Welling's "Variational Graph Auto-Encoders" (2016)."""
from __future__ import annotations

import copy
import math
import numbers

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlab.utils.negative_sampling import sample_non_edge_keys, sorted_unique
from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_edge_index, check_positive_int, describe, fail


def link_split(data: Data, val: float = 0.05, test: float = 0.10, seed: int = 0) -> tuple[Data, Data, Data]:
    r"""Hide ``val`` and ``test`` of the undirected edges for link prediction (the VGAE protocol).

    The undirected edges (self-loops and duplicates dropped) are shuffled; the first
    :math:`\lfloor \text{test} \cdot E \rfloor` are test positives, the next
    :math:`\lfloor \text{val} \cdot E \rfloor` validation positives, and the rest, in both directions, form
    the training graph: hidden edges are absent from it in either direction. Validation and test each get
    as many negatives, drawn uniformly (:func:`~gnnlab.utils.negative_sampling`) among the pairs that are
    not an edge of the *full* graph and not a self-loop, without repeats, and disjoint between the two.

    As in the paper's code, validation and test are scored on embeddings of the training graph, so all
    three returned objects carry the training graph as ``edge_index`` (PyG's ``RandomLinkSplit`` adds the
    validation edges to the test graph instead).

    Args:
        data: an undirected graph (every edge stored in both directions, as PyG's Planetoid has it).
        val: fraction of undirected edges for validation, in :math:`[0, 1)`.
        test: fraction for testing, in :math:`(0, 1)`, with ``val + test < 1``.
        seed: the same seed gives the same split (and the same negatives).

    Returns:
        ``(train, val, test)``: shallow copies of ``data`` (``x``, ``y`` and other attributes shared) with
        ``edge_index`` the training graph (both directions). ``train.edge_label_index`` holds the training
        edges once each (``row < col``) and ``train.edge_label`` ones (training negatives are drawn by the
        loss every epoch); ``val``/``test`` hold ``edge_label_index`` ``(2, 2k)``, the :math:`k` positives
        then the :math:`k` negatives, and ``edge_label`` (1. for an edge, 0. for a non-edge), as PyG's.

    Example::

        >>> from gnnlab.data import link_split, load_planetoid
        >>> train, val, test = link_split(load_planetoid("cora"), seed=0)
        >>> val.edge_label_index.shape, test.edge_label_index.shape
        (torch.Size([2, 526]), torch.Size([2, 1054]))
        >>> train.edge_index.shape, train.edge_label_index.shape  # 4488 undirected training edges
        (torch.Size([2, 8976]), torch.Size([2, 4488]))
        >>> val.edge_label.sum().item(), val.edge_label.numel()  # 263 positives, then 263 negatives
        (263.0, 526)
    """
    who = "link_split"
    _check_arguments(who, data, val, test, seed)
    num_nodes = data.num_nodes
    keys = _undirected_edge_keys(who, data.edge_index, num_nodes)

    num_edges = keys.numel()
    num_test, num_val = math.floor(test * num_edges), math.floor(val * num_edges)
    if num_test < 1 or (val > 0 and num_val < 1) or num_edges - num_test - num_val < 1:
        fail(who, f"'data' with enough undirected edges for val={val} and test={test} to each hide at least one "
             "and leave at least one to train on", f"{num_edges} undirected edges")
    num_pairs = num_nodes * (num_nodes - 1) // 2
    if num_test + num_val > num_pairs - num_edges:
        fail(who, f"'data' with at least {num_test + num_val} non-edges for the validation and test negatives "
             "(lower 'val' or 'test')", f"{num_pairs - num_edges} non-edges ({num_nodes} nodes, {num_edges} edges)")
    generator = make_generator(seed, keys.device)
    negatives = sample_non_edge_keys(keys, num_nodes, num_test + num_val, generator)
    keys = keys.index_select(0, torch.randperm(num_edges, generator=generator, device=keys.device))
    edges = torch.stack([keys // num_nodes, keys % num_nodes])
    negatives = torch.stack([negatives // num_nodes, negatives % num_nodes])
    test_pos, val_pos = edges[:, :num_test], edges[:, num_test:num_test + num_val]
    train_pos = edges[:, num_test + num_val:]
    test_neg, val_neg = negatives[:, :num_test], negatives[:, num_test:]

    train_graph = torch.cat([train_pos, train_pos.flip(0)], dim=1)
    out = []
    for positives, negatives_ in ((train_pos, None), (val_pos, val_neg), (test_pos, test_neg)):
        part = copy.copy(data)
        part.edge_index = train_graph
        for key in ("edge_weight", "edge_attr"):  # per-edge attributes no longer line up with the edges
            if key in part:
                del part[key]
        labels = positives if negatives_ is None else torch.cat([positives, negatives_], dim=1)
        part.edge_label_index = labels
        part.edge_label = torch.zeros(labels.size(1), device=labels.device)
        part.edge_label[:positives.size(1)] = 1.0
        out.append(part)
    return out[0], out[1], out[2]


def _check_arguments(who: str, data: Data, val: float, test: float, seed: int) -> None:
    """The fractions, the seed and the graph of :func:`link_split`, or an error naming the argument."""
    if not isinstance(data, Data):
        fail(who, "'data' to be a torch_geometric.data.Data", type(data).__name__, TypeError)
    for name, value, low_open in (("val", val, False), ("test", test, True)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                (0 < value if low_open else 0 <= value) and value < 1):
            fail(who, f"'{name}' to be a fraction in {'(0' if low_open else '[0'}, 1)", describe(value))
    if val + test >= 1:
        fail(who, "'val' + 'test' below 1, so that some edges are left to train on", f"{val} + {test} = {val + test:g}")
    check_positive_int(who, "seed", seed, minimum=0)
    num_nodes = data.num_nodes
    edge_index = getattr(data, "edge_index", None)
    if edge_index is None:
        fail(who, "'data' with an 'edge_index'", "a Data without one")
    check_edge_index(who, edge_index, num_nodes)


def _undirected_edge_keys(who: str, edge_index: Tensor, num_nodes: int) -> Tensor:
    """The sorted distinct keys ``row * N + col`` (``row < col``) of the undirected edges, self-loops dropped;
    ``ValueError`` when some edge is stored in one direction only."""
    row, col = edge_index[0].long(), edge_index[1].long()
    upper, lower = row < col, row > col
    key = row * num_nodes + col
    forward = sorted_unique(key[upper])  # one of the two comes sorted from PyG
    backward = sorted_unique((col * num_nodes + row)[lower])
    if not torch.equal(forward, backward):
        missing = int((~torch.isin(forward, backward)).sum() + (~torch.isin(backward, forward)).sum())
        fail(who, "'data' to be an undirected graph with every edge stored in both directions (the protocol "
             "hides an edge in both; torch_geometric.utils.to_undirected makes it so)",
             f"{missing} of {forward.numel() + backward.numel()} directed edges without their reverse")
    return forward
