"""Low-pass and high-pass (Geirhos et al. 2018, Methods)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from stimuli.manipulations import get_manipulation


def grey_of(image):
    return 0.2125 * image[..., 0] + 0.7154 * image[..., 1] + 0.0721 * image[..., 2]


@pytest.mark.parametrize("sigma", [1.0, 5.0, 40.0])
def test_low_pass_equals_scipy_gaussian_with_constant_border(sigma, example_image):
    out = get_manipulation("low-pass")(example_image, sigma=sigma)[..., 0]
    expected = gaussian_filter(grey_of(example_image), sigma, mode="constant",
                               cval=0.4423)
    np.testing.assert_allclose(out, np.clip(expected, 0, 1), atol=1e-12)


def test_low_pass_border_is_pulled_to_background():
    out = get_manipulation("low-pass")(np.ones((64, 64, 3)), sigma=10)[..., 0]
    assert out[32, 32] == pytest.approx(1.0, abs=3e-3)
    assert out[0, 0] < 0.75  # corner mixes with the 0.4423 outside


def test_low_pass_zero_is_grey(example_image):
    np.testing.assert_allclose(get_manipulation("low-pass")(example_image, sigma=0)[..., 0],
                               grey_of(example_image))


@pytest.mark.parametrize("sigma", [3.0, 0.4])
def test_high_pass_formula_and_mean(sigma, example_image):
    grey = grey_of(example_image)
    detail = grey - gaussian_filter(grey, sigma, mode="constant", cval=0.4423)
    expected = np.clip(detail + (0.4423 - detail.mean()), 0, 1)
    out = get_manipulation("high-pass")(example_image, sigma=sigma)[..., 0]
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert out.mean() == pytest.approx(0.4423, abs=0.01)


def test_high_pass_inf_is_grey(example_image):
    np.testing.assert_allclose(get_manipulation("high-pass")(example_image, sigma=np.inf)[..., 0],
                               grey_of(example_image))


@pytest.mark.parametrize("sigma", [0.4, 3.0, 15.0])
def test_both_filter_paths_equal_scipy_on_a_float32_batch(sigma, rng):
    from stimuli.manipulations.filters import blur, convolution_matrix

    grey = rng.random((3, 40, 56)).astype(np.float32)
    expected = gaussian_filter(grey.astype(np.float64), (0, sigma, sigma), mode="constant",
                               cval=0.4423)
    out = blur(grey, sigma)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, atol=2e-6)
    rows, cols = convolution_matrix(40, sigma), convolution_matrix(56, sigma)
    gemm = np.matmul(rows, (grey - 0.4423) @ cols.T) + 0.4423  # the wide-kernel path
    np.testing.assert_allclose(gemm, expected, atol=2e-6)
