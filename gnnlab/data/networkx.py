"""Small graphs without files: networkx graphs as PyG ``Data``, and Zachary's karate club."""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import networkx as nx
import numpy as np
import torch
from torch_geometric.data import Data

from gnnlab.utils.validation import describe, fail


def _per_node(who: str, argument: str, value, nodes: list[Hashable]) -> np.ndarray:
    """Turn a ``{node: value}`` mapping or an array in node order into an array."""
    if isinstance(value, Mapping):
        absent = [n for n in nodes if n not in value]
        if absent:
            fail(who, f"'{argument}' to give a value for every node", f"none for node {absent[0]!r}")
        return np.asarray([value[n] for n in nodes])
    array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    if array.shape[0] != len(nodes):
        fail(who, f"'{argument}' with one entry per node ({len(nodes)})", f"{array.shape[0]}")
    return array


def from_networkx(
    graph: nx.Graph,
    features: str | Mapping | Sequence | np.ndarray | torch.Tensor | None = None,
    labels: str | Mapping | Sequence | np.ndarray | torch.Tensor | None = None,
    weight: str | None = None,
) -> Data:
    """Convert a networkx graph to a :class:`torch_geometric.data.Data`.

    Nodes are numbered in ``graph.nodes`` order (``data.node_names`` keeps the original names). An
    undirected graph gives both directions of every edge; a directed one keeps its directions.

    Args:
        graph: any networkx graph.
        features: node attribute name, ``{node: vector}``, or an ``(N, F)`` array in node order.
            Without features, ``x`` is the ``(N, N)`` identity (one-hot node ids).
        labels: node attribute name, ``{node: int}``, or a length-``N`` array in node order.
        weight: edge attribute to store as ``edge_weight`` (missing values count as 1).

    Example::

        >>> import networkx as nx
        >>> from gnnlab.data import from_networkx
        >>> graph = nx.Graph()
        >>> graph.add_edge("a", "b", weight=2.0)
        >>> graph.add_edge("b", "c")
        >>> for node, label in zip("abc", (0, 1, 1)):
        ...     graph.nodes[node]["label"] = label
        >>> data = from_networkx(graph, labels="label", weight="weight")
        >>> data
        Data(x=[3, 3], edge_index=[2, 4], num_nodes=3, y=[3], edge_weight=[4], node_names=[3])
        >>> data.edge_index, data.edge_weight
        (tensor([[0, 1, 1, 2],
                 [1, 0, 2, 1]]), tensor([2., 2., 1., 1.]))
        >>> data.node_names, data.y
        (['a', 'b', 'c'], tensor([0, 1, 1]))
    """
    who = "from_networkx"
    if not isinstance(graph, nx.Graph):
        fail(who, "'graph' to be a networkx graph", type(graph).__name__, TypeError)
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    num_nodes = len(nodes)

    sources, targets, weights = [], [], []
    for u, v, attributes in graph.edges(data=True):
        w = float(attributes.get(weight, 1.0)) if weight is not None else 1.0
        sources.append(index[u])
        targets.append(index[v])
        weights.append(w)
        if not graph.is_directed() and u != v:
            sources.append(index[v])
            targets.append(index[u])
            weights.append(w)
    edge_index = torch.tensor([sources, targets], dtype=torch.long).view(2, -1)

    def resolve(argument: str, value):
        if isinstance(value, str):
            absent = [n for n in nodes if value not in graph.nodes[n]]
            if absent:
                fail(who, f"node attribute {value!r} ('{argument}') on every node", f"none on node {absent[0]!r}")
            return np.asarray([graph.nodes[n][value] for n in nodes])
        return _per_node(who, argument, value, nodes)

    if features is None:
        x = torch.eye(num_nodes)
    else:
        array = resolve("features", features)
        x = torch.as_tensor(np.asarray(array, dtype=np.float32))
        if x.dim() == 1:
            x = x.view(-1, 1)
    data = Data(x=x, edge_index=edge_index, num_nodes=num_nodes)
    if labels is not None:
        y = resolve("labels", labels)
        try:
            data.y = torch.as_tensor(np.asarray(y, dtype=np.int64))
        except (TypeError, ValueError):
            fail(who, "'labels' to be integers; map class names to 0..C-1 first", describe(list(y[:3])), TypeError)
    if weight is not None:
        data.edge_weight = torch.tensor(weights, dtype=torch.float32)
    data.node_names = nodes
    return data


def karate_club() -> Data:
    """Zachary's karate club (34 members, 78 friendships) with its two-club split as labels.

    ``y`` is 0 for members who stayed with "Mr. Hi" and 1 for those who joined the "Officer" club;
    ``x`` is the identity. Built from networkx's copy of the graph, so no file is needed.

    Example::

        >>> from gnnlab.data import karate_club
        >>> data = karate_club()
        >>> data
        Data(x=[34, 34], edge_index=[2, 156], num_nodes=34, y=[34])
        >>> data.y.bincount(), data.is_undirected()
        (tensor([17, 17]), True)
    """
    graph = nx.karate_club_graph()
    labels = {n: int(graph.nodes[n]["club"] != "Mr. Hi") for n in graph.nodes}
    data = from_networkx(graph, labels=labels)
    del data.node_names  # 0..33 already
    return data
