"""The soft-attention readout, as PyG's ``AttentionalAggregation``."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.utils.graph import scatter, softmax
from gnnlab.utils.validation import check_positive_int, describe, fail


def _is_pyg_mlp(module: nn.Module | None) -> bool:
    """PyG's ``MLP`` takes the batch vector (for its graph-wise normalisations); PyG's readout passes it."""
    if module is None or not type(module).__module__.startswith("torch_geometric"):
        return False
    from torch_geometric.nn.models import MLP

    return isinstance(module, MLP)


class AttentionalAggregation(nn.Module):
    r"""Attention readout: a softmax over each graph's nodes weighs their (transformed) vectors,

    .. math::
        h_G = \sum_{v \in G} \operatorname{softmax}_{v \in G}\big(h_{\mathrm{gate}}(x_v)\big)\,
              h_{\Theta}(x_v)

    (Li et al., "Graph Matching Networks for Learning the Similarity of Graph Structured Objects", ICML 2019;
    with a sigmoid for the softmax and tanh around the sum it is the gated GNN's readout,
    :class:`~gnnlab.nn.pool.GatedReadout`), with PyG's names,
    arguments and state-dict keys (``gate_nn``/``gate_mlp``, ``nn``/``mlp``), so a PyG
    ``AttentionalAggregation``'s weights load and give the same readout. :math:`h_{\mathrm{gate}}` maps a node to
    one score (node-level gating) or to one score per feature (feature-level gating); :math:`h_\Theta` is the
    identity when ``nn`` is ``None``.

    Args:
        gate_nn: the gate network :math:`h_{\mathrm{gate}}`, ``(N, F) -> (N, 1)`` or ``(N, F_out)``.
        nn: the network :math:`h_\Theta`, ``(N, F) -> (N, F_out)``, or ``None``.

    Shapes:
        ``x: (N, F)``, ``index: (N,)`` graph of each node (PyG's ``batch``; ``None``: one graph), or ``ptr:
        (B + 1,)`` CSR offsets of sorted nodes → ``(B, F_out)``; ``dim_size`` is :math:`B`.

    Example::

        >>> import torch
        >>> from gnnlab.nn.pool import AttentionalAggregation
        >>> readout = AttentionalAggregation(torch.nn.Linear(4, 1), torch.nn.Linear(4, 8))
        >>> readout
        AttentionalAggregation(gate_nn=Linear(in_features=4, out_features=1, ...), nn=Linear(in_features=4, ...))
        >>> x, batch = torch.randn(5, 4), torch.tensor([0, 0, 0, 1, 1])
        >>> readout(x, batch).shape
        torch.Size([2, 8])
        >>> torch.allclose(readout(x[3:]), readout(x, batch)[1:])  # no batch: one graph
        True
    """

    def __init__(self, gate_nn: nn.Module, nn: nn.Module | None = None) -> None:  # noqa: A002 (PyG's name)
        """See :class:`AttentionalAggregation` for the arguments."""
        super().__init__()
        if not isinstance(gate_nn, torch.nn.Module):
            fail("AttentionalAggregation", "'gate_nn' to be a torch.nn.Module", describe(gate_nn), TypeError)
        if nn is not None and not isinstance(nn, torch.nn.Module):
            fail("AttentionalAggregation", "'nn' to be a torch.nn.Module or None", describe(nn), TypeError)
        self.gate_nn = self.gate_mlp = None
        if _is_pyg_mlp(gate_nn):
            self.gate_mlp = gate_nn
        else:
            self.gate_nn = gate_nn
        self.nn = self.mlp = None
        if _is_pyg_mlp(nn):
            self.mlp = nn
        else:
            self.nn = nn
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.gate_nn, self.gate_mlp, self.nn, self.mlp):
            if module is None:
                continue
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
            else:  # e.g. an nn.Sequential: its layers
                for child in module.modules():
                    if child is not module and hasattr(child, "reset_parameters"):
                        child.reset_parameters()

    def forward(self, x: Tensor, index: Tensor | None = None, ptr: Tensor | None = None,
                dim_size: int | None = None, dim: int = -2) -> Tensor:
        who = "AttentionalAggregation"
        if not isinstance(x, Tensor) or x.dim() != 2:
            fail(who, "'x' to be a tensor of node features (N, F)", describe(x))
        if dim not in (-2, 0):
            fail(who, "'dim' to be -2 (the node dimension of x (N, F))", dim)
        index, dim_size = _groups(who, x.size(0), index, ptr, dim_size, x.device)
        gate = self.gate_mlp(x, batch=index, batch_size=dim_size) if self.gate_mlp is not None else self.gate_nn(x)
        if self.mlp is not None:
            x = self.mlp(x, batch=index, batch_size=dim_size)
        elif self.nn is not None:
            x = self.nn(x)
        if gate.dim() != 2 or gate.size(0) != x.size(0) or gate.size(1) not in (1, x.size(1)):
            fail(who, f"'gate_nn' to give one score per node ({x.size(0)}, 1) or per feature "
                 f"({x.size(0)}, {x.size(1)})", tuple(gate.shape))
        gate = softmax(gate, index, num_nodes=dim_size, dim=0)
        return scatter(gate * x, index, dim=0, dim_size=dim_size, reduce="sum")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(gate_nn={self.gate_mlp or self.gate_nn}, nn={self.mlp or self.nn})"


def _groups(who: str, num_nodes: int, index: Tensor | None, ptr: Tensor | None, dim_size: int | None,
            device: torch.device) -> tuple[Tensor, int]:
    """The graph of each node and the number of graphs, from ``index`` (PyG's ``batch``), ``ptr`` or neither."""
    if dim_size is not None:
        dim_size = check_positive_int(who, "dim_size", dim_size, minimum=0)
    if index is None and ptr is not None:
        if not isinstance(ptr, Tensor) or ptr.dim() != 1 or ptr.is_floating_point() or ptr.numel() == 0 \
                or int(ptr[-1]) != num_nodes:
            fail(who, f"'ptr' to be CSR offsets ending at the number of nodes {num_nodes}", describe(ptr))
        counts = ptr[1:] - ptr[:-1]
        index = torch.repeat_interleave(torch.arange(counts.numel(), device=ptr.device), counts)
        dim_size = counts.numel() if dim_size is None else dim_size
    if index is None:
        return torch.zeros(num_nodes, dtype=torch.long, device=device), 1 if dim_size is None else dim_size
    if not isinstance(index, Tensor) or index.dim() != 1 or index.numel() != num_nodes or index.is_floating_point():
        fail(who, f"'index' to be an integer tensor of shape ({num_nodes},), one graph index per node",
             describe(index))
    if dim_size is None:
        dim_size = int(index.max()) + 1 if index.numel() else 0
    return index, dim_size


__all__ = ["AttentionalAggregation"]
