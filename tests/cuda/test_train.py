"""Training on CUDA: full-batch and mini-batch runs reach the accuracy they reach on the CPU, a checkpoint
written on CUDA resumes on the CPU, ``gnnlab compare --device cuda`` runs end to end, and DDP over nccl
trains in one process."""
from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from gnnlab.data import load_planetoid, synthetic_graph
from gnnlab.nn import GAT, GCN, GraphSAGE
from gnnlab.train import Checkpoint, fit_node_classifier

pytestmark = pytest.mark.cuda

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cora():
    return load_planetoid("cora")


def tensors_in(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from tensors_in(item)


# the CPU suite's settings (tests/nn/models/test_models.py) with floors 2 points lower: CUDA draws other
# dropout masks from the same seed
@pytest.mark.parametrize("cls, train, floor", [(GCN, {}, 0.78), (GAT, {"lr": 0.005, "epochs": 300}, 0.78)])
def test_full_batch_on_cuda_reaches_paper_accuracy(cora, cls, train, floor):
    torch.manual_seed(0)
    model = cls(cora.num_features, 7)
    history = fit_node_classifier(model, cora, device="cuda", seed=0, verbose=False, **train)
    assert history["device"].startswith("cuda")
    assert all(p.device.type == "cuda" for p in model.parameters())
    assert history["best_test_acc"] >= floor, history["best_test_acc"]


def test_mini_batch_on_cuda_learns(cora):
    """Batches sampled on the host, moved to the GPU; evaluation layer-wise on the GPU."""
    torch.manual_seed(0)
    model = GraphSAGE(cora.num_features, 7)
    history = fit_node_classifier(model, cora, epochs=50, batch_size=64, num_neighbors=[25, 10], device="cuda",
                                  seed=0, verbose=False)
    assert history["device"].startswith("cuda") and cora.x.device.type == "cpu"  # the caller's data stays put
    assert history["best_test_acc"] >= 0.76, history["best_test_acc"]
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_checkpoint_written_on_cuda_resumes_on_cpu(tmp_path):
    data = synthetic_graph(600, num_classes=4, num_features=16, seed=0)
    path = tmp_path / "run.ckpt"
    torch.manual_seed(0)
    model = GraphSAGE(16, 4, hidden_channels=16)
    fit_node_classifier(model, data, epochs=2, batch_size=64, num_neighbors=[5, 5], device="cuda", seed=0,
                        checkpoint=path, verbose=False)
    state = Checkpoint(path).load()
    assert all(t.device.type == "cpu" for t in tensors_in(state)), "Checkpoint.load maps to the CPU"
    assert state["rng"][0]["cuda"] is not None  # the CUDA generator was saved with the run
    torch.manual_seed(0)
    on_cpu = GraphSAGE(16, 4, hidden_channels=16)
    on_cpu.load_state_dict(state["model"])
    history = fit_node_classifier(on_cpu, data, epochs=4, batch_size=64, num_neighbors=[5, 5], device="cpu",
                                  seed=0, checkpoint=path, verbose=False)
    assert history["epochs_run"] == 4 and history["device"] == "cpu"
    assert all(p.device.type == "cpu" for p in on_cpu.parameters())
    assert history["train_loss"][:2] == state["history"]["train_loss"]  # the CUDA epochs are kept as they were


def test_gnnlab_compare_quick_on_cuda(tmp_path):
    command = [sys.executable, "-m", "gnnlab", "compare", "--quick", "--device", "cuda", "--datasets", "cora",
               "--seeds", "1", "--out-dir", str(tmp_path), "--run-name", "cuda", "--no-tsne", "--quiet"]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment, cwd=REPOSITORY)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(tmp_path / "cuda" / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    gnns = [row for row in rows if row["method"] in ("gcn", "sage", "gat", "ggnn")]
    assert gnns and all(row["device"].startswith("cuda") for row in gnns), rows


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _nccl_worker(rank: int, port: int, out: str) -> None:
    os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    import torch.distributed as dist

    from gnnlab.train.distributed import init_distributed

    device = init_distributed("nccl")
    try:
        data = synthetic_graph(600, num_classes=4, num_features=16, seed=0)
        torch.manual_seed(0)
        model = GraphSAGE(16, 4, hidden_channels=16)
        history = fit_node_classifier(model, data, batch_size=32, num_neighbors=[5, 5], epochs=3, seed=0,
                                      distributed=True, device=device, verbose=False)
        result = {"backend": dist.get_backend(), "device": str(device), "history_device": history["device"],
                  "train_loss": history["train_loss"], "val_acc": history["val_acc"],
                  "parameters_on": sorted({p.device.type for p in model.parameters()})}
        with open(out, "w") as handle:
            json.dump(result, handle)
    finally:
        dist.destroy_process_group()


def test_distributed_nccl_one_process(tmp_path):
    out = tmp_path / "nccl.json"
    mp.start_processes(_nccl_worker, args=(_free_port(), str(out)), nprocs=1, start_method="spawn")
    result = json.loads(out.read_text())
    assert result["backend"] == "nccl" and result["device"] == "cuda:0" and result["parameters_on"] == ["cuda"]
    assert len(result["train_loss"]) == 3 and result["train_loss"][-1] < result["train_loss"][0]
    assert result["val_acc"][-1] > 0.5


def test_link_prediction_on_cuda_matches_cpu_loss_and_learns():
    """The paper's whole-adjacency loss (a fused softplus on CUDA, the in-place one on the CPU) gives the same
    value and gradient on both, and a GAE trained on CUDA ranks hidden edges above non-edges."""
    from gnnlab.data import link_split
    from gnnlab.nn import GAE
    from gnnlab.nn.models.gae import adjacency_loss
    from gnnlab.train import fit_link_predictor

    data = synthetic_graph(400, num_classes=4, avg_degree=8, num_features=16, seed=0)
    train, val, test = link_split(data, val=0.1, test=0.2, seed=0)
    z = torch.randn(400, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 3
    losses, grads = [], []
    for device in ("cpu", "cuda"):
        leaf = z.clone().to(device).requires_grad_()  # a leaf on each device
        loss = adjacency_loss(leaf, train.edge_index.to(device))
        loss.backward()
        losses.append(float(loss.detach()))
        grads.append(leaf.grad.cpu())
    assert losses[1] == pytest.approx(losses[0], rel=1e-9)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-9, atol=1e-12)
    # Cora, as tests/train/test_link_prediction.py runs it on the CPU (AUC and AP > 0.87 at 100 epochs)
    train, val, test = link_split(load_planetoid("cora", normalize_features=False), seed=0)
    torch.manual_seed(0)
    model = GAE.with_gcn(train.num_features)
    history = fit_link_predictor(model, train, val, test, epochs=100, device="cuda", seed=0, verbose=False)
    assert all(p.device.type == "cuda" for p in model.parameters())
    assert history["best_test_auc"] > 0.85 and history["best_test_ap"] > 0.85, history["best_test_auc"]
