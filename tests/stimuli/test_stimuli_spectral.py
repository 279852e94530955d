"""Phase noise (Hermitian default vs the original quirk) and power equalisation."""

from __future__ import annotations

import numpy as np
import pytest

from lab.errors import LabInputError
from stimuli.data_files import mean_power_spectrum
from stimuli.manipulations import get_manipulation, spectral


def low_contrast_grey(example_image: np.ndarray) -> np.ndarray:
    """A grey 224 px image squeezed to [0.4, 0.6] so phase noise rarely clips."""
    grey = 0.2125 * example_image[..., 0] + 0.7154 * example_image[..., 1] \
        + 0.0721 * example_image[..., 2]
    grey = 0.4 + 0.2 * (grey - grey.min()) / (grey.max() - grey.min())
    return np.repeat(grey[..., None], 3, axis=-1)


def amplitude_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """Mean |F(after)| / |F(before)| over all non-DC frequencies."""
    fa, fb = np.abs(np.fft.fft2(after)), np.abs(np.fft.fft2(before))
    mask = np.ones_like(fa, dtype=bool)
    mask[0, 0] = False
    return float(np.mean(fa[mask] / fb[mask]))


@pytest.mark.parametrize("width", [30.0, 90.0, 180.0])
def test_phase_noise_keeps_amplitude_spectrum(width, example_image, rng):
    image = low_contrast_grey(example_image)
    raw = spectral.phase_noise(image[None], rng, width=width)[0]
    np.testing.assert_allclose(np.abs(np.fft.fft2(raw)), np.abs(np.fft.fft2(image[..., 0])),
                               rtol=1e-8, atol=1e-8)
    assert not np.allclose(raw, image[..., 0])  # the phases did change


def test_hermitian_noise_is_odd_and_within_width(rng):
    noise = spectral.hermitian_phase_noise((2, 8, 6), 90.0, rng)
    mirrored = noise[:, (-np.arange(8)) % 8][:, :, (-np.arange(6)) % 6]
    np.testing.assert_array_equal(noise, -mirrored)
    assert np.abs(noise).max() <= np.pi / 2
    assert noise[0, 0, 0] == 0.0 and noise[0, 4, 3] == 0.0  # self-conjugate frequencies


@pytest.mark.parametrize("width,factor", [(30.0, 0.98), (90.0, 0.81), (180.0, 0.64)])
def test_original_phase_noise_shrinks_amplitude_by_documented_factor(width, factor,
                                                                     example_image, rng):
    image = low_contrast_grey(example_image)
    raw = spectral.phase_noise_original(image[None], rng, width=width)[0]
    assert amplitude_ratio(image[..., 0], raw) == pytest.approx(factor, abs=0.02)


def test_phase_noise_zero_is_grey_and_public_output_is_clipped_raw(example_image):
    m = get_manipulation("phase-noise")
    grey = low_contrast_grey(example_image)
    np.testing.assert_allclose(m(grey, width=0), grey)
    raw = spectral.phase_noise(example_image[None], np.random.default_rng(3), width=150.0)[0]
    np.testing.assert_allclose(m(example_image, np.random.default_rng(3), width=150)[..., 1],
                               np.clip(raw, 0, 1))


def test_power_equalisation_sets_amplitude_to_mean_spectrum(example_image):
    raw = spectral.power_equalisation(example_image[None], None, equalise=True)[0]
    amplitude = np.fft.fftshift(np.abs(np.fft.fft2(raw)))
    np.testing.assert_allclose(amplitude, mean_power_spectrum(), rtol=1e-6)
    # the phase of the grey image is kept
    grey = example_image @ np.array([0.2125, 0.7154, 0.0721])
    phase_in, phase_out = np.angle(np.fft.fft2(grey)), np.angle(np.fft.fft2(raw))
    np.testing.assert_allclose(np.exp(1j * phase_out), np.exp(1j * phase_in), atol=1e-6)


def test_power_equalisation_0_is_grey_and_other_sizes_are_refused(example_image):
    m = get_manipulation("power-equalisation")
    out = m(example_image, equalise=False)
    np.testing.assert_allclose(out[..., 0], example_image @ np.array([0.2125, 0.7154, 0.0721]))
    with pytest.raises(LabInputError, match="224x224.*resize"):
        m(np.zeros((256, 256, 3)), equalise=True)


def test_half_plane_fft_equals_full_fft_with_the_same_shifts(example_image):
    grey = example_image @ np.array([0.2125, 0.7154, 0.0721])
    shifts = spectral.hermitian_phase_noise((1, 224, 224), 120.0, np.random.default_rng(4))
    full = np.fft.ifft2(np.fft.fft2(grey) * np.exp(1j * shifts[0]))
    assert np.abs(full.imag).max() < 1e-12  # Hermitian: the inverse is real
    raw = spectral.phase_noise(example_image[None], np.random.default_rng(4), width=120.0)[0]
    np.testing.assert_allclose(raw, full.real, atol=1e-12)
