"""The authors' critical-band stimulus (Subramanian et al. 2023, ``methods.py``
``solomon_filter``): checked against a direct use of pyrtools on the same noise, and the
out-of-range rule (nothing outside [0, 1], nothing clipped)."""

from __future__ import annotations

import numpy as np
import pytest

from lab.design import load_experiment
from lab.errors import LabInputError
from stimuli.manipulations import apply_condition, get_manipulation
from stimuli.manipulations.critical_band import (
    IMAGENET_MEAN,
    OutOfRange,
    luma_uint8,
    place_in_range,
    pyramid_band,
    solomon_stimulus,
)

pt = pytest.importorskip("pyrtools")


def direct_band(noise: np.ndarray, k: int) -> np.ndarray:
    """Band k straight from pyrtools, written out from the authors' description."""
    pyr = pt.pyramids.LaplacianPyramid(noise)
    r = pyr.recon_pyr(levels=[6 - k])
    r0 = pyr.recon_pyr(levels=[0])
    return r * np.sqrt(np.mean(r0 ** 2)) / np.sqrt(np.mean(r ** 2))


@pytest.mark.parametrize("k", range(7))
def test_band_equals_pyrtools_on_the_same_noise(k):
    noise = np.random.default_rng(k).standard_normal((224, 224)) * 0.08
    ours = pyramid_band(noise, k)
    np.testing.assert_allclose(ours, direct_band(noise, k), rtol=0, atol=1e-15)
    pyr = pt.pyramids.LaplacianPyramid(noise)
    assert pyr.num_scales == 7 and pyr.pyr_size[(6, 0)] == (4, 4)
    if k == 6:  # the finest level is its own reference: factor 1
        np.testing.assert_array_equal(ours, pyr.recon_pyr(levels=0))


def test_stimulus_is_the_authors_steps_in_range_and_float32():
    rng = np.random.default_rng(1)
    grey = rng.integers(60, 200, (224, 224)).astype(np.uint8)  # no pixel leaves [0, 1]
    out = solomon_stimulus(grey, band=3, noise_sd=0.04, rng=np.random.default_rng(9))
    assert out.dtype == np.float32
    x = grey / 255.0
    x = (x - x.mean()) * 0.2 + 0.449
    noise = np.random.default_rng(9).standard_normal((224, 224)) * 0.04
    expected = (x + direct_band(noise, 3)).astype(np.float32)
    np.testing.assert_array_equal(out, expected)
    control = solomon_stimulus(grey, band=5, noise_sd=0.0, rng=np.random.default_rng(9))
    assert control.mean() == pytest.approx(IMAGENET_MEAN, abs=1e-6)
    np.testing.assert_array_equal(control, x.astype(np.float32))


def test_out_of_range_pixels_are_shifted_or_redrawn_never_clipped():
    image = np.full((4, 4), 0.449)
    image[0, 0] = 0.249
    noise = np.zeros((4, 4))
    noise[0, 0] = -1.0   # y < 0 and 0.1 + 1.0 > 1: image kept, noise redrawn
    noise[1, 1] = -0.5   # y < 0: image moved so that y = 0.1
    noise[2, 2] = 0.6    # y > 1: image moved so that y = 0.9
    noise[3, 3] = 0.3    # in range: untouched
    kept = image + noise
    record = OutOfRange()
    y = place_in_range(image.copy(), noise.copy(), 0.16, np.random.default_rng(0), record)
    assert y.min() >= 0 and y.max() <= 1
    assert y[1, 1] == pytest.approx(0.1, abs=1e-15) and y[2, 2] == pytest.approx(0.9, abs=1e-15)
    assert 0 <= y[0, 0] <= 1 and y[0, 0] != 0.0  # not clipped to the bound
    assert y[3, 3] == kept[3, 3]
    mask = np.ones((4, 4), bool)
    mask[[0, 1, 2], [0, 1, 2]] = False
    np.testing.assert_array_equal(y[mask], kept[mask])
    assert (record.shifted, record.redrawn) == (2, 1)


def test_strong_noise_on_a_real_image_stays_in_range_without_clipping():
    from stimuli_helpers import REPO

    from lab.images import load_rgb
    image = load_rgb(REPO / "stimuli" / "data" / "example_image.png", 224)
    grey = luma_uint8(image[None])[0]
    x = grey / 255.0
    x = (x - x.mean()) * 0.2 + 0.449
    for k in (0, 6):
        record = OutOfRange()
        out = solomon_stimulus(grey, band=k, noise_sd=0.16, rng=np.random.default_rng(k),
                               record=record)
        assert out.min() >= 0 and out.max() <= 1
        # a clipped image would hold pixels exactly at 0 or 1
        assert not np.any(out == 0) and not np.any(out == 1)
        noise = pyramid_band(np.random.default_rng(k).standard_normal((224, 224)) * 0.16, k)
        raw = x + noise
        inside = (raw >= 0) & (raw <= 1)
        np.testing.assert_array_equal(out[inside], raw[inside].astype(np.float32))
        assert record.shifted + record.redrawn == int((~inside).sum())


def test_design_and_manipulation_use_the_pyramid_and_pil_luma():
    design = load_experiment("critical-band")
    assert design.manipulation == "critical-band"
    rgb = np.random.default_rng(2).random((224, 224, 3))
    out = apply_condition(design, rgb, "b2-0.08", np.random.default_rng(4))
    grey = luma_uint8(rgb)
    from PIL import Image
    pil = np.asarray(Image.fromarray(np.rint(rgb * 255).astype(np.uint8)).convert("L"))
    np.testing.assert_array_equal(grey, pil)
    expected = solomon_stimulus(grey, band=2, noise_sd=0.08, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(out[..., 0], expected)


def test_small_images_and_bad_parameters_are_refused_in_one_line():
    with pytest.raises(LabInputError, match="7 bands need at least 7"):
        pyramid_band(np.zeros((32, 32)), 3)
    image = np.full((224, 224, 3), 0.5)
    m = get_manipulation("critical-band")
    with pytest.raises(LabInputError, match="band 7: must be one of 0-6"):
        m(image, band=7, noise_sd=0.02)
    with pytest.raises(LabInputError, match="can leave"):
        m(image, band=1, noise_sd=0.02, contrast=0.9)
