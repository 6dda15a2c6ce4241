"""Networks trained without autograd: the notes' hand-derived backpropagation."""
from gnnlab.nn.manual.two_layer_net import TwoLayerNet

__all__ = ["TwoLayerNet"]
