"""Small helpers used across gnnlab: devices, seeds, input validation, atomic writes, negative sampling, and
the graph helpers that layers call on ``edge_index`` (PyG's ``torch_geometric.utils`` in plain torch)."""
from gnnlab.utils.csr import CSR
from gnnlab.utils.device import resolve_device
from gnnlab.utils.graph import (
    add_remaining_self_loops,
    add_self_loops,
    coalesce,
    degree,
    dropout_edge,
    is_undirected,
    remove_self_loops,
    scatter,
    softmax,
    subgraph,
    to_undirected,
)
from gnnlab.utils.io import atomic_write
from gnnlab.utils.negative_sampling import negative_sampling
from gnnlab.utils.seed import make_generator, seed_everything

__all__ = ["resolve_device", "seed_everything", "make_generator", "atomic_write", "add_self_loops",
           "add_remaining_self_loops", "remove_self_loops", "degree", "softmax", "to_undirected", "is_undirected",
           "dropout_edge", "subgraph", "coalesce", "CSR", "negative_sampling", "scatter", "spmm"]


def __getattr__(name: str):
    # spmm lives with the sparse matrices it multiplies (gnnlab.nn.functional), which import this package
    if name == "spmm":
        from gnnlab.nn.functional.sparse import spmm

        return spmm
    raise AttributeError(f"module 'gnnlab.utils' has no attribute {name!r}")
