"""Optimisers and gradient clipping (the notes, section 3.2)."""
from gnnlab.optim.clip import clip_grad_norm_, clip_grad_value_
from gnnlab.optim.sgd import SGD

__all__ = ["SGD", "clip_grad_norm_", "clip_grad_value_"]
