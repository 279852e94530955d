"""Eidolon I/II/III: the toolbox's construction, reach, coherence (Koenderink et al. 2017).

The tests marked "toolbox" compare with the original Eidolon toolbox as the 2018 code
called it (``../shared/reference/eidolon-toolbox``) and skip where it is absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import fft

from benchmarks.eidolon_reference import (
    fine_detail,
    load_toolbox,
    mean_abs_difference,
    our_grid,
    sample_pictures,
    toolbox_grid,
)
from lab.design import load_experiment
from lab.errors import LabInputError
from stimuli.manipulations import eidolon, get_manipulation
from stimuli.manipulations.eidolon import SHARP, TOOLBOX


@pytest.fixture
def grey64(example_image) -> np.ndarray:
    grey = example_image @ np.array([0.2125, 0.7154, 0.0721])
    return grey[None, 80:144, 80:144].copy()


@pytest.fixture(scope="module")
def toolbox():
    wrapper = load_toolbox()
    if wrapper is None:
        pytest.skip("the Eidolon toolbox is not at ../shared/reference/eidolon-toolbox")
    return wrapper


def test_scale_levels_are_the_2018_wrappers():
    levels = TOOLBOX.levels()  # picture levels 1/sqrt(2) .. 32 px; noise scaled by s / 64
    assert len(levels) == 12 and eidolon.NOISE_SIGMA_MAX == 64.0
    assert levels[0] == pytest.approx(1 / np.sqrt(2)) and levels[-1] == pytest.approx(32.0)
    np.testing.assert_allclose(levels[1:] / levels[:-1], np.sqrt(2))
    assert len(SHARP.levels()) == 14 and SHARP.levels()[-1] == pytest.approx(64.0)


def test_condition_codes_map_to_numbers_in_the_designs():
    design = load_experiment("eidolonII")
    assert design.manipulation == "eidolon"  # the toolbox variant
    assert design.parameters_of("8-3-10") == {"reach": 8.0, "coherence": 0.3, "grain": 10.0}
    assert load_experiment("eidolonIII").parameters_of("128-0-10")["coherence"] == 0.0


@pytest.mark.parametrize("name", ["eidolon", "eidolon-sharp"])
@pytest.mark.parametrize("params,match", [
    ({"reach": -1.0, "coherence": 0.3}, "reach -1.0: must be 0 or more"),
    ({"reach": 8.0, "coherence": 1.5}, r"coherence 1.5: must be in \[0, 1\]"),
    ({"reach": 8.0, "coherence": 0.3, "grain": 0.0}, "grain 0.0: must be more than 0"),
])
def test_bad_parameters_are_refused_in_one_line(name, params, match):
    with pytest.raises(LabInputError, match=match):
        get_manipulation(name)(np.zeros((8, 8, 3)), np.random.default_rng(0), **params)


def test_grey_is_pillows_rec601_as_in_the_wrapper(rng):
    rgb8 = rng.integers(0, 256, size=(40, 30, 3), dtype=np.uint8)
    pil = np.asarray(Image.fromarray(rgb8).convert("L"))
    ours = eidolon.grey_pil(rgb8[None] / 255.0)[0] * 255
    np.testing.assert_allclose(ours, pil, atol=1e-9)


def test_slanted_blur_moves_the_left_half_of_the_kernel_down_one_row():
    shape, sigma = (32, 32), 1.5
    kernel = fft.irfft2(eidolon.slanted_transfer(shape, sigma), s=shape)
    offsets = np.r_[0:17, -15:0]
    g = np.exp(-offsets**2 / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
    intended = g[:, None] * g[None, :]
    expected = intended.copy()
    left = offsets < 0
    expected[:, left] = np.roll(intended[:, left], 1, axis=0)
    np.testing.assert_allclose(kernel, expected, atol=1e-12)


def test_dog_layers_sum_to_the_blurred_or_the_whole_picture(grey64):
    fat, _ = eidolon.embed(grey64)
    toolbox = eidolon.dog_layers(fat, TOOLBOX.levels(), TOOLBOX)
    g0 = fft.irfft2(fft.rfft2(fat) * eidolon.slanted_transfer(fat.shape[1:], 2**-0.5),
                    s=fat.shape[1:])
    assert len(toolbox) == 12
    np.testing.assert_allclose(sum(toolbox), g0, atol=1e-10)
    sharp = eidolon.dog_layers(fat, SHARP.levels(), SHARP)
    assert len(sharp) == 15
    np.testing.assert_allclose(sum(sharp), fat, atol=1e-10)


@pytest.mark.parametrize("coherence", [1.0, 0.3, 0.0])
def test_negligible_reach_returns_the_image_sharp_or_blurred(coherence, grey64, rng):
    p = {"coherence": coherence, "grain": 10.0, "rng": rng}
    for reach in (0.0, 0.05):
        out = eidolon.disarray(grey64, reach=reach, **p, variant=SHARP)
        np.testing.assert_allclose(out, grey64, atol=1e-10)
    # the toolbox's synthesis blurs by sigma 1/sqrt(2) (and floors its 8-bit output)
    out = eidolon.disarray(grey64, reach=0.0, **p, variant=TOOLBOX)
    assert not np.allclose(out, grey64, atol=1e-3)
    assert 0.002 < np.abs(out - grey64).mean() < 0.05


def test_toolbox_truncates_displacements_sharp_rounds(grey64):
    fat, corner = eidolon.embed(grey64)
    fields = np.full((12, 2, 1, 64, 64), -0.1, dtype=np.float32)  # a tenth of a pixel up-left
    layers = eidolon.dog_layers(fat, TOOLBOX.levels(), TOOLBOX)
    moved = eidolon.synthesize(layers, fields, corner, TOOLBOX)
    still = eidolon.synthesize(layers, np.zeros_like(fields), corner, TOOLBOX)
    np.testing.assert_allclose(moved[0, 1:, 1:], still[0, :-1, :-1], atol=1e-12)  # 1 px
    sharp_layers = eidolon.dog_layers(fat, SHARP.levels(), SHARP)
    sharp = eidolon.synthesize(sharp_layers, np.full((14, 2, 1, 64, 64), -0.1), corner, SHARP)
    np.testing.assert_allclose(sharp, grey64, atol=1e-10)


def test_toolbox_output_is_floored_to_8_bits_by_the_writers_rounding(grey64):
    fat, corner = eidolon.embed(grey64)
    layers = eidolon.dog_layers(fat, TOOLBOX.levels(), TOOLBOX)
    fields = np.zeros((12, 2, 1, 64, 64))
    out = eidolon.synthesize(layers, fields, corner, TOOLBOX)
    exact = eidolon.synthesize(layers, fields, corner, eidolon.EidolonVariant(
        **{**TOOLBOX.__dict__, "floor_output": False}))
    written = np.floor(np.clip(out, 0, 1) * 255 + 0.5)
    np.testing.assert_array_equal(written, np.floor(np.clip(exact, 0, 1) * 255))


def test_white_noise_sd_has_the_distribution_of_127_5_over_the_maximum():
    gen = np.random.default_rng(5)
    size = 500
    drawn = eidolon.white_noise_sd(gen, 4000, size)
    simulated = 127.5 / np.abs(gen.standard_normal((4000, size))).max(axis=1)
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(drawn, q) == pytest.approx(np.quantile(simulated, q), rel=0.01)
    # on the 512 x 512 plane of a 256 px picture: 127.5 / 4.69 (the median maximum)
    median = np.median(eidolon.white_noise_sd(gen, 1000, 512 * 512))
    assert median == pytest.approx(27.2, rel=0.01)


def test_noise_offset_is_the_toolboxs_c_minus_mean_over_sd():
    gen = np.random.default_rng(3)
    for shape in ((32, 32), (32, 31)):
        planes = gen.standard_normal((3, *shape)) + 0.3
        spectrum = fft.rfft2(planes)
        eidolon._subtract_mean_over_sd(spectrum, spectrum.shape[-1], shape[0] * shape[1],
                                       nyquist=shape[1] % 2 == 0)
        expected = planes - (planes.mean(axis=(1, 2)) / planes.std(axis=(1, 2)))[:, None, None]
        np.testing.assert_allclose(fft.irfft2(spectrum, s=shape), expected, atol=1e-6)


def fields(coherence: float, seed: int = 0, n: int = 2, side: int = 128,
           reach: float = 1.0) -> np.ndarray:
    crop = slice(side // 4, 3 * side // 4)
    return eidolon.displacement_fields(
        np.random.default_rng(seed), n, (side, side), (crop, crop), TOOLBOX.levels(),
        reach=reach, coherence=coherence, grain=10.0)


def test_displacement_grows_linearly_with_reach():
    rms = [np.sqrt(np.mean(fields(0.3, reach=r) ** 2)) for r in (1, 4, 16)]
    assert rms[1] == pytest.approx(4 * rms[0], rel=1e-5)
    assert rms[2] == pytest.approx(16 * rms[0], rel=1e-5)
    assert 0.2 < rms[0] < 1.5  # toolbox size: a fraction of a pixel per unit reach


def test_image_change_grows_with_reach(example_image):
    image = np.ascontiguousarray(example_image[:128, :128])
    grey = eidolon.grey_pil(image[None])[0]
    change = [
        np.abs(get_manipulation("eidolon")(image, np.random.default_rng(2), reach=r,
                                           coherence=0.3)[..., 0] - grey).mean()
        for r in (1, 4, 16, 64)
    ]
    assert change == sorted(change) and change[-1] > 3 * change[0]


def level_correlation(f: np.ndarray, a: int, b: int) -> float:
    x, y = f[a, 0].ravel(), f[b, 0].ravel()
    return float(np.corrcoef(x, y)[0, 1])


def test_coherent_fields_are_correlated_across_scales():
    f = fields(1.0, n=4)
    assert level_correlation(f, 0, 1) > 0.9  # fine layers are dragged along together
    assert level_correlation(f, 0, 8) > 0.3
    # coarse-scale parts dominate at coarse levels: the coarsest field is smooth
    coarse = f[-1, 0, 0]
    assert np.abs(np.diff(coarse, axis=0)).mean() < 0.05 * coarse.std()


def test_incoherent_fields_are_independent_per_scale():
    f = fields(0.0, n=4, side=512)
    r = [level_correlation(f, a, a + 1) for a in range(11)]
    assert np.mean(np.abs(r)) < 0.08  # sampling noise of smooth (grain 10) fields only


def test_partial_coherence_is_in_between():
    # Coherence weights the coherent part c and the incoherent part 1 - c; the incoherent
    # fields (grain 10, about 0.76 px per unit reach) are larger than the coherent ones
    # (about 0.4 px), so at 0.3 (eidolon II) the fields are hardly correlated across
    # scales (predicted 0.05 at the finest levels), at 0.6 clearly.
    none, partial, more, full = (
        np.mean([level_correlation(f, a, a + 1) for a in range(10)])
        for f in (fields(c, n=4, side=256) for c in (0.0, 0.3, 0.6, 1.0)))
    assert abs(none) < 0.04 and abs(partial) < 0.1
    assert 0.12 < more < 0.4
    assert full > 0.85


@pytest.mark.parametrize("variant", ["toolbox", "sharp"])
def test_same_seed_same_eidolon_different_seed_differs(variant, example_image):
    batch = example_image[None, :64, :64]
    p = {"reach": 8.0, "coherence": 0.3, "grain": 10.0, "variant": variant}
    a = eidolon.eidolon(batch, **p, rng=np.random.default_rng(9))
    b = eidolon.eidolon(batch, **p, rng=np.random.default_rng(9))
    c = eidolon.eidolon(batch, **p, rng=np.random.default_rng(10))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_registered_variants_differ_as_documented(example_image):
    image = np.ascontiguousarray(example_image[:96, :96])
    grey = eidolon.grey_pil(image[None])[0]
    p = {"reach": 1.0, "coherence": 1.0}
    toolbox = get_manipulation("eidolon")(image, np.random.default_rng(4), **p)[..., 0]
    sharp = get_manipulation("eidolon-sharp")(image, np.random.default_rng(4), **p)
    assert fine_detail(sharp[..., 0], grey) > 1.3 * fine_detail(toolbox, grey)


def test_a_design_can_use_the_sharp_variant(tmp_path, example_image):
    """A copy of eidolonII.toml with ``manipulation = "eidolon-sharp"`` is a valid design
    whose stimuli render through the builder's per-image path (load, resize, seed)."""
    from lab.design import EXPERIMENTS_DIR, load_design_file
    from stimuli.builder import render_stimulus

    text = (EXPERIMENTS_DIR / "eidolonII.toml").read_text()
    assert 'manipulation = "eidolon"' in text
    toml = tmp_path / "eidolonII-sharp.toml"
    toml.write_text(text.replace('manipulation = "eidolon"', 'manipulation = "eidolon-sharp"')
                    .replace('name = "eidolonII"', 'name = "eidolonII-sharp"'))
    design = load_design_file(toml)
    path = tmp_path / "in.png"
    Image.fromarray(np.round(example_image * 255).astype(np.uint8)).save(path)
    a = render_stimulus(path, design, "8-3-10", seed=3)
    assert a.shape == (256, 256, 3) and np.array_equal(a, render_stimulus(path, design,
                                                                           "8-3-10", seed=3))
    assert not np.array_equal(a, render_stimulus(path, "eidolonII", "8-3-10", seed=3))


@pytest.mark.parametrize("sigma", [1 / np.sqrt(2), 2.0, 10.0])
def test_frequency_domain_noise_has_the_statistics_of_blurred_white_noise(sigma):
    """Noise drawn in the frequency domain (band only) vs real white noise, rfft, blur."""
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
    p = {"reach": 16.0, "coherence": 0.3, "grain": 10.0}
    whole = eidolon.disarray(batch, **p, rng=np.random.default_rng(1))
    gen = np.random.default_rng(1)
    parts = [eidolon.disarray(batch[:eidolon.CHUNK], **p, rng=gen),
             eidolon.disarray(batch[eidolon.CHUNK:], **p, rng=gen)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))
    assert not np.array_equal(whole[0], whole[1])  # each image has its own fields


# ------------------------------------------------------------- against the toolbox


class _Planes:
    """The toolbox's stack protocol (``.next()``) over given planes."""

    def __init__(self, planes):
        self.planes = list(planes)

    def next(self):
        return self.planes.pop(0)


def test_toolbox_synthesis_equals_ours_given_the_same_fields(toolbox):
    """Same picture, same displacement fields: the toolbox's DoG scale space (slanted
    blur), its truncating ``DataPlaneDisarray`` and 8-bit output equal ours."""
    import helpers as hel
    import scalespaces as scl

    rgb8 = sample_pictures(128, 1)[0]
    pic, tb_grey = _toolbox_picture(toolbox, rgb8)
    hh, ww = pic.fatFiducialDataPlane.shape
    gen = np.random.default_rng(0)
    planes = np.stack([fft.irfft2(eidolon._blurred_noise(gen, 2, (hh, ww), 10.0), s=(hh, ww))
                       for _ in range(12)]) * 4.0  # (levels, 2, hh, ww), a few px
    tb_sum = hel.StackDisarray(scl.DOGScaleSpace(pic), _Planes(planes[:, 0]),
                               _Planes(planes[:, 1]), 1.0)
    tb_out = pic.DisembedDataPlane(tb_sum).astype(int)
    grey = eidolon.grey_pil(rgb8[None] / 255.0)
    np.testing.assert_array_equal(np.round(grey[0] * 255), tb_grey)
    fat, (top, left) = eidolon.embed(grey)
    layers = eidolon.dog_layers(fat, TOOLBOX.levels(), TOOLBOX)
    ours = eidolon.synthesize(layers, planes[:, :, None, top:top + 128, left:left + 128],
                              (top, left), TOOLBOX)[0]
    written = np.floor(np.clip(ours, 0, 1) * 255 + 0.5).astype(int)
    differ = written != tb_out
    assert differ.mean() < 0.002  # float ties at exact pixel / grey-level boundaries only
    assert np.abs(written - tb_out).max() <= 1


def _toolbox_picture(toolbox, rgb8):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.png"
        Image.fromarray(rgb8).save(path)
        pic = toolbox.load_pic(str(path), sz=rgb8.shape[0])
        return pic, np.asarray(pic.fiducialImage)  # the picture re-reads its file


def test_toolbox_noise_fields_match_ours_in_distribution(toolbox):
    """Spread of the displacement fields over the picture (128 px in a 256 px plane), per
    scale level, toolbox stacks vs ours, fully coherent and incoherent. (Their mean over
    the picture, the toolbox's ``c - m/v`` offset, is a handful of random numbers per
    draw, too few to compare here: its formula is tested exactly above.)"""
    import noise as noi

    side, n = 256, 8
    crop = slice(64, 192)
    levels = TOOLBOX.levels()
    state = np.random.get_state()
    np.random.seed(0)
    try:
        tb = {c: [] for c in (1.0, 0.0)}
        for _ in range(n):
            for c in tb:
                stack = noi.PartiallyCoherentScaledGaussianDataStack(
                    12, side, side, 10.0, 64.0, levels, c)
                tb[c].append([stack.next()[crop, crop].copy() for _ in range(12)])
    finally:
        np.random.set_state(state)
    for c, planes in tb.items():
        theirs = np.array(planes).std(axis=(2, 3)).mean(axis=0)  # (levels,)
        ours = fields(c, seed=7, n=n, side=side)[:, 0].std(axis=(2, 3)).mean(axis=1)
        ratio = ours / theirs
        assert abs(ratio[:8].mean() - 1) < 0.1 and np.all(np.abs(ratio - 1) < 0.2), (c, ratio)
        if c == 1.0:  # about 0.4 px per unit reach at the finest level, falling with scale
            assert 0.35 < theirs[0] < 0.5 and theirs[-1] < 0.5 * theirs[0]


#: Every other reach of the 8 (the whole grid at 256 px: benchmarks/eidolon_compare.py).
REACHES = (1, 4, 16, 64)


def test_eidolons_match_the_toolbox_in_distribution(toolbox):
    """4 reaches x 3 coherences (grain 10) over 2 pictures at 128 px: mean over pictures
    and seeds of the change from the input (MAD) within 10 % and of the fine detail
    within 15 % of the toolbox's (the 2018 wrapper's path, seeded). The toolbox's mean
    of 6 varies by about 5 % from seed to seed at coherence 1 (the ``c - m/v`` offset
    moves whole layers), hence 6 of ours per toolbox condition and no tighter bound."""
    grid = {"reaches": REACHES, "coherences": (1.0, 0.3, 0.0), "grain": 10.0}
    theirs, ours = {}, {}
    for rgb8 in sample_pictures(128, 2):
        for seed in range(3):
            grey, outs = toolbox_grid(toolbox, rgb8, **grid, seed=seed)
            for key, out in outs.items():
                theirs.setdefault(key, []).append(
                    (mean_abs_difference(out, grey), fine_detail(out, grey)))
        for seed in range(100, 106):
            grey, outs = our_grid(rgb8, **grid, seed=seed)
            for key, out in outs.items():
                ours.setdefault(key, []).append(
                    (mean_abs_difference(out, grey), fine_detail(out, grey)))
    ratios = {key: np.mean(ours[key], axis=0) / np.mean(theirs[key], axis=0) for key in ours}
    bad = {key: r.round(3) for key, r in ratios.items()
           if abs(r[0] - 1) > 0.10 or abs(r[1] - 1) > 0.15}
    assert not bad, f"(reach, coherence): ours / toolbox (MAD, fine detail) {bad}"


def test_our_grid_helper_is_the_manipulation(example_image):
    """The test above builds our eidolons from their parts; they equal the manipulation."""
    rgb8 = np.round(example_image[:64, :64] * 255).astype(np.uint8)
    _, outs = our_grid(rgb8, reaches=(8,), coherences=(0.3,), grain=10.0, seed=5)
    direct = get_manipulation("eidolon")(rgb8 / 255.0, np.random.default_rng(5), reach=8.0,
                                         coherence=0.3)
    np.testing.assert_array_equal(outs[(8, 0.3)],
                                  np.floor(direct[..., 0] * 255 + 0.5).astype(np.uint8))


def test_toolbox_grid_helper_is_the_2018_wrapper(toolbox):
    """One noise draw for the whole grid gives exactly the wrapper's eidolon."""
    from benchmarks.eidolon_reference import toolbox_eidolon

    rgb8 = sample_pictures(64, 1)[0]
    grey, outs = toolbox_grid(toolbox, rgb8, reaches=(4, 32), coherences=(0.3,), grain=10.0,
                              seed=11)
    grey2, out = toolbox_eidolon(toolbox, rgb8, reach=32, coherence=0.3, grain=10.0, seed=11)
    np.testing.assert_array_equal(grey, grey2)
    np.testing.assert_array_equal(outs[(32, 0.3)], out)
