"""Node-classification models: stacks of message-passing layers with dropout and activations."""
from gnnlab.nn.models._base import NodeModel
from gnnlab.nn.models.gat import GAT
from gnnlab.nn.models.gcn import GCN
from gnnlab.nn.models.ggnn import GGNN
from gnnlab.nn.models.graph_sage import GraphSAGE

__all__ = ["NodeModel", "GCN", "GraphSAGE", "GAT", "GGNN"]
