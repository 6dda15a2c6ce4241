"""The methods of the link-prediction comparison (Kipf & Welling 2016, Table 1): each trains on the training graph
of a :func:`~gnnlab.data.link_split` and scores the held-out edges against as many non-edges.

Every method is a function ``(splits, config, seed, device, verbose) -> MethodResult``; ``splits`` is
``(train, val, test)`` and ``config`` the method's TOML file as a dict (``[model]`` and ``[train]`` tables;
the embeddings' ``[score]`` table picks how pairs are scored).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from gnnlab.data.link_split import link_split
from gnnlab.data.planetoid import load_planetoid
from gnnlab.embedding.link_features import OPERATORS, link_scores
from gnnlab.experiments.methods import (
    MethodResult,
    _with_schema,
    check_config,
    estimator_keywords,
    keywords,
    required,
)


def link_data(dataset: str, split: str = "random", seed: int = 0) -> tuple[Data, Data, Data]:
    """The split of one seed: raw binary features (as the paper's code) and the VGAE protocol's 85/5/10."""
    return link_split(load_planetoid(dataset, normalize_features=False), val=0.05, test=0.10, seed=seed)


def _result(scores: np.ndarray, test: Data, train_time: float, device: str,
            curve: list[float] | None = None) -> MethodResult:
    """ROC-AUC and average precision (scikit-learn) of the test scores, with the scores for ROC curves."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = test.edge_label.cpu().numpy()
    scores = np.asarray(scores, dtype=np.float64)
    metrics = {"auc": float(roc_auc_score(labels, scores)), "ap": float(average_precision_score(labels, scores))}
    return MethodResult(metrics, train_time, device, curve or [], predictions=np.stack([scores, labels]))


def _score_embedding(vectors: np.ndarray, splits: tuple[Data, Data, Data], config: dict[str, Any], seed: int,
                     start: float, device: str) -> MethodResult:
    """Inner product, or the edge operator (``[score] operators``) with the best validation AUC."""
    from sklearn.metrics import roc_auc_score

    train, val, test = splits
    operators = config.get("score", {}).get("operators", ["inner"])
    best, best_auc = operators[0], -1.0
    if len(operators) > 1:
        for operator in operators:
            if operator not in OPERATORS:
                raise ValueError(f"'link_methods' expected [score] operators from {list(OPERATORS)} (got {operator!r})")
            auc = roc_auc_score(val.edge_label.numpy(), link_scores(vectors, train, val.edge_label_index, operator,
                                                                    seed=seed))
            best, best_auc = (operator, auc) if auc > best_auc else (best, best_auc)
    scores = link_scores(vectors, train, test.edge_label_index, best, seed=seed)
    return _result(scores, test, time.perf_counter() - start, device)


def _walk_embedding(class_name: str) -> Callable[..., MethodResult]:
    def run(splits, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
        from gnnlab import embedding

        check_config(class_name, config, run.schema())
        start = time.perf_counter()
        model = getattr(embedding, class_name)(seed=seed, device=str(device), verbose=verbose,
                                               **config.get("model", {}))
        model.fit(splits[0])  # the training graph only
        return _score_embedding(model.embedding_, splits, config, seed, start, str(device))
    return _with_schema(run, lambda: {"model": estimator_keywords(class_name), "score": ["operators"]})


def _spectral_schema() -> dict[str, Any]:
    from sklearn.manifold import SpectralEmbedding

    return {"model": keywords(SpectralEmbedding, ("affinity", "random_state")), "score": ["operators"]}


def _spectral(splits, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
    """Spectral embedding of the training graph (Tang & Liu 2011, the paper's "SC"): the bottom eigenvectors
    of the normalised Laplacian (scikit-learn's ``SpectralEmbedding``)."""
    import scipy.sparse as sp
    from sklearn.manifold import SpectralEmbedding

    check_config("SpectralEmbedding", config, _spectral_schema())
    start = time.perf_counter()
    train = splits[0]
    edge_index = train.edge_index.cpu().numpy()
    adjacency = sp.coo_matrix((np.ones(edge_index.shape[1]), (edge_index[0], edge_index[1])),
                              shape=(train.num_nodes, train.num_nodes)).tocsr()
    model = SpectralEmbedding(affinity="precomputed", random_state=seed, **config.get("model", {}))
    vectors = model.fit_transform(adjacency)
    return _score_embedding(vectors, splits, config, seed, start, "cpu")


def _auto_encoder(class_name: str, encoder: str | None = None) -> Callable[..., MethodResult]:
    """A GAE/VGAE with the paper's GCN encoder (``encoder=None``) or a gnnlab model as the encoder."""
    def run(splits, config: dict[str, Any], seed: int, device: torch.device, verbose: bool) -> MethodResult:
        from gnnlab import nn
        from gnnlab.train import fit_link_predictor

        check_config(class_name if encoder is None else f"{class_name}({encoder})", config, run.schema())
        train, val, test = splits
        required(class_name, config, "model", ["recon"] + ([] if encoder is None else ["out_channels"]))
        options = dict(config.get("model", {}))
        recon = options.pop("recon")
        torch.manual_seed(seed)
        auto_encoder = getattr(nn, class_name)
        if encoder is None:
            model = auto_encoder.with_gcn(train.num_features, recon=recon, **options)
        else:
            out_channels = options.pop("out_channels")
            model = auto_encoder(getattr(nn, encoder)(train.num_features, out_channels, **options), recon=recon)
        history = fit_link_predictor(model, train, val, test, seed=seed, device=device, verbose=verbose,
                                     **config.get("train", {}))
        model.eval()
        with torch.no_grad():
            z = model.encode(train.x.to(device), train.edge_index.to(device))
            scores = model.decode(z, test.edge_label_index.to(device)).cpu().numpy()
        return _result(scores, test, history["train_time"], str(device), curve=history["val_auc"])

    def schema() -> dict[str, Any]:
        from gnnlab import nn
        from gnnlab.train import fit_link_predictor

        train_keys = keywords(fit_link_predictor, ("model", "train", "val", "test", "seed", "device", "verbose"))
        if encoder is None:  # the paper's encoder, by GAE.with_gcn's arguments
            model_keys = keywords(getattr(nn, class_name).with_gcn, ("in_channels",))
        else:  # the encoder's arguments, its width and the loss
            model_keys = [*keywords(getattr(nn, encoder), ("in_channels", "out_channels")), "out_channels", "recon"]
        return {"model": model_keys, "train": train_keys}

    return _with_schema(run, schema)


_with_schema(_spectral, _spectral_schema)

#: methods whose runs do not depend on the seed for a given split (none: the split is drawn per seed)
LINK_DETERMINISTIC: frozenset[str] = frozenset()

#: method name -> runner, in the order the tables list them (the paper's rows first)
LINK_METHODS: dict[str, Callable[..., MethodResult]] = {
    "sc": _spectral,
    "deepwalk": _walk_embedding("DeepWalk"),
    "node2vec": _walk_embedding("Node2Vec"),
    "gae": _auto_encoder("GAE"),
    "vgae": _auto_encoder("VGAE"),
    "gcn": _auto_encoder("GAE", "GCN"),
    "sage": _auto_encoder("GAE", "GraphSAGE"),
    "gat": _auto_encoder("GAE", "GAT"),
}
