"""Regularisers on CUDA: augmentation draws its per-pixel noise on the GPU, repeats for a seed, and stays an
identity in evaluation mode."""
from __future__ import annotations

import pytest
import torch

from gnnlab.regularize import ImageAugmentation

pytestmark = pytest.mark.cuda


def test_image_augmentation_on_cuda(cuda):
    images = torch.rand(64, 1, 28, 28, device=cuda)
    first = ImageAugmentation(max_shift=2, max_degrees=10, noise_std=0.1, seed=0)
    second = ImageAugmentation(max_shift=2, max_degrees=10, noise_std=0.1, seed=0)
    out = first(images)
    assert out.device == images.device and out.shape == images.shape
    assert torch.equal(out, second(images))  # the same seed, the same shifts, angles and noise
    assert cuda in first._noise_generators  # the noise came from a generator on the GPU
    noise_only = ImageAugmentation(max_shift=0, max_degrees=0, noise_std=0.1, seed=1)
    noise = noise_only(images) - images
    assert abs(float(noise.mean())) < 0.01 and float(noise.std()) == pytest.approx(0.1, rel=0.05)
    first.eval()
    assert first(images) is images
