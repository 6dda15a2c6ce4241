"""The library side of experiments: run a grid of methods, aggregate seeds, write tables and plots."""
from gnnlab.experiments.methods import METHODS, MethodResult
from gnnlab.experiments.pipeline import compare
from gnnlab.experiments.runner import Comparison, load_config

__all__ = ["Comparison", "METHODS", "MethodResult", "load_config", "compare"]
