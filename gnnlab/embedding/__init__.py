"""Random-walk node embeddings: DeepWalk and node2vec walks, skip-gram, scikit-learn-style estimators, and their
evaluation on node classification and link prediction."""
from gnnlab.embedding.deepwalk import DeepWalk
from gnnlab.embedding.evaluate import evaluate_embedding
from gnnlab.embedding.link_features import edge_features, evaluate_link_embedding, link_scores
from gnnlab.embedding.node2vec import Node2Vec
from gnnlab.embedding.random_walk import random_walks
from gnnlab.embedding.skipgram import train_skipgram

__all__ = ["random_walks", "train_skipgram", "DeepWalk", "Node2Vec", "evaluate_embedding", "edge_features",
           "link_scores", "evaluate_link_embedding"]
