"""The reference model of ``experiments/gnn_accuracy.py`` (``gat-pyg``) is gnnlab's GAT built from PyG's layers."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from gnnlab.nn import GAT

SCRIPT = Path(__file__).parents[2] / "experiments" / "gnn_accuracy.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("gnn_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pyg_reference_gat_equals_gnnlab_gat_with_the_same_weights(script, cora):
    torch.manual_seed(0)
    reference = script.PyGGAT(cora.num_features, 7)
    ours = GAT(cora.num_features, 7)
    ours.load_state_dict({key.replace("conv1.", "convs.0.").replace("conv2.", "convs.1."): value
                          for key, value in reference.state_dict().items()})
    reference.eval()
    ours.eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(cora.x, cora.edge_index), reference(cora.x, cora.edge_index),
                                   atol=1e-5, rtol=1e-5)
    # in training mode the reference drops out: its outputs differ from evaluation's
    reference.train()
    assert not torch.allclose(reference(cora.x, cora.edge_index), reference.eval()(cora.x, cora.edge_index))


def test_reference_is_not_run_by_default(script):
    assert "gat-pyg" in script.SETTINGS and "gat-pyg" not in script.DEFAULT_MODELS
    assert script.SETTINGS["gat-pyg"][2] == {**script.SETTINGS["gat"][2], "sparse": False}
