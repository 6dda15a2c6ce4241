"""Graph kernels: the Weisfeiler-Lehman subtree kernel and its feature vectors (a graph-embedding baseline for
graph classification)."""
from gnnlab.kernels.weisfeiler_lehman import WeisfeilerLehman

__all__ = ["WeisfeilerLehman"]
