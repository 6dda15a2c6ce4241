"""Training loops: node classification (full batch, sampled mini-batches, data-parallel), link prediction,
graph classification, classifiers of independent examples (vectors, images), checkpoints, and the epoch loop they share
(:mod:`gnnlab.train.loop`)."""
from gnnlab.train._shared import sparse_features
from gnnlab.train.checkpoint import Checkpoint
from gnnlab.train.classifier import evaluate, fit_classifier
from gnnlab.train.graph_classification import evaluate_graph_classifier, fit_graph_classifier
from gnnlab.train.link_prediction import fit_link_predictor
from gnnlab.train.node_classification import fit_node_classifier

__all__ = ["fit_node_classifier", "fit_link_predictor", "sparse_features", "Checkpoint", "fit_classifier", "evaluate",
           "fit_graph_classifier", "evaluate_graph_classifier"]
