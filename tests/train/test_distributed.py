"""Data-parallel training with torch.distributed: two gloo processes on CPU."""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from gnnlab.data import NeighborLoader, synthetic_graph
from gnnlab.nn import GraphSAGE
from gnnlab.train import fit_node_classifier

WORLD_SIZE = 2


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD_SIZE)
    torch.set_num_threads(1)
    data = synthetic_graph(600, num_classes=4, num_features=16, seed=0)
    torch.manual_seed(0)  # the same initial weights on every rank
    model = GraphSAGE(16, 4, hidden_channels=16, dropout=0.0)

    # one step by hand: each rank's own gradient, and the gradient DDP leaves after the all-reduce
    seeds = data.train_mask.nonzero().view(-1)[rank::WORLD_SIZE][:32]
    batch = NeighborLoader(data, [5, 5], seed=rank).sample(seeds)
    local = copy.deepcopy(model)
    F.cross_entropy(local(batch.x, batch.edge_index)[:32], batch.y[:32]).backward()
    parallel = DistributedDataParallel(copy.deepcopy(model))
    F.cross_entropy(parallel(batch.x, batch.edge_index)[:32], batch.y[:32]).backward()

    history = fit_node_classifier(model, data, batch_size=32, num_neighbors=[5, 5], epochs=4, seed=0,
                                  distributed=True, device="cpu", verbose=False)
    # interrupted after 2 epochs and resumed to 4: the same as the 4 epochs above, on every rank
    checkpoint = f"{out_dir}/ddp.ckpt"
    for epochs in (2, 4):
        torch.manual_seed(0)
        resumed = GraphSAGE(16, 4, hidden_channels=16, dropout=0.0)
        resumed_history = fit_node_classifier(resumed, data, batch_size=32, num_neighbors=[5, 5], epochs=epochs,
                                              seed=0, distributed=True, device="cpu", verbose=False,
                                              checkpoint=checkpoint)
    torch.save({"local_grads": [p.grad for p in local.parameters()],
                "resumed_state": resumed.state_dict(), "resumed_loss": resumed_history["train_loss"],
                "synced_grads": [p.grad for p in parallel.module.parameters()],
                "state": model.state_dict(), "train_loss": history["train_loss"],
                "val_acc": history["val_acc"]}, f"{out_dir}/rank{rank}.pt")
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    mp.start_processes(_worker, args=(str(folder / "store"), str(folder)), nprocs=WORLD_SIZE, start_method="spawn")
    return [torch.load(folder / f"rank{r}.pt", weights_only=True) for r in range(WORLD_SIZE)]


def test_gradients_are_averaged_over_ranks(results):
    first, second = results
    assert any(not torch.allclose(a, b) for a, b in zip(first["local_grads"], second["local_grads"]))
    for a, b, local_a, local_b in zip(first["synced_grads"], second["synced_grads"], first["local_grads"],
                                      second["local_grads"]):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
        torch.testing.assert_close(a, (local_a + local_b) / 2, atol=1e-6, rtol=1e-5)


def test_parameters_identical_on_every_rank_and_loss_falls(results):
    first, second = results
    for name, value in first["state"].items():
        assert torch.equal(value, second["state"][name]), name
    assert first["train_loss"] == second["train_loss"]
    assert first["train_loss"][-1] < first["train_loss"][0] - 0.1
    assert first["val_acc"][-1] > 0.5


def test_resume_from_checkpoint_on_two_ranks(results):
    for result in results:
        assert result["resumed_loss"] == result["train_loss"]
        for name, value in result["state"].items():
            assert torch.equal(value, result["resumed_state"][name]), name


def test_cli_launches_torchrun(tmp_path):
    out = tmp_path / "history.json"
    run = subprocess.run([sys.executable, "-m", "gnnlab", "train", "sage", "--distributed", "--nproc-per-node", "2",
                          "--batch-size", "70", "--epochs", "3", "--quiet", "--out", str(out)],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.count("test accuracy") == 1  # rank 0 alone prints
    result = json.loads(out.read_text())
    assert result["world_size"] == 2 and len(result["history"]["train_loss"]) == 3


def test_distributed_module_refuses_to_run_outside_torchrun(monkeypatch):
    from gnnlab.train.distributed import init_distributed

    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="torchrun"):
        init_distributed()
