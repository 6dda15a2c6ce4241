from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gnnlab.nn.manual import TwoLayerNet


def test_hand_written_gradients_equal_autograd_in_float64():
    net = TwoLayerNet(7, 5, 4, seed=0, dtype=torch.float64)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(11, 7, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 4, (11,), generator=generator)
    grads = net.backward(net.forward(x), y)

    params = {k: v.clone().requires_grad_(True) for k, v in net.params.items()}
    hidden = torch.sigmoid(x @ params["W1"].t() + params["b1"])
    loss = F.cross_entropy(hidden @ params["W2"].t() + params["b2"], y)
    reference = torch.autograd.grad(loss, list(params.values()))
    for (name, expected) in zip(params, reference):
        torch.testing.assert_close(grads[name], expected, atol=1e-10, rtol=0)
    torch.testing.assert_close(net.loss(net.forward(x), y), loss.detach(), atol=1e-12, rtol=0)


@pytest.mark.training
@pytest.mark.parametrize("batch_size", [None, 1, 16])
def test_batch_stochastic_and_minibatch_descent_reduce_the_loss(batch_size):
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(120, 4, generator=generator)
    y = (x[:, 0] + x[:, 1] > 0).long()
    net = TwoLayerNet(4, 8, 2, seed=0)
    history = net.fit(x, y, epochs=30, lr=0.5 if batch_size else 2.0, batch_size=batch_size, seed=0)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert net.score(x, y) > 0.9


def test_bad_arguments():
    net = TwoLayerNet(4, 3, 2)
    with pytest.raises(ValueError, match="'TwoLayerNet.fit' expected 'lr'"):
        net.fit(torch.randn(5, 4), torch.zeros(5, dtype=torch.long), lr=-1.0)
    with pytest.raises(ValueError, match=r"'TwoLayerNet.fit' expected 'x' of shape \(N, 4\)"):
        net.fit(torch.randn(5, 3), torch.zeros(5, dtype=torch.long))
