"""scikit-learn's handwritten digits (1797 real 8x8 images, shipped with scikit-learn: no download)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits as _sklearn_digits

from gnnlab.data.split import random_split
from gnnlab.utils.validation import check_positive_int


def load_digits(size: int = 8, seed: int = 0, train: float = 0.6, val: float = 0.2,
                test: float = 0.2) -> dict[str, torch.Tensor]:
    """The digits as ``(N, 1, size, size)`` float images in ``[0, 1]``, split 60/20/20 (stratified).

    Args:
        size: 8 (the original) or larger, e.g. 32 for LeNet-5 (bilinear resizing).
        seed: the split's seed.
        train, val, test: the fractions of the stratified split (:func:`~gnnlab.data.random_split`), summing to 1.

    Returns:
        ``{"x_train", "y_train", "x_val", "y_val", "x_test", "y_test"}``.

    Example::

        >>> from gnnlab.data import load_digits
        >>> digits = load_digits()
        >>> sorted(digits)
        ['x_test', 'x_train', 'x_val', 'y_test', 'y_train', 'y_val']
        >>> digits["x_train"].shape, digits["x_train"].dtype, digits["y_train"].shape
        (torch.Size([1078, 1, 8, 8]), torch.float32, torch.Size([1078]))
        >>> load_digits(size=32)["x_test"].shape
        torch.Size([359, 1, 32, 32])
    """
    check_positive_int("load_digits", "size", size, minimum=8)
    bunch = _sklearn_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    labels = torch.tensor(bunch.target, dtype=torch.long)
    masks = random_split(labels, train, val, test, seed=seed)
    out = {}
    for name, mask in zip(("train", "val", "test"), masks):
        out[f"x_{name}"], out[f"y_{name}"] = images[mask], labels[mask]
    return out
