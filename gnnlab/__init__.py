"""gnnlab: graph neural networks and the classic deep learning they build on, readable and tested.

Subpackages: :mod:`gnnlab.data` (datasets, splits, sampling), :mod:`gnnlab.nn` (functional ops, message-passing
layers, models), :mod:`gnnlab.embedding` (random walks, skip-gram, DeepWalk, node2vec), :mod:`gnnlab.optim`,
:mod:`gnnlab.regularize`, :mod:`gnnlab.train` (training loops), :mod:`gnnlab.kernels` (graph kernels),
:mod:`gnnlab.experiments` (the comparisons),
:mod:`gnnlab.utils` (graph helpers, devices, seeds). Each is imported when first used (``gnnlab.nn`` imports
PyTorch, ``import gnnlab`` does not), so the command line starts without loading what it does not run.

Example::

    >>> import gnnlab
    >>> gnnlab.__version__
    '0.1.0'
    >>> gnnlab.nn.GCNConv(34, 16)
    GCNConv(34, 16)
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"
_SUBPACKAGES = ("data", "embedding", "experiments", "kernels", "nn", "optim", "regularize", "train", "utils")
__all__ = [*_SUBPACKAGES, "__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"gnnlab.{name}")
    raise AttributeError(f"module 'gnnlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBPACKAGES])
