"""Neural-network building blocks: functional ops, message-passing layers (``conv``), GNN models, the notes'
classic layers and models (``dense``) and hand-derived backprop (``manual``)."""
from gnnlab.nn import conv, dense, functional, manual, models, pool
from gnnlab.nn.conv import GATConv, GatedGraphConv, GCNConv, GINConv, GINEConv, MessagePassing, SAGEConv
from gnnlab.nn.dense import MLP, AvgPool2d, Conv2d, LeNet5, MaxPool2d
from gnnlab.nn.linear import Linear
from gnnlab.nn.models import GAE, GAT, GCN, GGNN, GIN, VGAE, GraphClassifier, GraphSAGE, InnerProductDecoder
from gnnlab.nn.pool import AttentionalAggregation, GatedReadout, global_add_pool, global_max_pool, global_mean_pool

__all__ = ["conv", "dense", "functional", "manual", "models", "MessagePassing", "GCNConv", "SAGEConv", "GATConv",
           "GatedGraphConv", "GINConv", "GINEConv", "global_add_pool", "global_mean_pool",
           "global_max_pool", "AttentionalAggregation", "pool", "GCN", "GraphSAGE", "GAT", "GGNN", "GIN",
           "GraphClassifier", "GAE", "VGAE", "InnerProductDecoder",
           "Conv2d", "MaxPool2d", "AvgPool2d", "MLP", "LeNet5", "Linear", "GatedReadout"]
