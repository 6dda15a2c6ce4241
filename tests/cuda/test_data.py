"""NeighborLoader feeding a GPU: pinned host batches (copied asynchronously), and a graph held on the GPU."""
from __future__ import annotations

import copy

import pytest
import torch

from gnnlab.data import NeighborLoader, synthetic_graph
from gnnlab.nn import GraphSAGE

pytestmark = pytest.mark.cuda


@pytest.fixture(scope="module")
def data():
    return synthetic_graph(400, num_classes=4, num_features=16, seed=0)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_pinned_batches_copy_to_cuda_unchanged(data, num_workers, cuda):
    pinned = NeighborLoader(data, [5, 5], batch_size=32, input_nodes=data.train_mask, seed=0, pin_memory=True,
                            num_workers=num_workers)
    plain = NeighborLoader(data, [5, 5], batch_size=32, input_nodes=data.train_mask, seed=0, num_workers=num_workers)
    count = 0
    for batch, reference in zip(pinned, plain):
        for key in ("x", "y", "edge_index", "n_id", "e_id"):
            assert batch[key].is_pinned(), key
        on_gpu = batch.to(cuda, non_blocking=True)
        torch.cuda.synchronize()
        for key in ("x", "y", "edge_index", "n_id", "e_id"):
            assert on_gpu[key].device.type == "cuda"
            assert torch.equal(on_gpu[key].cpu(), reference[key]), key  # same seed, same batches
        assert batch.num_sampled_nodes == reference.num_sampled_nodes
        count += 1
    assert count == len(plain) > 1


def test_graph_on_cuda_samples_on_cuda_and_matches_full_graph(data, cuda):
    """With every neighbour taken, a GPU-held graph's batches give the seeds their full-graph logits."""
    on_gpu = data.clone().to(cuda)  # PyG's Data.to moves in place
    loader = NeighborLoader(on_gpu, [-1, -1], batch_size=50, seed=0)
    assert loader.sample_generator.device.type == "cuda"
    torch.manual_seed(0)
    model = GraphSAGE(16, 4, hidden_channels=8).eval()
    full = model(data.x, data.edge_index)
    gpu_model = copy.deepcopy(model).to(cuda)
    for batch in loader:
        assert batch.edge_index.device.type == "cuda" and batch.x.device.type == "cuda"
        size = batch.batch_size
        logits = gpu_model(batch.x, batch.edge_index)[:size]
        torch.testing.assert_close(logits.cpu(), full[batch.n_id[:size].cpu()], rtol=1e-4, atol=1e-4)


def test_graph_on_cuda_repeats_with_the_seed(data, cuda):
    on_gpu = data.clone().to(cuda)  # PyG's Data.to moves in place
    first, second = (NeighborLoader(on_gpu, [3, 3], seed=7).sample(torch.arange(20)) for _ in range(2))
    assert torch.equal(first.n_id, second.n_id) and torch.equal(first.edge_index, second.edge_index)


def test_graph_on_cuda_refuses_pinning_and_worker_processes(data, cuda):
    """Pinning applies to host memory, and forked workers cannot use CUDA: both are clear errors up front."""
    on_gpu = data.clone().to(cuda)  # PyG's Data.to moves in place
    with pytest.raises(ValueError, match="pin_memory"):
        NeighborLoader(on_gpu, [5], pin_memory=True)
    with pytest.raises(ValueError, match="num_workers"):
        NeighborLoader(on_gpu, [5], num_workers=2)
