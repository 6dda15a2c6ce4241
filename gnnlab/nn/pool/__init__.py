"""Graph readouts: one vector per graph of a batch from its nodes' vectors (PyG's names and signatures)."""
from gnnlab.nn.pool.attentional_aggregation import AttentionalAggregation
from gnnlab.nn.pool.gated_readout import GatedReadout
from gnnlab.nn.pool.glob import global_add_pool, global_max_pool, global_mean_pool

__all__ = ["global_add_pool", "global_mean_pool", "global_max_pool", "AttentionalAggregation", "GatedReadout"]
