"""How good is an embedding? Logistic regression on the node labels."""
from __future__ import annotations

import numpy as np
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from torch_geometric.data import Data

from gnnlab.utils.validation import fail


def evaluate_embedding(embedding, data: Data, classifier=None, mask: str = "test") -> float:
    """Accuracy on ``data.<mask>_mask`` of ``classifier`` trained on the embedding of ``data.train_mask``.

    Args:
        embedding: ``(N, d)`` array or tensor, or a fitted :class:`DeepWalk` / :class:`Node2Vec`.
        data: a ``Data`` with ``y`` and the masks (the public Planetoid split, or ``random_split``'s).
        classifier: any scikit-learn classifier (cloned before fitting); default
            ``LogisticRegression(max_iter=2000)`` on the raw vectors, as in PyG's example and the papers.
        mask: ``"test"`` or ``"val"``.

    Example::

        >>> from gnnlab.data import karate_club, random_split
        >>> from gnnlab.embedding import DeepWalk, evaluate_embedding
        >>> data = karate_club()
        >>> data.train_mask, data.val_mask, data.test_mask = random_split(data, seed=0)
        >>> model = DeepWalk(dimensions=8, walk_length=10, walks_per_node=2, pairs_per_node=50, seed=0,
        ...                  device="cpu", verbose=False).fit(data)
        >>> accuracy = evaluate_embedding(model, data)
        >>> 0.0 <= accuracy <= 1.0
        True
    """
    who = "evaluate_embedding"
    if hasattr(embedding, "embedding_"):
        embedding = embedding.embedding_
    if isinstance(embedding, torch.Tensor):
        embedding = embedding.detach().cpu().numpy()
    embedding = np.asarray(embedding)
    if embedding.ndim != 2 or embedding.shape[0] != data.num_nodes:
        fail(who, f"'embedding' of shape ({data.num_nodes}, d), one row per node", embedding.shape)
    if not np.isfinite(embedding).all():
        fail(who, "'embedding' to hold finite values", "NaN or inf")
    if mask not in ("test", "val"):
        fail(who, "'mask' to be 'test' or 'val'", repr(mask))
    model = LogisticRegression(max_iter=2000) if classifier is None else clone(classifier)
    y = data.y.cpu().numpy()
    train = data.train_mask.cpu().numpy()
    target = getattr(data, f"{mask}_mask").cpu().numpy()
    model.fit(embedding[train], y[train])
    return float(model.score(embedding[target], y[target]))
