"""Small helpers used across gnnlab: devices, seeds, input validation, atomic writes, negative sampling."""
from gnnlab.utils.device import resolve_device
from gnnlab.utils.io import atomic_write
from gnnlab.utils.negative_sampling import negative_sampling
from gnnlab.utils.seed import make_generator, seed_everything

__all__ = ["resolve_device", "seed_everything", "make_generator", "atomic_write", "negative_sampling"]
