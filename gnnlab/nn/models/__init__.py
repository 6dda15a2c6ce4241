"""GNN models: stacks of message-passing layers with dropout and activations (node classification), graph
classifiers (GIN, GraphClassifier, the gated GNN's), node selection (GatedGraphSelector), and graph auto-encoders
with their inner-product decoder (link prediction)."""
from gnnlab.nn.models._base import NodeModel
from gnnlab.nn.models.gae import GAE
from gnnlab.nn.models.gat import GAT
from gnnlab.nn.models.gated_graph_classifier import GatedGraphClassifier
from gnnlab.nn.models.gated_graph_selector import GatedGraphSelector
from gnnlab.nn.models.gcn import GCN
from gnnlab.nn.models.ggnn import GGNN
from gnnlab.nn.models.gin import GIN
from gnnlab.nn.models.graph_classifier import GraphClassifier
from gnnlab.nn.models.graph_sage import GraphSAGE
from gnnlab.nn.models.inner_product_decoder import InnerProductDecoder
from gnnlab.nn.models.vgae import VGAE

__all__ = ["NodeModel", "GCN", "GraphSAGE", "GAT", "GGNN", "GAE", "VGAE", "InnerProductDecoder", "GIN",
           "GraphClassifier", "GatedGraphSelector", "GatedGraphClassifier"]
