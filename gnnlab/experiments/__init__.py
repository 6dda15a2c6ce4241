"""The library side of experiments: run a grid of methods, aggregate seeds, write tables and plots."""
from gnnlab.experiments.comparison import Comparison, compare
from gnnlab.experiments.config import for_dataset, load_config, load_published, parse_overrides
from gnnlab.experiments.methods import METHODS, MethodResult
from gnnlab.experiments.task import GRAPH, LINK, NODE, TASKS, Task

__all__ = ["Comparison", "compare", "Task", "NODE", "LINK", "GRAPH", "TASKS", "METHODS", "MethodResult", "load_config",
           "for_dataset", "load_published", "parse_overrides"]
