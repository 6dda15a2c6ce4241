"""``experiments/graph_reference.py``: its reference GIN (Errica et al.'s, on PyG's layers) differs from gnnlab's
GIN only by the MLP on the input (checked with copied weights), and the script runs the protocol end to end."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Batch

from gnnlab.data import load_tu
from gnnlab.nn.models import GIN
from tests.conftest import load_script

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "experiments" / "graph_reference.py"


@pytest.fixture(scope="module")
def script():
    return load_script(SCRIPT)


@pytest.mark.parametrize("readout", ["sum", "mean"])
def test_the_reference_is_gnnlab_gin_after_an_input_mlp(script, readout):
    torch.manual_seed(0)
    batch = Batch.from_data_list(list(load_tu("MUTAG")[:6]))
    reference = script.ErricaGIN(7, 2, hidden_channels=8, num_layers=3, readout=readout).double().eval()
    ours = GIN(8, 2, hidden_channels=8, num_layers=3, readout=readout).double().eval()
    for conv, theirs in zip(ours.convs, reference.convs):
        conv.nn.load_state_dict(theirs.nn.state_dict())
    for prediction, theirs in zip(ours.predictions, reference.predictions):
        prediction.load_state_dict(theirs.state_dict())
    x = batch.x.double()
    expected = ours(reference.first(x), batch.edge_index, batch.batch)
    if readout == "sum":  # their input prediction is pooled after its bias: once per node
        expected = expected + (torch.bincount(batch.batch)[:, None] - 1) * reference.predictions[0].bias
    torch.testing.assert_close(reference(x, batch.edge_index, batch.batch), expected, atol=1e-12, rtol=0)


def test_the_script_prints_both_models_per_fold(tmp_path):
    out = tmp_path / "reference.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--dataset", "mutag", "--folds", "0", "--epochs", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| model | fold 0 | mean |" in done.stdout and "| gin-pyg | " in done.stdout
    assert out.is_file() and '"gin"' in out.read_text()
