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
        dimensions: embedding size :math:`d`.
        walk_length: nodes per walk.
        walks_per_node: walks started from each node.
        window_size: the largest distance in a walk between a centre and its context.
        negative: negatives per (centre, context) pair, drawn from the unigram distribution to the 3/4
            (negative sampling only).
        epochs: passes of skip-gram training.
        learning_rate: initial SGD step, decayed linearly to :math:`10^{-4}` of it.
        batch_size: pairs per SGD batch.
        pairs_per_node: each epoch trains on exactly ``pairs_per_node * num_nodes`` pairs drawn at random
            (with replacement) from the walks' window pairs: 2.7 M on Cora with the defaults, about an
            eighth of the 22.6 M window pairs its walks hold. ``None`` trains on every window pair once per
            epoch, as gensim's skip-gram does: about ``walks_per_node * walk_length * (window_size + 1)``
            per node (:func:`gnnlab.embedding.skipgram.window_pairs`).
        p: return parameter.
        q: in-out parameter.
        seed: the same seed on the same device gives the same walks and embedding.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
        verbose: progress bars.
        objective: ``"negative_sampling"`` or ``"hierarchical_softmax"`` (a Huffman tree over the nodes'
            frequencies in the walks, :mod:`gnnlab.embedding.hierarchical_softmax`).

    Attributes:
        embedding_: ``(num_nodes, dimensions)`` float32 array.
        num_nodes_: number of nodes seen in ``fit``.
        node_names_: the networkx node of each row (only after fitting a networkx graph).

    Example::

        >>> import networkx as nx
        >>> from gnnlab.embedding import Node2Vec
        >>> model = Node2Vec(dimensions=8, walk_length=10, walks_per_node=2, pairs_per_node=50, p=0.5, q=2.0,
        ...                  seed=0, device="cpu", verbose=False)
        >>> model.fit(nx.karate_club_graph())
        Node2Vec(device='cpu', dimensions=8, p=0.5, pairs_per_node=50, q=2.0, seed=0, verbose=False,
                 walk_length=10, walks_per_node=2)
        >>> model.embedding_.shape, model.node_names_[:3]
        ((34, 8), [0, 1, 2])
    """

    _shown_always = ("dimensions", "p", "q")

    def __init__(self, dimensions: int = 128, walk_length: int = 80, walks_per_node: int = 10,
                 window_size: int = 10, negative: int = 5, epochs: int = 1, learning_rate: float = 0.025,
                 batch_size: int = 8192, pairs_per_node: int | None = 1000, p: float = 1.0, q: float = 1.0,
                 seed: int | None = None, device: str = "auto", verbose: bool = True,
                 objective: str = "negative_sampling") -> None:
        """See :class:`Node2Vec`; the arguments besides ``p`` and ``q`` are DeepWalk's."""
        super().__init__(dimensions=dimensions, walk_length=walk_length, walks_per_node=walks_per_node,
                         window_size=window_size, negative=negative, epochs=epochs, learning_rate=learning_rate,
                         batch_size=batch_size, pairs_per_node=pairs_per_node, seed=seed, device=device,
                         verbose=verbose, objective=objective)
        self.p = p
        self.q = q
