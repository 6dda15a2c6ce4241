r"""Data augmentation for image tensors (the notes, section 3.3), in plain PyTorch (no torchvision).

New training examples are made by transformations that should not change the label: a shift of a few
pixels, a small rotation, a little noise. Each function takes an ``(N, C, H, W)`` batch and a
``torch.Generator`` and transforms every image independently.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.utils.seed import make_generator
from gnnlab.utils.validation import check_number, check_positive_int, fail


def _check(who: str, images: Tensor) -> None:
    if not isinstance(images, Tensor) or images.dim() != 4 or not images.is_floating_point():
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        fail(who, "'images' as a floating tensor of shape (N, C, H, W)", shape)


def _rotate(images: Tensor, angle: Tensor) -> Tensor:
    r"""Rotate each image by its ``angle`` (radians) about the centre, bilinear, zero fill.

    ``affine_grid`` maps each output pixel to the input point it samples, in coordinates scaled to ``[-1, 1]``
    on each axis; the rotation is of pixel offsets from the centre, so on a non-square image the
    normalised matrix carries the aspect ratio: :math:`\begin{pmatrix}\cos & -\sin\,h/w \\ \sin\,w/h &
    \cos\end{pmatrix}`.
    """
    n, _, h, w = images.shape
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3, dtype=images.dtype, device=images.device)  # no translation column
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = cos, -sin * (h / w), sin * (w / h), cos
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def rotate(images: Tensor, degrees: Tensor | float) -> Tensor:
    r"""Rotate each image about its centre by ``degrees`` (one angle, or one per image), bilinear, zero fill.

    The output pixel at offset :math:`(u, v)` from the centre (columns, rows; pixel centres at half-integers)
    takes the input's value at :math:`(u\cos\alpha - v\sin\alpha,\; u\sin\alpha + v\cos\alpha)`,
    interpolated bilinearly between the four nearest pixels, zero outside. With rows counted downwards
    that turns the picture by :math:`\alpha` counter-clockwise on screen; ``degrees=90`` on a square image is
    ``torch.rot90(images, 1, dims=(2, 3))``.

    Args:
        images: a floating ``(N, C, H, W)`` batch.
        degrees: the angle :math:`\alpha` in degrees, a number or an ``(N,)`` tensor of one angle per image.

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H, W)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import rotate
        >>> images = torch.rand(2, 1, 8, 8)
        >>> torch.allclose(rotate(images, 90), torch.rot90(images, 1, dims=(2, 3)), atol=1e-5)
        True
        >>> rotate(images, torch.tensor([0.0, 45.0])).shape  # one angle per image
        torch.Size([2, 1, 8, 8])
    """
    _check("rotate", images)
    angle = torch.as_tensor(degrees, dtype=images.dtype, device=images.device).expand(images.size(0))
    return _rotate(images, angle * (math.pi / 180))


def random_shift(images: Tensor, max_shift: int, generator: torch.Generator | None = None) -> Tensor:
    r"""Shift each image by a whole number of pixels in ``[-max_shift, max_shift]`` on each axis (zero fill).

    Args:
        images: a floating ``(N, C, H, W)`` batch.
        max_shift: the largest shift in pixels, an int :math:`\ge 0` (0: no shift).
        generator: the ``torch.Generator`` the shifts are drawn from, on the CPU (default: PyTorch's global one).

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H, W)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import random_shift
        >>> images = torch.rand(4, 1, 8, 8)
        >>> shifted = random_shift(images, 2, generator=torch.Generator().manual_seed(0))
        >>> shifted.shape
        torch.Size([4, 1, 8, 8])
        >>> bool(torch.isin(shifted, torch.cat([images.flatten(), torch.zeros(1)])).all())  # pixels moved, or 0
        True
        >>> torch.equal(random_shift(images, 0), images)
        True
    """
    _check("random_shift", images)
    check_positive_int("random_shift", "max_shift", max_shift, minimum=0)
    n = images.size(0)
    shifts = torch.randint(-max_shift, max_shift + 1, (2, n), generator=generator).to(images)
    padded = F.pad(images, (max_shift,) * 4)
    h, w = images.shape[2:]
    rows = (torch.arange(h, device=images.device).view(1, h) + max_shift - shifts[1].long().view(n, 1))
    cols = (torch.arange(w, device=images.device).view(1, w) + max_shift - shifts[0].long().view(n, 1))
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    out = padded.permute(0, 2, 3, 1)[batch, rows.view(n, h, 1), cols.view(n, 1, w)]
    return out.permute(0, 3, 1, 2).contiguous()


def random_rotation(images: Tensor, max_degrees: float, generator: torch.Generator | None = None) -> Tensor:
    """:func:`rotate` each image by its own angle, uniform in ``[-max_degrees, max_degrees]``: the angles (in
    radians) are ``(2 * torch.rand(N, generator=generator) - 1) * math.radians(max_degrees)``.

    Args:
        images: a floating ``(N, C, H, W)`` batch.
        max_degrees: the largest angle in degrees, in ``[0, 180]``.
        generator: the ``torch.Generator`` the angles are drawn from, on the CPU (default: PyTorch's global one).

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H, W)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import random_rotation
        >>> images = torch.rand(4, 1, 8, 8)
        >>> random_rotation(images, 15.0, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([4, 1, 8, 8])
        >>> torch.allclose(random_rotation(images, 0.0), images, atol=1e-6)  # every angle is 0
        True
    """
    _check("random_rotation", images)
    check_number("random_rotation", "max_degrees", max_degrees, low=0.0, high=180.0)
    n = images.size(0)
    angle = (torch.rand(n, generator=generator) * 2 - 1).to(images) * math.radians(max_degrees)
    return _rotate(images, angle)


def gaussian_noise(images: Tensor, std: float, generator: torch.Generator | None = None) -> Tensor:
    """Add independent :math:`\\mathcal{N}(0, \\text{std}^2)` noise to every pixel, drawn on the generator's
    device (the images' device without a generator) and moved to the images.

    Args:
        images: a floating ``(N, C, H, W)`` batch.
        std: the noise's standard deviation, :math:`\\ge 0` (in the images' units).
        generator: the ``torch.Generator`` the noise is drawn from (default: PyTorch's global one).

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H, W)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import gaussian_noise
        >>> images = torch.rand(4, 1, 8, 8)
        >>> noisy = gaussian_noise(images, 0.1, generator=torch.Generator().manual_seed(0))
        >>> noisy.shape, noisy.dtype
        (torch.Size([4, 1, 8, 8]), torch.float32)
        >>> torch.equal(gaussian_noise(images, 0.0), images)
        True
    """
    _check("gaussian_noise", images)
    check_number("gaussian_noise", "std", std, low=0.0)
    device = images.device if generator is None else generator.device
    return images + std * torch.randn(images.shape, generator=generator, device=device).to(images)


class ImageAugmentation(nn.Module):
    """Shift, then rotate, then add noise, each with its own strength (0 turns it off); identity in eval mode.

    Args:
        max_shift: pixels.
        max_degrees: rotation angle bound.
        noise_std: standard deviation of the Gaussian noise.
        seed: seeds the module's own generators (the global ones are not touched): one on the CPU for the
            per-image shifts and angles, and for the per-pixel noise one on the images' device (the same CPU
            generator for CPU images), so that noise for GPU images is drawn on the GPU.

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H, W)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import ImageAugmentation
        >>> augment = ImageAugmentation(max_shift=2, max_degrees=10.0, noise_std=0.05, seed=0)
        >>> augment
        ImageAugmentation(max_shift=2, max_degrees=10.0, noise_std=0.05)
        >>> images = torch.rand(8, 1, 28, 28)
        >>> augment(images).shape
        torch.Size([8, 1, 28, 28])
        >>> _ = augment.eval()
        >>> augment(images) is images  # the identity in evaluation mode
        True
    """

    def __init__(self, max_shift: int = 2, max_degrees: float = 10.0, noise_std: float = 0.0,
                 seed: int | None = None) -> None:
        """See :class:`ImageAugmentation` for the arguments."""
        super().__init__()
        check_positive_int("ImageAugmentation", "max_shift", max_shift, minimum=0)
        check_number("ImageAugmentation", "max_degrees", max_degrees, low=0.0, high=180.0)
        check_number("ImageAugmentation", "noise_std", noise_std, low=0.0)
        self.max_shift, self.max_degrees, self.noise_std = max_shift, max_degrees, noise_std
        self.generator = make_generator(seed)
        self.seed = seed
        self._noise_generators: dict[torch.device, torch.Generator] = {torch.device("cpu"): self.generator}

    def _noise_generator(self, device: torch.device) -> torch.Generator:
        if device not in self._noise_generators:
            self._noise_generators[device] = make_generator(self.seed, device)
        return self._noise_generators[device]

    def forward(self, images: Tensor) -> Tensor:
        if not self.training:
            return images
        if self.max_shift > 0:
            images = random_shift(images, self.max_shift, self.generator)
        if self.max_degrees > 0:
            images = random_rotation(images, self.max_degrees, self.generator)
        if self.noise_std > 0:
            images = gaussian_noise(images, self.noise_std, self._noise_generator(images.device))
        return images

    def __repr__(self) -> str:
        return (f"ImageAugmentation(max_shift={self.max_shift}, max_degrees={self.max_degrees}, "
                f"noise_std={self.noise_std})")
