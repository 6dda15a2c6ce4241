"""GraphSAGE trained on sampled mini-batches with your own loop, on a synthetic graph of any size.

    python examples/minibatch_sage.py [--num-nodes 200000] [--epochs 3] [--batch-size 1024] [--seed 0]

Each batch holds ``batch_size`` seed nodes (first in the batch) and their sampled 2-hop neighbourhood
(25 then 10 in-neighbours); the loss is on the seeds only. Evaluation runs layer by layer over full
neighbourhoods (``GraphSAGE.inference``), so it needs no sampling.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from gnnlab.data import NeighborLoader, synthetic_graph
from gnnlab.nn import GraphSAGE


def main(num_nodes: int = 200_000, epochs: int = 3, batch_size: int = 1024, seed: int = 0) -> float:
    torch.manual_seed(seed)
    data = synthetic_graph(num_nodes, num_classes=10, avg_degree=10, num_features=64, homophily=0.8, seed=seed)
    loader = NeighborLoader(data, num_neighbors=[25, 10], batch_size=batch_size, shuffle=True,
                            input_nodes=data.train_mask, seed=seed)
    model = GraphSAGE(64, 10, hidden_channels=64)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for batch in loader:
            optimizer.zero_grad()
            out = model(batch.x, batch.edge_index)[: batch.batch_size]
            loss = F.cross_entropy(out, batch.y[: batch.batch_size])
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.batch_size
        print(f"epoch {epoch + 1}: training loss {total / int(data.train_mask.sum()):.4f}")
    model.eval()
    with torch.no_grad():
        predicted = model.inference(data.x, data.edge_index, batch_size=8192).argmax(dim=1)
    test = (predicted[data.test_mask] == data.y[data.test_mask]).float().mean().item()
    print(f"test accuracy {test:.3f} on {int(data.test_mask.sum())} nodes")
    return test


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-nodes", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
