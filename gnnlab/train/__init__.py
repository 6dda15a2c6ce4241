"""Training loops."""
from gnnlab.train.node_classification import fit_node_classifier, sparse_features

__all__ = ["fit_node_classifier", "sparse_features"]
