"""gnnlab: graph neural networks and the classic deep learning they build on, readable and tested.

Subpackages: :mod:`gnnlab.data` (datasets, splits), :mod:`gnnlab.utils` (devices, seeds).
"""
from gnnlab import data, utils

__version__ = "0.1.0"
__all__ = ["data", "utils", "__version__"]
