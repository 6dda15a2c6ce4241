"""What the trainers share: the optimisation arguments' checks, the epoch-selection rules, and the features a
model is given (sparse only for a model that declares it takes them)."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.regularize.best_epoch import BestEpoch
from gnnlab.utils.validation import check_choice, check_number, fail

#: ``fit_node_classifier``'s ``select``: which epoch's parameters are kept (BestEpoch's monitor, mode and rule)
NODE_SELECTIONS = {
    "val_acc": (("val_acc", "val_loss"), ("max", "min"), "first"),
    "val_loss": ("val_loss", "min", "first"),
    "val_acc_and_loss": (("val_acc", "val_loss"), ("max", "min"), "all"),
    "last": ("val_loss", "min", "last"),
}

#: ``fit_link_predictor``'s ``select``
LINK_SELECTIONS = {"val_auc": (("val_auc", "val_ap"), "max", "first"), "last": ("val_auc", "max", "last")}


def selection(select: str, rules: dict[str, tuple], who: str = "selection") -> BestEpoch:
    """The :class:`~gnnlab.regularize.BestEpoch` tracker of rule ``select`` of ``rules``."""
    check_choice(who, "select", select, tuple(rules))
    monitor, mode, rule = rules[select]
    return BestEpoch(monitor, mode, rule=rule)


def check_optimisation(who: str, *, lr: Any, weight_decay: Any, select: Any, rules: dict[str, tuple],
                       sparse: Any) -> None:
    """The arguments every GNN trainer takes: Adam's ``lr`` and ``weight_decay``, ``select`` and ``sparse``."""
    check_number(who, "lr", lr, low=0.0, low_open=True)
    check_number(who, "weight_decay", weight_decay, low=0.0)
    check_choice(who, "select", select, tuple(rules))
    check_choice(who, "sparse", sparse, ("auto", True, False))


def sparse_features(x: Tensor, max_density: float = 0.1) -> Tensor | SparseMatrix:
    """``x`` as a :class:`SparseMatrix` when at most ``max_density`` of it is non-zero, else ``x`` itself.

    Bag-of-words features are mostly zeros (Cora 1.3%, CiteSeer 0.9%): dropout and the first layer's
    product then cost a fraction of the dense ones, with the same result.

    Args:
        x: ``(N, F)`` node features (anything else, such as a sparse or 1-D tensor, is returned as it is).
        max_density: the largest fraction of non-zero entries, in :math:`[0, 1]`, for which ``x`` is converted.

    Example::

        >>> import torch
        >>> from gnnlab.train import sparse_features
        >>> x = torch.zeros(4, 5)
        >>> x[0, 1] = 1.0
        >>> features = sparse_features(x)  # 1 of 20 entries is non-zero
        >>> type(features).__name__, torch.equal(features.to_dense(), x)
        ('SparseMatrix', True)
        >>> type(sparse_features(torch.ones(4, 5))).__name__  # dense: returned as it is
        'Tensor'
    """
    if x.layout == torch.strided and x.dim() == 2 and x.numel() > 0:
        if int(torch.count_nonzero(x)) <= max_density * x.numel():
            return SparseMatrix.from_dense(x)
    return x


def takes_sparse_features(model: nn.Module) -> bool:
    """Whether ``model`` declares that it takes sparse features (a :class:`SparseMatrix` ``x``): its class
    sets ``supports_sparse_features = True``, as gnnlab's models do (a ``DistributedDataParallel`` wrapper is
    looked through)."""
    base = model.module if isinstance(model, DistributedDataParallel) else model
    return getattr(base, "supports_sparse_features", False) is True


def features_for(who: str, x: Tensor, sparse: bool | str, model: nn.Module) -> Tensor | SparseMatrix:
    """``x`` as the model will get it: sparse only for a model that takes sparse features."""
    if not takes_sparse_features(model):
        if sparse is True:
            fail(who, "sparse=True only with a model that takes sparse features (gnnlab's models, or a class "
                 "that sets supports_sparse_features = True)", f"{type(model).__name__}, which does not declare it")
        return x
    if sparse is True or (sparse == "auto" and x.size(0) * x.size(1) >= 100_000):
        return sparse_features(x, max_density=1.0 if sparse is True else 0.1)
    return x
