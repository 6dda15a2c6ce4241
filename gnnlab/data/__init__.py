"""Loading graphs: the bundled Planetoid datasets, networkx graphs, splits."""
from gnnlab.data.digits import load_digits
from gnnlab.data.networkx import from_networkx, karate_club
from gnnlab.data.planetoid import DATASETS, default_root, load_planetoid, num_classes
from gnnlab.data.split import random_split

__all__ = ["load_planetoid", "load_digits", "random_split", "from_networkx", "karate_club", "default_root",
           "num_classes", "DATASETS"]
