"""Pure functions: scatter/softmax over edges, GCN normalisation, sparse products, dropout."""
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.functional.gcn_norm import add_remaining_self_loops, gcn_norm
from gnnlab.nn.functional.scatter import scatter, segment_softmax
from gnnlab.nn.functional.sparse import SparseMatrix, sparse_linear

__all__ = ["scatter", "segment_softmax", "gcn_norm", "add_remaining_self_loops", "SparseMatrix", "sparse_linear",
           "dropout"]
