"""The global readouts against PyG's: values and gradients, with and without batch, with empty graphs."""
from __future__ import annotations

import pytest
import torch
import torch_geometric.nn as pyg

from gnnlab.nn import global_add_pool, global_max_pool, global_mean_pool
from gnnlab.nn.pool import global_add_pool as pool_add

OURS = {"add": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}
THEIRS = {"add": pyg.global_add_pool, "mean": pyg.global_mean_pool, "max": pyg.global_max_pool}


@pytest.mark.parametrize("kind", list(OURS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_to_pyg_with_gradients(kind, seed):
    generator = torch.Generator().manual_seed(seed)
    batch = torch.sort(torch.randint(0, 6, (40,), generator=generator)).values
    x = torch.randn(40, 5, generator=generator, dtype=torch.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_b = OURS[kind](xa, batch), THEIRS[kind](xb, batch)
    torch.testing.assert_close(out_a, out_b)
    (out_a.sin().sum()).backward()
    (out_b.sin().sum()).backward()
    torch.testing.assert_close(xa.grad, xb.grad)
    # more graphs than the batch names (trailing empty graphs), one graph, 1-D features
    torch.testing.assert_close(OURS[kind](x, batch, size=9), THEIRS[kind](x, batch, size=9))
    torch.testing.assert_close(OURS[kind](x), THEIRS[kind](x, None))
    torch.testing.assert_close(OURS[kind](x[:, 0]), THEIRS[kind](x[:, 0], None))
    torch.testing.assert_close(OURS[kind](x[:, 0], batch), THEIRS[kind](x[:, 0], batch))


def test_the_package_and_gnnlab_nn_export_the_same_functions():
    assert pool_add is global_add_pool


def test_bad_batch_is_named():
    expected = "'global_mean_pool' expected 'batch' to be an integer tensor of shape \\(4,\\)"
    with pytest.raises(ValueError, match=expected):
        global_mean_pool(torch.randn(4, 2), torch.tensor([0, 1]))
