"""Loading graphs: the bundled Planetoid datasets, networkx graphs, synthetic graphs, node and link splits,
neighbour sampling."""
from gnnlab.data.digits import load_digits
from gnnlab.data.link_split import link_split
from gnnlab.data.neighbor_loader import NeighborLoader
from gnnlab.data.networkx import from_networkx, karate_club
from gnnlab.data.planetoid import DATASETS, default_root, load_planetoid, num_classes
from gnnlab.data.split import random_split
from gnnlab.data.synthetic import synthetic_graph

__all__ = ["load_planetoid", "synthetic_graph", "NeighborLoader", "load_digits", "random_split", "link_split",
           "from_networkx", "karate_club", "default_root",
           "num_classes", "DATASETS"]
