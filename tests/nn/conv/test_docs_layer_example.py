"""The docs' "Writing your own layer" example (docs/own-layer.md) runs as written and computes what it says."""
from __future__ import annotations

import re
from pathlib import Path

import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

PAGE = Path(__file__).resolve().parents[3] / "docs" / "own-layer.md"


def _example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1, "the page holds one complete example"
    return blocks[0]


def test_the_docs_layer_example_runs_and_equals_pyg_gcn():
    namespace: dict = {}
    exec(compile(_example(), str(PAGE), "exec"), namespace)
    out, conv, data = namespace["out"], namespace["conv"], namespace["data"]
    assert out.shape == (34, 4) and namespace["messages"].shape == (3, 4)
    reference = PyGGCNConv(data.num_features, 4, bias=False)
    reference.lin.weight.data.copy_(conv.lin.weight.data)
    torch.testing.assert_close(out, reference(data.x, data.edge_index), atol=1e-5, rtol=1e-5)
    expected = conv.lin(data.x)[[0, 5, 33]]
    torch.testing.assert_close(namespace["messages"], expected)
