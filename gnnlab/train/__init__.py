"""Training loops: node classification (full batch, sampled mini-batches, data-parallel), link prediction,
checkpoints, and dense (vector/image) classifiers."""
from gnnlab.train.checkpoint import Checkpoint
from gnnlab.train.dense import evaluate, fit_classifier
from gnnlab.train.link_prediction import fit_link_predictor
from gnnlab.train.node_classification import fit_node_classifier, sparse_features

__all__ = ["fit_node_classifier", "fit_link_predictor", "sparse_features", "Checkpoint", "fit_classifier", "evaluate"]
