"""Eidolon I/II/III: reconstruction, reach, coherence (Koenderink et al. 2017)."""

from __future__ import annotations

import numpy as np
import pytest

from stimuli.design import load_experiment
from stimuli.manipulations import eidolon, get_manipulation
from stimuli.manipulations.eidolon import EidolonParams


@pytest.fixture
def grey64(example_image) -> np.ndarray:
    grey = example_image @ np.array([0.2125, 0.7154, 0.0721])
    return grey[None, 80:144, 80:144].copy()


def test_scale_levels_follow_spec():
    levels = eidolon.scale_levels()
    assert levels[0] == pytest.approx(1 / np.sqrt(2)) and levels[-1] == pytest.approx(64.0)
    np.testing.assert_allclose(levels[1:] / levels[:-1], np.sqrt(2))
    assert len(levels) == 14


def test_condition_codes_parse():
    design = load_experiment("eidolonII")
    assert EidolonParams(**design.parameters_of("8-3-10")) == EidolonParams(8.0, 0.3, 10.0)
    assert load_experiment("eidolonIII").parameters_of("128-0-10")["coherence"] == 0.0


def test_dog_layers_sum_to_the_picture(grey64):
    fat, _ = eidolon.embed(grey64)
    layers = eidolon.dog_layers(fat, eidolon.scale_levels())
    np.testing.assert_allclose(sum(layers), fat, atol=1e-10)


@pytest.mark.parametrize("coherence", [1.0, 0.3, 0.0])
def test_negligible_reach_returns_the_image(coherence, grey64, rng):
    for reach in (0.0, 0.05):
        out = eidolon.disarray(grey64, EidolonParams(reach, coherence, 10.0), rng)
        np.testing.assert_allclose(out, grey64, atol=1e-10)


def test_without_residual_reach_zero_is_the_toolbox_blur(grey64, rng):
    out = eidolon.disarray(grey64, EidolonParams(0.0, 1.0, 10.0), rng, keep_residual=False)
    assert not np.allclose(out, grey64, atol=1e-3)
    assert np.abs(out - grey64).mean() < 0.05  # a blur by sigma 1/sqrt(2), not a new image


def fields(params: EidolonParams, seed: int = 0, n: int = 2, side: int = 128) -> np.ndarray:
    sigmas = eidolon.scale_levels()
    crop = slice(side // 4, 3 * side // 4)
    return eidolon.displacement_fields(
        np.random.default_rng(seed), n, (side, side), (crop, crop), sigmas, params)


def test_displacement_grows_linearly_with_reach():
    rms = [np.sqrt(np.mean(fields(EidolonParams(r, 0.3, 10.0)) ** 2)) for r in (1, 4, 16)]
    assert rms[1] == pytest.approx(4 * rms[0], rel=1e-5)
    assert rms[2] == pytest.approx(16 * rms[0], rel=1e-5)
    assert 0.2 < rms[0] < 1.5  # about toolbox size: a fraction of a pixel per unit reach


def test_image_change_grows_with_reach(example_image):
    image = np.ascontiguousarray(example_image[:128, :128])
    change = [
        np.abs(get_manipulation("eidolon")(image, np.random.default_rng(2), reach=r, coherence=0.3)
               - get_manipulation("colour")(image, greyscale=True)).mean()
        for r in (1, 4, 16, 64)
    ]
    assert change == sorted(change) and change[-1] > 3 * change[0]


def level_correlation(f: np.ndarray, a: int, b: int) -> float:
    x, y = f[a, 0].ravel(), f[b, 0].ravel()
    return float(np.corrcoef(x, y)[0, 1])


def test_coherent_fields_are_correlated_across_scales():
    f = fields(EidolonParams(1.0, 1.0, 10.0), n=4)
    assert level_correlation(f, 0, 1) > 0.9  # fine layers are dragged along together
    assert level_correlation(f, 0, 8) > 0.3
    # coarse-scale parts dominate at coarse levels: the coarsest field is smooth
    coarse = f[-1, 0, 0]
    assert np.abs(np.diff(coarse, axis=0)).mean() < 0.05 * coarse.std()


def test_incoherent_fields_are_independent_per_scale():
    f = fields(EidolonParams(1.0, 0.0, 10.0), n=4, side=512)
    r = [level_correlation(f, a, a + 1) for a in range(13)]
    assert np.mean(np.abs(r)) < 0.08  # sampling noise of smooth (grain 10) fields only


def mean_adjacent_correlation(coherence: float) -> float:
    f = fields(EidolonParams(1.0, coherence, 10.0), n=4, side=512)
    return float(np.mean([level_correlation(f, a, a + 1) for a in range(10)]))


def test_partial_coherence_is_in_between():
    # Coherence weights the coherent part c and the incoherent part 1 - c; the incoherent
    # fields (grain 10) are larger, so at 0.3 the fields are only weakly correlated.
    none, partial, full = (mean_adjacent_correlation(c) for c in (0.0, 0.3, 1.0))
    assert abs(none) < 0.04
    assert 0.02 < partial < 0.3
    assert full > 0.85


def test_same_seed_same_eidolon_different_seed_differs(grey64):
    p = EidolonParams(8.0, 0.3, 10.0)
    a = eidolon.disarray(grey64, p, np.random.default_rng(9))
    b = eidolon.disarray(grey64, p, np.random.default_rng(9))
    c = eidolon.disarray(grey64, p, np.random.default_rng(10))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("sigma", [1 / np.sqrt(2), 2.0, 10.0])
def test_frequency_domain_noise_has_the_statistics_of_blurred_white_noise(sigma):
    """Noise drawn in the frequency domain (band only) vs real white noise, rfft, blur."""
    from scipy import fft

    shape, n = (64, 64), 100
    gen = np.random.default_rng(0)
    ours = fft.irfft2(eidolon._blurred_noise(gen, n, shape, sigma), s=shape)
    white = gen.standard_normal((n, *shape)) * eidolon.NOISE_SCALE
    plain = fft.irfft2(fft.rfft2(white) * eidolon.gaussian_transfer(shape, sigma), s=shape)
    assert ours.std() == pytest.approx(plain.std(), rel=0.03)
    def neighbour_correlation(field: np.ndarray, axis: int) -> float:  # smoothness
        first = field.take(range(63), axis=axis).ravel()
        second = field.take(range(1, 64), axis=axis).ravel()
        return float(np.corrcoef(first, second)[0, 1])

    for axis in (1, 2):
        assert neighbour_correlation(ours, axis) == pytest.approx(
            neighbour_correlation(plain, axis), abs=0.02)


def test_large_batches_are_chunked_with_the_same_result(grey64):
    batch = np.repeat(grey64, eidolon.CHUNK + 2, axis=0)
    p = EidolonParams(16.0, 0.3, 10.0)
    whole = eidolon.disarray(batch, p, np.random.default_rng(1))
    gen = np.random.default_rng(1)
    parts = [eidolon.disarray(batch[:eidolon.CHUNK], p, gen),
             eidolon.disarray(batch[eidolon.CHUNK:], p, gen)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))
    assert not np.array_equal(whole[0], whole[1])  # each image has its own fields
