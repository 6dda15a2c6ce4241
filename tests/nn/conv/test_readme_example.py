"""The README's "Writing your own layer" example runs as written and computes what it says."""
from __future__ import annotations

import re
from pathlib import Path

import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

README = Path(__file__).resolve().parents[3] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Writing your own layer", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section holds one complete example"
    return blocks[0]


def test_readme_layer_example_runs_and_equals_pyg_gcn():
    namespace: dict = {}
    exec(compile(_example(), str(README), "exec"), namespace)
    out, conv, data = namespace["out"], namespace["conv"], namespace["data"]
    assert out.shape == (34, 4) and namespace["messages"].shape == (3, 4)
    reference = PyGGCNConv(data.num_features, 4, bias=False)
    reference.lin.weight.data.copy_(conv.lin.weight.data)
    torch.testing.assert_close(out, reference(data.x, data.edge_index), atol=1e-5, rtol=1e-5)
    expected = conv.lin(data.x)[[0, 5, 33]]
    torch.testing.assert_close(namespace["messages"], expected)
