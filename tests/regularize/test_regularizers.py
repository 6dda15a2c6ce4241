from __future__ import annotations

import math

import pytest
import torch

from gnnlab.regularize import (
    Dropout,
    Ensemble,
    ImageAugmentation,
    gaussian_noise,
    random_rotation,
    random_shift,
    rotate,
)


def test_dropout_module_train_and_eval():
    layer = Dropout(0.25)
    x = torch.ones(100_000)
    out = layer(x)
    assert abs(float((out == 0).float().mean()) - 0.25) < 0.01
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="'Dropout' expected 'p'"):
        Dropout(1.0)


def test_random_shift_moves_pixels_by_whole_steps():
    image = torch.zeros(50, 1, 9, 9)
    image[:, 0, 4, 4] = 1.0
    shifted = random_shift(image, 2, torch.Generator().manual_seed(0))
    rows, cols = torch.nonzero(shifted[:, 0], as_tuple=True)[1:]
    assert shifted.sum(dim=(1, 2, 3)).eq(1).all()  # the pixel stays inside, unchanged
    assert ((rows - 4).abs() <= 2).all() and ((cols - 4).abs() <= 2).all()
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5  # different images, different shifts


def _reference_rotation(image: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotation of one (C, H, W) image by explicit loops in float64: each output pixel centre, as an offset
    (u, v) from the image centre, reads the input at (u cos - v sin, u sin + v cos), bilinearly, zero outside."""
    channels, height, width = image.shape
    angle = math.radians(degrees)
    source = image.double()
    out = torch.zeros(channels, height, width, dtype=torch.float64)
    for row in range(height):
        for col in range(width):
            u, v = col + 0.5 - width / 2, row + 0.5 - height / 2
            x = u * math.cos(angle) - v * math.sin(angle) + width / 2 - 0.5
            y = u * math.sin(angle) + v * math.cos(angle) + height / 2 - 0.5
            x0, y0 = math.floor(x), math.floor(y)
            for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
                r, c = y0 + dy, x0 + dx
                if 0 <= r < height and 0 <= c < width:
                    weight = (1 - abs(x - c)) * (1 - abs(y - r))
                    out[:, row, col] += weight * source[:, r, c]
    return out


@pytest.mark.parametrize("height, width", [(9, 9), (7, 12)])
def test_rotate_matches_a_reference_rotation_of_pixel_offsets(height, width):
    images = torch.rand(3, 2, height, width, generator=torch.Generator().manual_seed(0))
    degrees = torch.tensor([-35.0, 10.0, 90.0])
    rotated = rotate(images, degrees)
    for image, angle, result in zip(images, degrees.tolist(), rotated):
        torch.testing.assert_close(result.double(), _reference_rotation(image, angle), atol=1e-5, rtol=0)
    square = images[..., :height, :height]
    torch.testing.assert_close(rotate(square, 90.0), torch.rot90(square, 1, dims=(2, 3)), atol=1e-5, rtol=0)


def test_random_rotation_turns_each_image_by_its_documented_angle():
    images = torch.rand(5, 1, 8, 10, generator=torch.Generator().manual_seed(3))
    rotated = random_rotation(images, 30.0, torch.Generator().manual_seed(4))
    degrees = (2 * torch.rand(5, generator=torch.Generator().manual_seed(4)) - 1) * 30.0
    assert degrees.abs().min() > 1.0  # every image really turns
    for image, angle, result in zip(images, degrees.tolist(), rotated):
        torch.testing.assert_close(result.double(), _reference_rotation(image, angle), atol=1e-5, rtol=0)


def test_rotation_by_zero_is_identity_and_small_angle_keeps_centre():
    image = torch.rand(4, 2, 16, 16)
    torch.testing.assert_close(random_rotation(image, 0.0), image, atol=1e-5, rtol=0)
    rotated = random_rotation(image, 15.0, torch.Generator().manual_seed(1))
    assert rotated.shape == image.shape
    torch.testing.assert_close(rotated[..., 7:9, 7:9].mean(), image[..., 7:9, 7:9].mean(), atol=0.1, rtol=0)


def test_gaussian_noise_std():
    noisy = gaussian_noise(torch.zeros(1, 1, 200, 200), 0.3, torch.Generator().manual_seed(2))
    assert abs(float(noisy.std()) - 0.3) < 0.01


def test_augmentation_module_only_in_training():
    augment = ImageAugmentation(max_shift=1, max_degrees=5, noise_std=0.1, seed=0)
    x = torch.rand(3, 1, 8, 8)
    assert not torch.equal(augment(x), x)
    augment.eval()
    assert augment(x) is x
    with pytest.raises(ValueError, match="'random_shift' expected 'images'"):
        random_shift(torch.rand(8, 8), 1)


@pytest.mark.parametrize("strengths", [(2, 10.0, 0.0), (1, 5.0, 0.1), (0, 5.0, 0.1), (1, 0.0, 0.1), (1, 5.0, 0.0)])
def test_augmentation_module_is_shift_then_rotation_then_noise(strengths):
    """The module equals the three functions applied in its documented order with one generator; a zero
    strength skips that step without drawing from the generator."""
    max_shift, max_degrees, noise_std = strengths
    x = torch.rand(4, 1, 9, 7)
    out = ImageAugmentation(max_shift, max_degrees, noise_std, seed=3)(x)
    assert torch.equal(out, _steps_in_order(x, strengths, torch.Generator().manual_seed(3)))


def _steps_in_order(x, strengths, generator):
    """The reference: shift, rotation, noise, each only at a non-zero strength, all from ``generator``."""
    max_shift, max_degrees, noise_std = strengths
    expected = x
    if max_shift:
        expected = random_shift(expected, max_shift, generator)
    if max_degrees:
        expected = random_rotation(expected, max_degrees, generator)
    if noise_std:
        expected = gaussian_noise(expected, noise_std, generator)
    return expected


def test_augmentation_module_defaults():
    augment = ImageAugmentation()
    assert (augment.max_shift, augment.max_degrees, augment.noise_std) == (2, 10.0, 0.0)


class _Fixed(torch.nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = torch.tensor(logits)

    def forward(self, x):
        return self.logits.expand(x.size(0), -1)


def test_ensemble_mean_and_vote():
    members = [_Fixed([2.0, 0.0, 0.0]), _Fixed([0.0, 0.1, 0.0]), _Fixed([0.0, 0.1, 0.0])]
    x = torch.zeros(2, 1)
    mean = Ensemble(members, "mean")(x)
    expected = torch.stack([torch.softmax(m.logits, 0) for m in members]).mean(0)
    torch.testing.assert_close(mean[0], expected)
    assert int(mean[0].argmax()) == 0  # one confident member outweighs two hesitant ones
    assert int(Ensemble(members, "vote")(x)[0].argmax()) == 1  # but loses the vote
    with pytest.raises(ValueError, match="'Ensemble' expected 'combine'"):
        Ensemble(members, "max")


@pytest.mark.parametrize("strengths", [(1, 0.5, 0.0), (0, 0.0, 0.05), (2, 10.0, 0.0)])
def test_augmentation_module_over_several_batches_draws_only_for_its_steps(strengths):
    """Batch after batch the module equals its steps applied with one generator: a small angle (under one
    degree) still rotates, and a zero strength draws nothing, so later batches are not shifted in the stream."""
    max_shift, max_degrees, noise_std = strengths
    batches = torch.rand(3, 2, 1, 8, 6, generator=torch.Generator().manual_seed(5))
    augment = ImageAugmentation(max_shift, max_degrees, noise_std, seed=9)
    generator = torch.Generator().manual_seed(9)
    for x in batches:
        assert torch.equal(augment(x), _steps_in_order(x, strengths, generator))


@pytest.mark.parametrize("kwargs, name", [
    (dict(max_shift=-1), "max_shift"), (dict(max_degrees=-1.0), "max_degrees"), (dict(max_degrees=180.5), "max_degrees"),
    (dict(noise_std=-0.1), "noise_std"),
])
def test_augmentation_module_rejects_bad_strengths(kwargs, name):
    with pytest.raises(ValueError, match=f"'ImageAugmentation' expected '{name}'"):
        ImageAugmentation(**kwargs)


def test_ensemble_repr():
    members = [_Fixed([1.0, 0.0]), _Fixed([0.0, 1.0])]
    assert repr(Ensemble(members)) == "Ensemble(2 models, combine='mean')"
    assert repr(Ensemble(members, "vote")) == "Ensemble(2 models, combine='vote')"


def test_random_shift_draws_every_whole_shift_in_the_square_equally_often():
    """Shifts are uniform on {-max_shift..max_shift}² (both signs, both ends): a single lit pixel, 2500 images."""
    image = torch.zeros(2500, 1, 7, 7)
    image[:, 0, 3, 3] = 1.0
    shifted = random_shift(image, 2, torch.Generator().manual_seed(1))
    assert shifted.sum(dim=(1, 2, 3)).eq(1).all()
    rows, cols = torch.nonzero(shifted[:, 0], as_tuple=True)[1:]
    counts = torch.bincount((rows - 1) * 5 + (cols - 1), minlength=25)
    assert counts.numel() == 25 and counts.min() > 60 and counts.max() < 140  # 100 expected, sd about 10


def test_random_shift_by_zero_is_the_identity():
    images = torch.rand(3, 2, 5, 4)
    assert torch.equal(random_shift(images, 0, torch.Generator().manual_seed(0)), images)


@pytest.mark.parametrize("call, name", [
    (lambda: random_shift(torch.rand(2, 1, 4, 4), -1), "'random_shift' expected 'max_shift'"),
    (lambda: gaussian_noise(torch.rand(2, 1, 4, 4), -0.1), "'gaussian_noise' expected 'std'"),
    (lambda: gaussian_noise(torch.rand(4, 4), 0.1), "'gaussian_noise' expected 'images'"),
    (lambda: random_rotation(torch.rand(2, 1, 4, 4), -1.0), "'random_rotation' expected 'max_degrees'"),
    (lambda: random_rotation(torch.rand(2, 1, 4, 4), 180.5), "'random_rotation' expected 'max_degrees'"),
    (lambda: random_rotation(torch.rand(4, 4), 5.0), "'random_rotation' expected 'images'"),
    (lambda: Dropout(-0.1), "'Dropout' expected 'p'"),
    (lambda: Ensemble([]), "'Ensemble' expected 'models' to hold at least one model"),
])
def test_bad_arguments_name_the_function_and_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_dropout_defaults_to_half_and_keeps_zero():
    assert repr(Dropout()) == "Dropout(p=0.5)"
    x = torch.ones(10)
    assert torch.equal(Dropout(0.0)(x), x)


def test_ensemble_vote_scores_are_vote_shares_with_ties_to_the_higher_mean_probability():
    # two members vote for class 0, two for class 1; class 1's voters are the more confident
    members = [_Fixed([1.0, 0.0, 0.0]), _Fixed([1.0, 0.0, 0.0]), _Fixed([0.0, 3.0, 0.0]), _Fixed([0.0, 3.0, 0.0])]
    x = torch.zeros(3, 1)
    mean = Ensemble(members)(x)
    assert mean[0, 1] > mean[0, 0]
    votes = Ensemble(members, "vote")(x)
    torch.testing.assert_close(votes, torch.tensor([[0.5, 0.5, 0.0]]).expand(3, -1), atol=1e-5, rtol=0)
    assert votes.argmax(-1).tolist() == [1, 1, 1]


def test_rotations_of_float64_images_keep_float64_precision():
    images = torch.rand(2, 1, 7, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    for image, result in zip(images, rotate(images, 33.3)):
        assert result.dtype == torch.float64
        torch.testing.assert_close(result, _reference_rotation(image, 33.3), atol=1e-9, rtol=0)
    rotated = random_rotation(images, 40.0, torch.Generator().manual_seed(2))
    # the documented angles, in float64 from the float32 uniform draws
    radians = (torch.rand(2, generator=torch.Generator().manual_seed(2)) * 2 - 1).double() * math.radians(40.0)
    for image, angle, result in zip(images, radians.tolist(), rotated):
        torch.testing.assert_close(result, _reference_rotation(image, math.degrees(angle)), atol=1e-9, rtol=0)


@pytest.mark.parametrize("transform, who", [
    (lambda x: rotate(x, 10.0), "rotate"), (lambda x: random_shift(x, 1), "random_shift"),
    (lambda x: random_rotation(x, 10.0), "random_rotation"), (lambda x: gaussian_noise(x, 0.1), "gaussian_noise"),
])
def test_a_non_tensor_is_a_value_error_naming_the_function(transform, who):
    with pytest.raises(ValueError, match=rf"'{who}' expected 'images' as a floating tensor of shape \(N, C, H, W\)"):
        transform([[0.0, 1.0]])
