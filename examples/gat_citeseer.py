"""GAT on CiteSeer with your own training loop: Adam, dropout, early stopping on validation loss by hand.

    python examples/gat_citeseer.py [--epochs 1000] [--patience 100] [--seed 0]

Veličković et al.'s settings: 8 heads of 8 hidden units, dropout 0.6, lr 0.005, weight decay 5e-4.
"""
from __future__ import annotations

import argparse
import copy

import torch
import torch.nn.functional as F

from gnnlab.data import load_planetoid
from gnnlab.nn import GAT


def accuracy(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> float:
    return (logits[mask].argmax(dim=1) == y[mask]).float().mean().item()


def main(epochs: int = 1000, patience: int = 100, seed: int = 0) -> float:
    torch.manual_seed(seed)
    data = load_planetoid("citeseer")
    model = GAT(data.num_features, 6, hidden_channels=8, heads=8, dropout=0.6)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
    best_loss, best_state, waited, epochs_run = float("inf"), None, 0, 0
    while epochs_run < epochs and waited < patience:
        epochs_run += 1
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(data.x, data.edge_index)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()

        model.eval()
        with torch.no_grad():
            logits = model(data.x, data.edge_index)
            val_loss = F.cross_entropy(logits[data.val_mask], data.y[data.val_mask]).item()
        if val_loss < best_loss:
            best_loss, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        logits = model(data.x, data.edge_index)
    test = accuracy(logits, data.y, data.test_mask)
    print(f"stopped after {epochs_run} epochs; best validation loss {best_loss:.4f}, test accuracy {test:.3f}")
    return test


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--patience", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
