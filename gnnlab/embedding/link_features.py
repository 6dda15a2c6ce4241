r"""Link prediction from node embeddings: inner-product scores (the VGAE paper's protocol) or the node2vec
paper's edge features fed to a logistic regression (Grover & Leskovec 2016, Table 1).

For an embedding :math:`f` and a pair :math:`(u, v)` the operators are

=============  =================================
``inner``      :math:`\sigma(f(u)^\top f(v))` (a score, no classifier)
``hadamard``   :math:`f(u) \odot f(v)`
``average``    :math:`(f(u) + f(v)) / 2`
``l1``         :math:`|f(u) - f(v)|`
``l2``         :math:`(f(u) - f(v))^2`
=============  =================================
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from torch_geometric.data import Data

from gnnlab.utils.negative_sampling import negative_sampling
from gnnlab.utils.validation import check_choice, check_edge_index, fail

OPERATORS = ("inner", "hadamard", "average", "l1", "l2")


def edge_features(embedding, edge_index, operator: str) -> np.ndarray:
    """``(K, d)`` features of the pairs ``edge_index`` (``(2, K)``) under a binary ``operator`` (not
    ``"inner"``, which is a score: see :func:`link_scores`).

    Args:
        embedding: ``(N, d)`` array or tensor, or a fitted :class:`~gnnlab.embedding.DeepWalk` /
            :class:`~gnnlab.embedding.Node2Vec`.
        edge_index: ``(2, K)`` node pairs ``(u, v)`` (a tensor, array or nested list of ids in ``[0, N)``).
        operator: ``"hadamard"``, ``"average"``, ``"l1"`` or ``"l2"`` (the table above).

    Returns:
        A ``(K, d)`` float64 array, row :math:`k` the operator applied to the pair's two vectors.

    Example::

        >>> import numpy as np
        >>> from gnnlab.embedding import edge_features
        >>> embedding = np.array([[1., 2.], [3., 4.], [0., 1.]])
        >>> edge_features(embedding, [[0, 1], [1, 2]], "hadamard")
        array([[3., 8.],
               [0., 4.]])
        >>> edge_features(embedding, [[0, 1], [1, 2]], "l1")
        array([[2., 2.],
               [3., 3.]])
    """
    who = "edge_features"
    check_choice(who, "operator", operator, OPERATORS[1:])
    vectors = _as_array(who, embedding)
    pairs = check_edge_index(who, torch.as_tensor(edge_index), vectors.shape[0]).cpu().numpy()
    u, v = vectors[pairs[0]], vectors[pairs[1]]
    if operator == "hadamard":
        return u * v
    if operator == "average":
        return (u + v) / 2
    if operator == "l1":
        return np.abs(u - v)
    return (u - v) ** 2


def link_scores(embedding, train: Data, edge_label_index, operator: str = "inner", seed: int = 0,
                classifier=None) -> np.ndarray:
    """Scores (higher: more likely an edge) of the pairs ``edge_label_index``.

    ``"inner"`` scores :math:`\\sigma(f(u)^\\top f(v))`. The other operators train ``classifier`` (default
    ``LogisticRegression(max_iter=2000)``, cloned) on the features of the training edges
    (``train.edge_label_index``, else ``train.edge_index``) against as many non-edges of the training graph
    drawn with ``seed``, and score by its probability of an edge. Nothing of the held-out pairs is used.

    Args:
        embedding: ``(N, d)`` array or tensor, or a fitted :class:`~gnnlab.embedding.DeepWalk` /
            :class:`~gnnlab.embedding.Node2Vec`, fitted on ``train`` only.
        train: the training graph (``train`` of :func:`~gnnlab.data.link_split`), with ``N`` nodes.
        edge_label_index: ``(2, K)`` the pairs to score.
        operator: ``"inner"`` (no classifier), ``"hadamard"``, ``"average"``, ``"l1"`` or ``"l2"``.
        seed: seed of the training non-edges (not used by ``"inner"``).
        classifier: a scikit-learn classifier with ``predict_proba`` (cloned before fitting); default
            ``LogisticRegression(max_iter=2000)`` (not used by ``"inner"``).

    Returns:
        A ``(K,)`` float64 array of scores in :math:`[0, 1]`.

    Example::

        >>> from gnnlab.data import karate_club, link_split
        >>> from gnnlab.embedding import DeepWalk, link_scores
        >>> train, val, test = link_split(karate_club(), seed=0)
        >>> model = DeepWalk(dimensions=8, walk_length=10, walks_per_node=2, pairs_per_node=50, seed=0,
        ...                  device="cpu", verbose=False).fit(train)
        >>> scores = link_scores(model, train, test.edge_label_index)
        >>> scores.shape, scores.dtype, bool(((scores >= 0) & (scores <= 1)).all())
        ((14,), dtype('float64'), True)
        >>> link_scores(model, train, test.edge_label_index, operator="hadamard").shape
        (14,)
    """
    who = "link_scores"
    check_choice(who, "operator", operator, OPERATORS)
    vectors = _as_array(who, embedding)
    if not isinstance(train, Data):
        fail(who, "'train' to be the training graph (a torch_geometric Data)", type(train).__name__, TypeError)
    if vectors.shape[0] != train.num_nodes:
        fail(who, f"'embedding' with one row per node of 'train' ({train.num_nodes})", vectors.shape)
    pairs = check_edge_index(who, torch.as_tensor(edge_label_index), train.num_nodes,
                             name="edge_label_index").cpu().numpy()
    if operator == "inner":
        logits = np.einsum("ij,ij->i", vectors[pairs[0]], vectors[pairs[1]]).astype(np.float64)
        return 1.0 / (1.0 + np.exp(-logits))
    positives = getattr(train, "edge_label_index", None)
    positives = train.edge_index if positives is None else positives
    negatives = negative_sampling(train.edge_index, train.num_nodes, positives.size(1), seed=seed)
    features = np.concatenate([edge_features(vectors, positives, operator),
                               edge_features(vectors, negatives, operator)])
    labels = np.concatenate([np.ones(positives.size(1)), np.zeros(negatives.size(1))])
    model = LogisticRegression(max_iter=2000) if classifier is None else clone(classifier)
    model.fit(features, labels)
    return model.predict_proba(edge_features(vectors, pairs, operator))[:, 1]


def evaluate_link_embedding(embedding, train: Data, test: Data, operator: str = "inner", seed: int = 0,
                            classifier=None) -> tuple[float, float]:
    """``(ROC-AUC, average precision)`` (scikit-learn) of :func:`link_scores` on ``test.edge_label_index``
    against ``test.edge_label``; ``train``/``test`` as :func:`~gnnlab.data.link_split` returns them, and the
    embedding fitted on ``train`` only.

    Args:
        embedding: ``(N, d)`` array or tensor, or a fitted :class:`~gnnlab.embedding.DeepWalk` /
            :class:`~gnnlab.embedding.Node2Vec`.
        train: the training graph of :func:`~gnnlab.data.link_split`.
        test: the pairs to evaluate: a ``Data`` with ``edge_label_index`` and ``edge_label`` (``val`` or
            ``test`` of :func:`~gnnlab.data.link_split`).
        operator, seed, classifier: as in :func:`link_scores`.

    Example::

        >>> from gnnlab.data import karate_club, link_split
        >>> from gnnlab.embedding import DeepWalk, evaluate_link_embedding
        >>> train, val, test = link_split(karate_club(), seed=0)
        >>> model = DeepWalk(dimensions=8, walk_length=10, walks_per_node=2, pairs_per_node=50, seed=0,
        ...                  device="cpu", verbose=False).fit(train)
        >>> auc, ap = evaluate_link_embedding(model, train, test, operator="hadamard")
        >>> 0.0 <= auc <= 1.0 and 0.0 <= ap <= 1.0
        True
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    if not isinstance(test, Data) or getattr(test, "edge_label_index", None) is None \
            or getattr(test, "edge_label", None) is None:
        fail("evaluate_link_embedding", "'test' with 'edge_label_index' and 'edge_label' (link_split's)",
             type(test).__name__)
    scores = link_scores(embedding, train, test.edge_label_index, operator, seed, classifier)
    labels = test.edge_label.cpu().numpy()
    return float(roc_auc_score(labels, scores)), float(average_precision_score(labels, scores))


def _as_array(who: str, embedding) -> np.ndarray:
    if hasattr(embedding, "embedding_"):
        embedding = embedding.embedding_
    if isinstance(embedding, torch.Tensor):
        embedding = embedding.detach().cpu().numpy()
    vectors = np.asarray(embedding, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        fail(who, "'embedding' of shape (N, d)", vectors.shape)
    if not np.isfinite(vectors).all():
        fail(who, "'embedding' to hold finite values", "NaN or inf")
    return vectors
