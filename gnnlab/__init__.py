"""gnnlab: graph neural networks and the classic deep learning they build on, readable and tested.

Subpackages: :mod:`gnnlab.data` (datasets, splits), :mod:`gnnlab.nn` (functional ops, message-passing layers,
models), :mod:`gnnlab.regularize`, :mod:`gnnlab.train` (training loops), :mod:`gnnlab.utils` (devices, seeds).
"""
from gnnlab import data, embedding, nn, optim, regularize, train, utils

__version__ = "0.1.0"
__all__ = ["data", "embedding", "nn", "optim", "regularize", "train", "utils", "__version__"]
