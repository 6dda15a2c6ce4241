"""Message-passing layers: the base class and one layer per module."""
from gnnlab.nn.conv.gat_conv import GATConv
from gnnlab.nn.conv.gated_graph_conv import GatedGraphConv
from gnnlab.nn.conv.gcn_conv import GCNConv
from gnnlab.nn.conv.gin_conv import GINConv
from gnnlab.nn.conv.gine_conv import GINEConv
from gnnlab.nn.conv.message_passing import MessagePassing
from gnnlab.nn.conv.sage_conv import SAGEConv
from gnnlab.nn.functional.gcn_norm import gcn_norm

__all__ = ["MessagePassing", "GCNConv", "SAGEConv", "GATConv", "GatedGraphConv", "GINConv", "GINEConv", "gcn_norm"]
