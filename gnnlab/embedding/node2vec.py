"""node2vec (Grover & Leskovec, KDD 2016)."""
from __future__ import annotations

from gnnlab.embedding._estimator import RandomWalkEmbedding


class Node2Vec(RandomWalkEmbedding):
    r"""Node embeddings from second-order biased random walks and skip-gram.

    Like :class:`DeepWalk`, but each step from :math:`v` (having come from :math:`t`) goes to :math:`x` with
    probability proportional to :math:`\alpha_{pq}(t, x)\, w_{vx}`: :math:`1/p` to return to :math:`t`,
    :math:`1` to a node adjacent to :math:`t`, :math:`1/q` further away. Low ``q`` explores outward (DFS-like,
    homophily), low ``p`` stays local (BFS-like, structural roles). The walks are exact
    (:func:`gnnlab.embedding.random_walks`): from per-edge class tables on small unweighted graphs, by
    rejection sampling with the return edge folded out otherwise. ``p = q = 1`` is DeepWalk.

    Args:
        p: return parameter.
        q: in-out parameter.
        (the others as in :class:`DeepWalk`)

    Attributes:
        embedding_: ``(num_nodes, dimensions)`` float32 array.
        num_nodes_: number of nodes seen in ``fit``.
        node_names_: the networkx node of each row (only after fitting a networkx graph).
    """

    _shown_always = ("dimensions", "p", "q")

    def __init__(self, dimensions: int = 128, walk_length: int = 80, walks_per_node: int = 10,
                 window_size: int = 10, negative: int = 5, epochs: int = 1, learning_rate: float = 0.025,
                 batch_size: int = 8192, pairs_per_node: int | None = 1000, p: float = 1.0, q: float = 1.0,
                 seed: int | None = None, device: str = "auto", verbose: bool = True,
                 objective: str = "negative_sampling") -> None:
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
        self.p = p
        self.q = q
        self.seed = seed
        self.device = device
        self.verbose = verbose
