"""Neural-network building blocks: functional ops, message-passing layers (``conv``) and models."""
from gnnlab.nn import conv, functional, models
from gnnlab.nn.conv import GATConv, GatedGraphConv, GCNConv, MessagePassing, SAGEConv
from gnnlab.nn.models import GAT, GCN, GGNN, GraphSAGE

__all__ = ["conv", "functional", "models", "MessagePassing", "GCNConv", "SAGEConv", "GATConv", "GatedGraphConv",
           "GCN", "GraphSAGE", "GAT", "GGNN"]
