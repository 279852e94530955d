"""Critical-band masking: the noise lies in the octave its code names, its SD is the level,
the image is at contrast 0.2 about its mean, and the set is seeded like every other."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab.design import load_experiment
from lab.errors import LabInputError
from stimuli.manipulations import apply_condition, get_manipulation
from stimuli.manipulations.bandpass import (
    BANDS,
    CRITICAL_BAND_CODES,
    band_centre,
    band_noise,
    parse_band_code,
)


def radial_power(noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Power of every FFT coefficient of ``(N, H, W)`` noise and its radial frequency in
    cycles per image (independent of the implementation's own mask)."""
    _, h, w = noise.shape
    power = (np.abs(np.fft.fft2(noise, axes=(1, 2))) ** 2).sum(axis=0)
    fy = np.fft.fftfreq(h) * h
    fx = np.fft.fftfreq(w) * w
    return power, np.hypot(fy[:, None], fx[None, :])


@pytest.mark.parametrize("band", BANDS)
def test_noise_spectrum_lies_in_the_octave_it_names(band):
    noise = band_noise((4, 224, 224), band=band, noise_sd=0.08,
                       rng=np.random.default_rng(band))
    power, radius = radial_power(noise)
    centre = band_centre(band)
    inside = (radius >= centre / math.sqrt(2)) & (radius < centre * math.sqrt(2))
    assert power[~inside].sum() < 1e-20 * power.sum()  # nothing outside, to rounding
    # the octave is filled, not just a ring: power in both halves of the octave
    lower = inside & (radius < centre)
    assert power[lower].sum() > 0.1 * power.sum()
    assert power[inside & ~lower].sum() > 0.1 * power.sum()
    # the power-weighted geometric mean frequency is near the named centre
    log_f = np.log2(radius[inside])
    mean_octave = (power[inside] * log_f).sum() / power[inside].sum()
    assert abs(mean_octave - math.log2(centre)) < 0.2


@pytest.mark.parametrize("sd", [0.02, 0.04, 0.08, 0.16])
def test_noise_sd_is_the_level(sd):
    noise = band_noise((3, 224, 224), band=4, noise_sd=sd, rng=np.random.default_rng(7))
    np.testing.assert_allclose(noise.std(axis=(1, 2)), sd, rtol=1e-12)
    np.testing.assert_allclose(noise.mean(axis=(1, 2)), 0.0, atol=1e-12)


def test_manipulated_image_is_contrast_02_about_its_mean_plus_the_noise():
    rng = np.random.default_rng(3)
    image = np.repeat(rng.uniform(0.35, 0.65, (224, 224, 1)), 3, axis=-1)
    grey = image[..., 0]
    design = load_experiment("critical-band-ideal")
    control = apply_condition(design, image, "0", np.random.default_rng(0))[..., 0]
    np.testing.assert_allclose(control, grey.mean() + 0.2 * (grey - grey.mean()), atol=1e-12)
    noisy = apply_condition(design, image, "b2-0.04", np.random.default_rng(5))[..., 0]
    added = noisy - control  # contrast 0.2 of [0.35, 0.65] plus SD 0.04 noise: no clipping
    assert added.std() == pytest.approx(0.04, rel=1e-9)
    expected = band_noise((1, 224, 224), band=2, noise_sd=0.04, rng=np.random.default_rng(5))
    np.testing.assert_allclose(added, expected[0], atol=1e-12)
    again = get_manipulation("critical-band-ideal")(image, np.random.default_rng(5), band=2,
                                              noise_sd=0.04)
    assert np.array_equal(noisy, again[..., 0])  # seeded; the code is these parameters


def test_codes_parse_to_band_and_level():
    assert parse_band_code("0") == (None, 0.0)
    assert parse_band_code("b6-0.16") == (6, 0.16)
    assert [band_centre(k) for k in BANDS] == [1.75, 3.5, 7, 14, 28, 56, 112]
    with pytest.raises(ValueError, match="critical-band condition"):
        parse_band_code("b3")
    assert len(CRITICAL_BAND_CODES) == 29
    assert all(parse_band_code(c) for c in CRITICAL_BAND_CODES)


def test_design_is_band_by_level_with_a_shared_control():
    design = load_experiment("critical-band-ideal")
    assert design.conditions == CRITICAL_BAND_CODES
    assert design.image_size == 224 and design.conditions[0] == "0"
    for code in design.conditions:
        band, sd = parse_band_code(code)
        assert design.level_of(code) == sd
        assert design.parameters_of(code)["noise_sd"] == sd
        if band is not None:
            assert design.parameters_of(code)["band"] == band
    bands = {parse_band_code(c)[0] for c in design.conditions[1:]}
    assert bands == set(BANDS)


def test_band_beyond_a_small_image_and_bad_parameters_are_refused_in_one_line():
    with pytest.raises(LabInputError, match="holds no frequency of a 32x32 image"):
        band_noise((1, 32, 32), band=6, noise_sd=0.1, rng=np.random.default_rng(0))
    image = np.full((224, 224, 3), 0.5)
    with pytest.raises(LabInputError, match="band 7: must be one of 0-6"):
        get_manipulation("critical-band-ideal")(image, band=7, noise_sd=0.02)
    with pytest.raises(LabInputError, match="noise_sd -0.1: must be 0 or more"):
        get_manipulation("critical-band-ideal")(image, band=3, noise_sd=-0.1)
