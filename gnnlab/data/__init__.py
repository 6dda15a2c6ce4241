"""Loading graphs: the bundled Planetoid and TU datasets, networkx graphs, synthetic graphs, node and link splits,
folds of graphs, neighbour sampling."""
from gnnlab.data.babi import babi_split, babi_symbols, load_babi
from gnnlab.data.digits import load_digits
from gnnlab.data.link_split import link_split
from gnnlab.data.neighbor_loader import NeighborLoader
from gnnlab.data.networkx import from_networkx, karate_club
from gnnlab.data.planetoid import DATASETS, RebuiltFileWarning, default_root, load_planetoid, num_classes
from gnnlab.data.split import holdout_split, random_split, stratified_folds
from gnnlab.data.synthetic import synthetic_graph
from gnnlab.data.tu import load_tu

__all__ = ["load_planetoid", "synthetic_graph", "NeighborLoader", "load_digits", "random_split", "link_split",
           "load_tu", "stratified_folds", "holdout_split",
           "from_networkx", "karate_club", "default_root",
           "load_babi", "babi_symbols", "babi_split",
           "num_classes", "DATASETS", "RebuiltFileWarning"]
