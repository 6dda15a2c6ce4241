"""Devices and seeds on CUDA: ``resolve_device`` and ``seed_everything(deterministic=True)``, whose runs must
repeat bit for bit (in a fresh process each, since it switches PyTorch to deterministic kernels globally)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gnnlab.utils import make_generator, resolve_device

pytestmark = pytest.mark.cuda

REPOSITORY = Path(__file__).resolve().parents[2]

# Two trainings of every model, walks and a skip-gram fit in one process after seed_everything(0, True); prints
# for each whether the second run gave exactly the first's result.
DETERMINISM_SCRIPT = r"""
import json, torch
from gnnlab.data import load_planetoid
from gnnlab.embedding import random_walks, train_skipgram
from gnnlab.nn import GAT, GCN, GGNN, GraphSAGE
from gnnlab.train import fit_node_classifier
from gnnlab.utils import seed_everything

seed_everything(0, deterministic=True)
data = load_planetoid("cora")
same = {}
for cls in (GCN, GraphSAGE, GAT, GGNN):
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = cls(data.num_features, 7)
        history = fit_node_classifier(model, data, epochs=20, device="cuda", seed=0, verbose=False)
        runs.append(([p.detach().cpu() for p in model.parameters()], history["train_loss"]))
    same[cls.__name__] = runs[0][1] == runs[1][1] and all(torch.equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))
runs = []
for _ in range(2):
    walks = random_walks(data.edge_index.cuda(), data.num_nodes, walk_length=20, walks_per_node=2, p=0.5, q=2.0,
                         seed=0)
    vectors = train_skipgram(walks, data.num_nodes, dimensions=16, seed=0)[0]
    runs.append((walks.cpu(), vectors.cpu()))
same["walks"] = torch.equal(runs[0][0], runs[1][0])
same["skipgram"] = torch.equal(runs[0][1], runs[1][1])
print(json.dumps(same))
"""


def test_seed_everything_deterministic_repeats_on_cuda():
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")])}
    environment.pop("CUBLAS_WORKSPACE_CONFIG", None)  # seed_everything must set it itself
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", DETERMINISM_SCRIPT], capture_output=True, text=True,
                          timeout=600, env=environment, cwd=REPOSITORY)
    assert done.returncode == 0, done.stderr[-3000:]
    same = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(same.values()), f"not repeated bit for bit: {[name for name, ok in same.items() if not ok]}"


def test_resolve_device_on_cuda():
    current = torch.device("cuda", torch.cuda.current_device())
    assert resolve_device("auto") == current and resolve_device("cuda") == current  # indexed, as tensors are
    assert torch.zeros(1, device="cuda").device == resolve_device("cuda")
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    count = torch.cuda.device_count()
    with pytest.raises(ValueError, match=f"cuda:0..cuda:{count - 1}"):
        resolve_device(f"cuda:{count}")


def test_make_generator_on_cuda():
    first, second = make_generator(3, "cuda"), make_generator(3, "cuda")
    assert first.device.type == "cuda"
    a = torch.rand(5, device="cuda", generator=first)
    assert a.device.type == "cuda" and torch.equal(a, torch.rand(5, device="cuda", generator=second))
