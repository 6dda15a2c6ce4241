"""Random-walk node embeddings: DeepWalk and node2vec walks, skip-gram, scikit-learn-style estimators."""
from gnnlab.embedding.deepwalk import DeepWalk
from gnnlab.embedding.evaluate import evaluate_embedding
from gnnlab.embedding.node2vec import Node2Vec
from gnnlab.embedding.random_walk import random_walks
from gnnlab.embedding.skipgram import train_skipgram

__all__ = ["random_walks", "train_skipgram", "DeepWalk", "Node2Vec", "evaluate_embedding"]
