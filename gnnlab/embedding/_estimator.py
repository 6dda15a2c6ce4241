"""What DeepWalk and Node2Vec share: input handling, validation, walks + skip-gram, the fitted state."""
from __future__ import annotations

import networkx as nx
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import Tensor
from torch_geometric.data import Data

from gnnlab.data.networkx import from_networkx
from gnnlab.embedding.random_walk import random_walks
from gnnlab.embedding.skipgram import OBJECTIVES, train_skipgram
from gnnlab.utils.device import resolve_device
from gnnlab.utils.seed import NEXT_STREAM, derive_seed
from gnnlab.utils.validation import check_choice, check_edge_index, check_number, check_positive_int, fail


class RandomWalkEmbedding(BaseEstimator):
    """Base of :class:`DeepWalk` and :class:`Node2Vec` (scikit-learn estimator conventions)."""

    _shown_always: tuple[str, ...] = ("dimensions",)
    #: DeepWalk's uniform walks are node2vec's at p = q = 1
    p: float = 1.0
    q: float = 1.0

    def __init__(self, dimensions: int = 128, walk_length: int = 80, walks_per_node: int = 10,
                 window_size: int = 10, negative: int = 5, epochs: int = 1, learning_rate: float = 0.025,
                 batch_size: int = 8192, pairs_per_node: int | None = 1000,
                 seed: int | None = None, device: str = "auto", verbose: bool = True,
                 objective: str = "negative_sampling") -> None:
        """Store the settings (scikit-learn's rule: no logic here; :meth:`fit` checks them). The arguments are
        DeepWalk's; Node2Vec adds ``p`` and ``q``."""
        self.dimensions = dimensions
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.window_size = window_size
        self.negative = negative
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.pairs_per_node = pairs_per_node
        self.objective = objective
        self.seed = seed
        self.device = device
        self.verbose = verbose

    def _graph(self, graph, num_nodes: int | None) -> tuple[Tensor, int, Tensor | None]:
        who = type(self).__name__
        if isinstance(graph, nx.Graph):
            data = from_networkx(graph, weight="weight" if nx.is_weighted(graph) else None)
            edge_index, num_nodes, weight = data.edge_index, data.num_nodes, getattr(data, "edge_weight", None)
            self.node_names_ = data.node_names
        elif isinstance(graph, Data):
            self.__dict__.pop("node_names_", None)  # from an earlier fit on a networkx graph
            edge_index, weight = graph.edge_index, getattr(graph, "edge_weight", None)
            num_nodes = graph.num_nodes if num_nodes is None else num_nodes
        elif isinstance(graph, Tensor):
            self.__dict__.pop("node_names_", None)
            edge_index, weight = graph, None
        else:
            fail(who, "'graph' to be a networkx graph, a torch_geometric Data or an edge_index tensor",
                 type(graph).__name__, TypeError)
        check_edge_index(who, edge_index, num_nodes)
        if num_nodes is None:
            num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
        if num_nodes < 1 or edge_index.size(1) == 0:
            fail(who, "'graph' with at least one node and one edge (an empty graph has no walks)",
                 f"{num_nodes} nodes and {edge_index.size(1)} edges")
        return edge_index, num_nodes, weight

    def _check_params(self) -> None:
        who = type(self).__name__
        for name in ("dimensions", "walks_per_node", "window_size", "negative", "epochs", "batch_size"):
            check_positive_int(who, name, getattr(self, name))
        check_positive_int(who, "walk_length", self.walk_length, minimum=2)
        if self.pairs_per_node is not None:
            check_positive_int(who, "pairs_per_node", self.pairs_per_node)
        check_number(who, "learning_rate", self.learning_rate, low=0.0, low_open=True)
        check_choice(who, "objective", self.objective, OBJECTIVES)
        check_number(who, "p", self.p, low=0.0, low_open=True)
        check_number(who, "q", self.q, low=0.0, low_open=True)
        if self.seed is not None:
            check_positive_int(who, "seed", self.seed, minimum=0)

    def fit(self, graph, y=None, num_nodes: int | None = None):
        """Learn one vector per node from random walks on ``graph``.

        Args:
            graph: a networkx graph (nodes numbered in ``graph.nodes`` order, kept in ``node_names_``),
                a PyG ``Data`` (``edge_index``, ``edge_weight`` if any), or an ``edge_index`` tensor.
            y: ignored (scikit-learn convention).
            num_nodes: the number of nodes for a tensor input (default ``edge_index.max() + 1``).

        Returns:
            ``self``, with ``embedding_`` set.
        """
        self._check_params()
        edge_index, num_nodes, weight = self._graph(graph, num_nodes)
        device = resolve_device(self.device)
        edge_index = edge_index.to(device)
        weight = weight.to(device) if weight is not None else None
        walks = random_walks(edge_index, num_nodes, walk_length=self.walk_length, walks_per_node=self.walks_per_node,
                             p=self.p, q=self.q, edge_weight=weight, seed=self.seed, device=device)
        max_pairs = None if self.pairs_per_node is None else self.pairs_per_node * num_nodes
        inputs, _ = train_skipgram(walks, num_nodes, dimensions=self.dimensions, window_size=self.window_size,
                                   negative=self.negative, epochs=self.epochs, learning_rate=self.learning_rate,
                                   batch_size=self.batch_size, max_pairs=max_pairs, objective=self.objective,
                                   seed=derive_seed(self.seed, NEXT_STREAM), verbose=self.verbose)
        self._embedding = inputs.cpu().numpy().astype(np.float32, copy=False)
        self.num_nodes_ = num_nodes
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_embedding")

    @property
    def embedding_(self) -> np.ndarray:
        """``(num_nodes, dimensions)`` float32 array: row ``i`` is node ``i``'s vector."""
        check_is_fitted(self)
        return self._embedding

    def fit_transform(self, graph, y=None, num_nodes: int | None = None) -> np.ndarray:
        return self.fit(graph, y, num_nodes).embedding_

    def transform(self, nodes=None) -> np.ndarray:
        """The vectors of ``nodes`` (indices), or of every node."""
        embedding = self.embedding_
        return embedding if nodes is None else embedding[np.asarray(nodes)]

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        params = self.get_params(deep=False)
        defaults = type(self)().get_params(deep=False)
        shown = [k for k in params if k in self._shown_always or params[k] != defaults[k]]
        body = ", ".join(f"{k}={params[k]!r}" for k in shown)
        return f"{type(self).__name__}({body})"


