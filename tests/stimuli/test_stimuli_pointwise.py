"""Grey, colour, contrast, uniform noise, salt-and-pepper, rotation, none: the formulas of
Geirhos et al. 2018, Methods."""

from __future__ import annotations

import numpy as np
import pytest

from lab.design import load_experiment
from stimuli.manipulations import apply_condition, get_manipulation


def grey_of(image: np.ndarray) -> np.ndarray:
    return 0.2125 * image[..., 0] + 0.7154 * image[..., 1] + 0.0721 * image[..., 2]


def test_grey_uses_rgb2gray_weights_on_encoded_values():
    image = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.4, 0.6]]])
    out = get_manipulation("colour")(image, greyscale=True)
    np.testing.assert_allclose(out[0, :, 0], [0.2125, 0.7154, 0.0721,
                                              0.2125 * 0.2 + 0.7154 * 0.4 + 0.0721 * 0.6])


def test_colour_cr_is_identity(example_image):
    assert np.array_equal(get_manipulation("colour")(example_image, greyscale=False), example_image)


@pytest.mark.parametrize("code,c", [("c100", 1.0), ("c50", 0.5), ("c10", 0.1), ("c01", 0.01)])
def test_contrast_scales_about_half_not_mean(code, c):
    assert load_experiment("contrast").parameters_of(code) == {"contrast": c}
    image = np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.8, 0.8, 0.8]]])
    out = get_manipulation("contrast")(image, contrast=c)[0, :, 0]
    np.testing.assert_allclose(out, c * np.array([0.0, 1.0, 0.8]) + (1 - c) / 2)
    # hand value: c05 of 0.2 grey = 0.05 * 0.2 + 0.475 = 0.485
    out = apply_condition(load_experiment("contrast"), np.full((1, 1, 3), 0.2), "c05")
    assert out[0, 0, 0] == pytest.approx(0.485)


def test_uniform_noise_bounds_and_distribution(rng):
    image = np.full((200, 200, 3), 0.5)
    out = get_manipulation("uniform-noise")(image, rng, width=0.35)[..., 0]
    noise = out - 0.5  # contrast 0.3 of 0.5 is 0.5; 0.5 +- 0.35 never clips
    assert noise.min() >= -0.35 and noise.max() <= 0.35
    assert noise.min() < -0.34 and noise.max() > 0.34
    assert noise.mean() == pytest.approx(0.0, abs=0.005)
    assert noise.std() == pytest.approx(0.35 / np.sqrt(3), rel=0.02)  # uniform SD
    hist, _ = np.histogram(noise, bins=7, range=(-0.35, 0.35))
    assert hist.min() > 0.9 * hist.mean()  # flat


def test_uniform_noise_applies_contrast_first_and_clips(rng):
    image = np.ones((50, 50, 3))
    clean = get_manipulation("uniform-noise")(image, rng, width=0)
    np.testing.assert_allclose(clean, 0.3 * 1.0 + 0.35)
    noisy = get_manipulation("uniform-noise")(image, rng, width=0.9)
    assert noisy.max() == 1.0 and noisy.min() == 0.0  # 0.65 +- 0.9 clips both ends


@pytest.mark.parametrize("p", [0.1, 0.5, 0.95])
def test_salt_and_pepper_fractions(p, rng):
    image = np.full((300, 300, 3), 0.5)
    out = get_manipulation("salt-and-pepper")(image, rng, probability=p)[..., 0]
    assert (out == 1.0).mean() == pytest.approx(p / 2, abs=0.01)
    assert (out == 0.0).mean() == pytest.approx(p / 2, abs=0.01)
    rest = out[(out != 0.0) & (out != 1.0)]
    np.testing.assert_allclose(rest, 0.5)  # contrast 0.3 of 0.5


def test_rotation_90_is_counter_clockwise():
    image = np.zeros((3, 5, 3))
    image[0, 4] = 1.0  # top-right corner
    out = get_manipulation("rotation")(image, degrees=90)[..., 0]
    assert out.shape == (5, 3)
    assert out[0, 0] == pytest.approx(1.0)  # top-right goes to top-left
    out180 = get_manipulation("rotation")(image, degrees=180)[..., 0]
    assert out180[2, 0] == pytest.approx(1.0)
    out270 = get_manipulation("rotation")(image, degrees=270)[..., 0]
    assert out270[4, 2] == pytest.approx(1.0)


def test_none_is_identity(example_image):
    assert np.array_equal(get_manipulation("none")(example_image), example_image)
