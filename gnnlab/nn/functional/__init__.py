"""Pure functions: the notes' image convolution and pooling, activations, dropout, scatter/softmax over edges,
GCN normalisation, sparse products."""
from gnnlab.nn.functional.activations import relu, sigmoid, tanh
from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.functional.gcn_norm import gcn_norm
from gnnlab.nn.functional.image_conv import avg_pool2d, conv2d, max_pool2d
from gnnlab.nn.functional.scatter import scatter, segment_softmax
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, sparse_linear, spmm
from gnnlab.utils.graph import add_remaining_self_loops

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "sigmoid", "tanh", "relu", "dropout", "scatter", "segment_softmax",
           "gcn_norm", "add_remaining_self_loops", "SparseMatrix", "sparse_linear", "spmm", "is_torch_sparse"]
