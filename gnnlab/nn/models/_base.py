"""What every node-classification model shares: validation at its entry, ``forward`` and ``embed``."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnlab.nn.functional.dropout import dropout
from gnnlab.nn.functional.sparse import SparseMatrix
from gnnlab.utils.validation import check_edge_index, check_feature_width, check_features


class NodeModel(nn.Module):
    """Base of the GNN models.

    Subclasses implement ``_run(x, edge_index, edge_weight) -> (logits, hidden)``. Inputs are validated
    here once per tensor (a tensor seen before, unmodified, is not checked again), not in the layers' loops.
    """

    in_channels: int
    out_channels: int

    def __init__(self) -> None:
        super().__init__()
        self._checked: tuple | None = None

    def forward(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Logits ``(N, out_channels)``."""
        self.check_inputs(x, edge_index, edge_weight)
        return self._run(x, edge_index, edge_weight)[0]

    def embed(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """The last hidden representation (the output layer's input), e.g. for a t-SNE plot."""
        self.check_inputs(x, edge_index, edge_weight)
        return self._run(x, edge_index, edge_weight)[1]

    def _run(self, x, edge_index, edge_weight) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def check_inputs(self, x: Tensor | SparseMatrix, edge_index: Tensor, edge_weight: Tensor | None = None) -> None:
        inputs = (x, edge_index, edge_weight)
        versions = tuple(getattr(t, "_version", None) for t in inputs)
        if self._checked is not None and self._checked[1] == versions and all(
                a is b for a, b in zip(self._checked[0], inputs)):
            return
        who = type(self).__name__
        num_nodes = check_feature_width(who, x, self.in_channels)
        check_features(who, x.values.view(-1, 1) if isinstance(x, SparseMatrix) else x)
        check_edge_index(who, edge_index, num_nodes)
        if edge_weight is not None:
            if not isinstance(edge_weight, Tensor) or edge_weight.shape != (edge_index.size(1),):
                shape = tuple(edge_weight.shape) if isinstance(edge_weight, Tensor) else type(edge_weight).__name__
                raise ValueError(f"'{who}' expected 'edge_weight' of shape ({edge_index.size(1)},) (got {shape})")
            check_features(who, edge_weight.view(-1, 1), name="edge_weight")
        self._checked = (inputs, versions)

    def __getstate__(self):
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__)
        state["_checked"] = None
        return state

    def extra_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        options = {"hidden_channels": self.hidden_channels, "num_layers": getattr(self, "num_layers", None),
                   **self.extra_config(), "dropout": self.dropout}
        text = ", ".join(f"{k}={v}" for k, v in options.items() if v is not None)
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, {text})"


class ConvStack(NodeModel):
    """A model that is a list ``convs`` of layers with an activation and dropout before each layer after the
    first (dropout before the first too, on the input features)."""

    convs: nn.ModuleList

    @staticmethod
    def activation(x: Tensor) -> Tensor:
        return torch.relu(x)

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def _run(self, x, edge_index, edge_weight):
        hidden = x
        for i, conv in enumerate(self.convs):
            hidden = dropout(self.activation(x) if i > 0 else x, self.dropout, self.training)
            x = conv(hidden, edge_index, edge_weight)
        return x, hidden


def check_model_args(who: str, dropout: float, **sizes: int) -> None:
    from gnnlab.utils.validation import check_number, check_positive_int

    for name, value in sizes.items():
        check_positive_int(who, name, value)
    check_number(who, "dropout", dropout, low=0.0, high=1.0, high_open=True)
