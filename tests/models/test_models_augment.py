"""Every torch augmentation against the numpy manipulation of stimuli/ on the same input.

Deterministic ones within 1/255 at every condition code; random ones in distribution
(torch and numpy draw different numbers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models import augment
from models.distortion_plan import level_code, levels_of
from stimuli.manipulations import get_manipulation

REPO = Path(__file__).resolve().parents[2]
TOL = 1.0 / 255


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """Two real 224 px pictures as float64 (N, H, W, 3)."""
    paths = [REPO / "stimuli" / "data" / "example_image.png",
             REPO / "stimuli" / "demo" / "source" / "car" / "car1-car2.png"]
    out = [np.asarray(Image.open(p).convert("RGB").resize((224, 224)), dtype=np.float64) / 255
           for p in paths]
    return np.stack(out)


def _level(name: str, code: str):
    return next(lv for lv in levels_of(name) if level_code(lv) == code)


def _torch(images: np.ndarray, name: str, code: str, seeds=(1, 2)) -> np.ndarray:
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    params = torch.full((len(images),), _level(name, code).value)
    out = augment.AUGMENTATIONS[name](x, params, list(seeds))
    return out.permute(0, 2, 3, 1).double().numpy()


def _numpy(images: np.ndarray, name: str, code: str, seed: int = 0) -> np.ndarray:
    """The numpy manipulation with the parameters the experiment design gives ``code``."""
    level = _level(name, code)
    m = get_manipulation(level.manipulation)
    return np.stack([m(img, np.random.default_rng(seed + i), **dict(level.parameters))
                     for i, img in enumerate(images)])


DETERMINISTIC = ["colour", "contrast", "low-pass", "high-pass", "power-equalisation",
                 "rotation", "opponent-colour"]


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_deterministic_augmentations_match_numpy_within_one_level(images, name):
    for code in map(level_code, levels_of(name)):
        got, want = _torch(images, name, code), _numpy(images, name, code)
        assert got.shape == want.shape
        err = np.abs(got - want).max()
        assert err <= TOL, f"{name} {code}: max difference {err * 255:.2f}/255"


def test_mixed_parameters_in_one_batch_match_each_alone(images):
    """Per-image parameters: image 0 at c05, image 1 at c50 in one call."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    out = augment.contrast(x, torch.tensor([0.05, 0.5]), [0, 0]).permute(0, 2, 3, 1).numpy()
    m = get_manipulation("contrast")
    assert np.abs(out[0] - m(images[0], contrast=0.05)).max() <= TOL
    assert np.abs(out[1] - m(images[1], contrast=0.5)).max() <= TOL


def test_uniform_noise_in_distribution(images):
    base = _numpy(images, "uniform-noise", "0.00")
    assert np.abs(_torch(images, "uniform-noise", "0.00") - base).max() <= TOL
    for code in ("0.10", "0.35", "0.90"):
        w = float(code)
        got, want = _torch(images, "uniform-noise", code), _numpy(images, "uniform-noise", code)
        inside = (got > 0) & (got < 1) & (want > 0) & (want < 1)
        # unclipped noise is uniform(-w, w): compare quantiles of the residuals
        qs = [0.05, 0.25, 0.5, 0.75, 0.95]
        r_got = np.quantile((got - base)[(got > 0) & (got < 1)], qs)
        r_want = np.quantile((want - base)[(want > 0) & (want < 1)], qs)
        np.testing.assert_allclose(r_got, r_want, atol=0.02 * w + 0.002)
        assert abs(got.mean() - want.mean()) < 0.01
        assert inside.mean() > 0.3
        assert np.abs(got - base).max() <= w + 1e-6


def test_salt_and_pepper_in_distribution(images):
    base = _numpy(images, "salt-and-pepper", "0")
    for code in ("0.2", "0.65"):
        p = float(code)
        got, want = _torch(images, "salt-and-pepper", code), _numpy(images, "salt-and-pepper", code)
        for out in (got, want):
            g = out[..., 0]
            assert abs((g == 1.0).mean() - p / 2) < 0.01
            assert abs((g == 0.0).mean() - p / 2) < 0.01
        kept = (got[..., 0] != 0) & (got[..., 0] != 1)
        assert np.abs(got[..., 0][kept] - base[..., 0][kept]).max() <= TOL


def test_phase_noise_in_distribution(images):
    """Amplitude spectrum kept; phase shifts uniform in [-w, w]; pixel statistics as numpy."""
    g = images @ np.array([0.2125, 0.7154, 0.0721])
    for code in ("30", "90", "180"):
        w = float(code)
        got = _torch(images, "phase-noise", code)[..., 0]
        want = _numpy(images, "phase-noise", code)[..., 0]
        assert abs(got.std() - want.std()) < 0.01
        assert abs(got.mean() - want.mean()) < 0.01
        unclipped = (got > 0.001).all(axis=(1, 2)) & (got < 0.999).all(axis=(1, 2))
        for i in np.flatnonzero(unclipped):
            np.testing.assert_allclose(np.abs(np.fft.fft2(got[i])),
                                       np.abs(np.fft.fft2(g[i])), rtol=1e-3, atol=1e-2)
        shift = np.angle(np.fft.fft2(got[0]) / np.fft.fft2(g[0]), deg=True)
        big = np.abs(np.fft.fft2(g[0])) > 1.0
        if unclipped[0]:
            assert np.abs(shift[big]).max() <= w + 0.5
            assert abs(np.mean(np.abs(shift[big])) - w / 2) < 0.1 * w


def test_per_image_seeds_make_the_noise_independent_of_the_batch(images):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    both = augment.uniform_noise(x, torch.tensor([0.5, 0.5]), [7, 8])
    alone = augment.uniform_noise(x[1:], torch.tensor([0.5]), [8])
    assert torch.equal(both[1:], alone)


def test_gaussian_and_speckle_noise_are_the_rusak_formulas(images):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    sigma = 0.1
    out = augment.gaussian_noise(x, torch.tensor([sigma, sigma]), [3, 4])
    inside = (out > 0) & (out < 1)
    residual = (out - x)[inside]
    assert abs(residual.std().item() - sigma) < 0.01 and abs(residual.mean().item()) < 0.01
    out = augment.speckle_noise(x, torch.tensor([sigma, sigma]), [3, 4])
    ok = inside & (x > 0.2)
    ratio = ((out - x) / x)[ok]
    assert abs(ratio.std().item() - sigma) < 0.01
