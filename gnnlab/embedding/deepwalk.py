"""DeepWalk (Perozzi, Al-Rfou & Skiena, KDD 2014)."""
from __future__ import annotations

from gnnlab.embedding._estimator import RandomWalkEmbedding


class DeepWalk(RandomWalkEmbedding):
    r"""Node embeddings from uniform random walks and skip-gram.

    ``walks_per_node`` walks of ``walk_length`` nodes start from every node, each step going to a neighbour
    chosen uniformly (in proportion to ``edge_weight`` on weighted graphs). The walks are sentences; a
    skip-gram with negative sampling learns vectors :math:`u_v` such that :math:`\sigma(u_c^\top v_o)` is high
    for nodes :math:`c, o` within ``window_size`` steps of each other
    (:func:`gnnlab.embedding.skipgram.train_skipgram`). The paper trained with hierarchical softmax
    (``objective="hierarchical_softmax"``); the default is negative sampling, as in node2vec and most
    reimplementations (faster, and as good for node classification; for link prediction scored by the inner
    product, hierarchical softmax reproduces the published DeepWalk figures and negative sampling does not).

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

        >>> from gnnlab.data import karate_club
        >>> from gnnlab.embedding import DeepWalk
        >>> model = DeepWalk(dimensions=8, walk_length=10, walks_per_node=2, pairs_per_node=50, seed=0,
        ...                  device="cpu", verbose=False)
        >>> model.fit(karate_club())
        DeepWalk(device='cpu', dimensions=8, pairs_per_node=50, seed=0, verbose=False, walk_length=10,
                 walks_per_node=2)
        >>> model.embedding_.shape, model.embedding_.dtype, model.num_nodes_
        ((34, 8), dtype('float32'), 34)
        >>> model.transform([0, 33]).shape
        (2, 8)
    """
