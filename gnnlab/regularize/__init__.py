"""Fighting over-fitting (the notes, section 3.3)."""
from gnnlab.regularize.early_stopping import EarlyStopping

__all__ = ["EarlyStopping"]
