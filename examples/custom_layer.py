"""A message-passing layer of your own, trained on Cora: each neighbour's message is gated by how well the two
end points agree, and the layer keeps the node's own features apart from its neighbourhood's.

    h = W_nbr x,   x_i' = W_self x_i + mean_{j -> i} sigmoid(a^T [h_i || h_j]) h_j

    python examples/custom_layer.py [--epochs 100] [--seed 0]
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.data import load_planetoid
from gnnlab.nn import Linear
from gnnlab.nn.conv import MessagePassing


class GatedMeanConv(MessagePassing):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(aggr="mean")            # "sum", "max", "std", a PyG aggregation module, ...
        self.lin_self = Linear(in_channels, out_channels)
        self.lin_nbr = Linear(in_channels, out_channels, bias=False)
        self.gate = Linear(2 * out_channels, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.lin_self.reset_parameters()
        self.lin_nbr.reset_parameters()
        self.gate.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        # h is gathered twice for message(): h_i at each edge's target, h_j at its source
        return self.propagate(edge_index, h=self.lin_nbr(x)) + self.lin_self(x)

    def message(self, h_i: Tensor, h_j: Tensor) -> Tensor:
        gate = torch.sigmoid(self.gate(torch.cat([h_i, h_j], dim=-1)))    # (E, 1)
        return gate * h_j                                                  # (E, out_channels)


class Net(nn.Module):
    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = GatedMeanConv(in_channels, hidden_channels)
        self.conv2 = GatedMeanConv(hidden_channels, out_channels)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = F.dropout(x, p=0.5, training=self.training)
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, p=0.5, training=self.training)
        return self.conv2(x, edge_index)


def main(epochs: int = 100, seed: int = 0) -> float:
    torch.manual_seed(seed)
    data = load_planetoid("cora")
    model = Net(data.num_features, 32, 7)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    best_val = best_test = 0.0
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        F.cross_entropy(model(data.x, data.edge_index)[data.train_mask], data.y[data.train_mask]).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = model(data.x, data.edge_index).argmax(dim=1) == data.y
        val, test = correct[data.val_mask].float().mean().item(), correct[data.test_mask].float().mean().item()
        if val > best_val:
            best_val, best_test = val, test
    print(f"GatedMeanConv x2 on Cora: best validation {best_val:.3f}, test there {best_test:.3f}")
    return best_test


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
