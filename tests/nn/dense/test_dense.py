from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gnnlab.nn import MLP, AvgPool2d, Conv2d, LeNet5, MaxPool2d


def test_lenet5_has_61706_parameters_and_shapes():
    model = LeNet5()
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert model(torch.randn(3, 1, 32, 32)).shape == (3, 10)
    assert LeNet5(in_channels=3, num_classes=5)(torch.randn(2, 3, 32, 32)).shape == (2, 5)


def test_lenet5_uses_gnnlab_layers_and_checks_input():
    model = LeNet5()
    assert isinstance(model.conv1, Conv2d) and isinstance(model.pool1, MaxPool2d)
    assert isinstance(LeNet5(pooling="avg").pool2, AvgPool2d)
    with pytest.raises(ValueError, match=r"'LeNet5' expected 'x' of shape \(N, 1, 32, 32\)"):
        model(torch.randn(2, 1, 28, 28))


def test_conv2d_module_matches_torch_with_flipped_weights():
    torch.manual_seed(0)
    ours = Conv2d(3, 4, (3, 2), stride=2, padding=1)
    x = torch.randn(2, 3, 9, 8)
    expected = F.conv2d(x, ours.weight.flip(2, 3), ours.bias, stride=2, padding=1)
    torch.testing.assert_close(ours(x), expected)
    assert "flip_kernel=True" in repr(ours)


def test_conv2d_is_translation_equivariant():
    conv = Conv2d(1, 2, 3, padding=1, bias=False)
    x = torch.zeros(1, 1, 12, 12)
    x[0, 0, 4, 5] = 1.0
    shifted = torch.roll(x, shifts=(2, 3), dims=(2, 3))
    torch.testing.assert_close(conv(shifted), torch.roll(conv(x), shifts=(2, 3), dims=(2, 3)))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_matches_sequential(activation):
    torch.manual_seed(1)
    mlp = MLP(5, [7, 6], 3, activation=activation).eval()
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    x = torch.randn(4, 5)
    a, b, c = mlp.layers
    torch.testing.assert_close(mlp(x), c(act(b(act(a(x))))))
    assert MLP(5, [], 3)(x).shape == (4, 3)


@pytest.mark.parametrize("kwargs, name", [
    (dict(activation="gelu"), "'activation'"), (dict(dropout=1.0), "'dropout'"), (dict(dropout=-0.1), "'dropout'"),
])
def test_mlp_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"'MLP' expected {name}"):
        MLP(4, [3], 2, **kwargs)
