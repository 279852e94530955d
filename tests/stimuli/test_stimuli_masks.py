"""1/f noise masks against Geirhos et al. 2018, Methods."""

from __future__ import annotations

import numpy as np
import pytest

from stimuli.masks import make_mask


def masks(batch: int, n: int = 20) -> list[np.ndarray]:
    return [make_mask(batch, np.random.default_rng(seed)) for seed in range(n)]


def test_batch1_size_mean_sd():
    ms = masks(1)
    assert all(m.shape == (200, 200) and m.dtype == np.float64 for m in ms)
    assert all(m.min() == 0.0 and m.max() == 1.0 for m in ms)  # stretched to [0, 1]
    assert np.mean([m.mean() for m in ms]) == pytest.approx(0.50, abs=0.02)
    assert np.mean([m.std() for m in ms]) == pytest.approx(0.12, abs=0.015)


def test_batch2_size_sd_and_clipped_fraction():
    ms = masks(2)
    assert all(m.shape == (224, 224) for m in ms)
    assert all(m.min() >= 0.0 and m.max() <= 1.0 for m in ms)
    clipped = np.mean([((m == 0.0) | (m == 1.0)).mean() for m in ms])
    assert clipped == pytest.approx(0.30, abs=0.04)
    assert np.mean([m.std() for m in ms]) == pytest.approx(0.35, abs=0.02)


def test_power_spectrum_falls_as_one_over_f():
    m = masks(1, 1)[0]
    power = np.abs(np.fft.fft2(m - m.mean())) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(200), np.fft.fftfreq(200), indexing="ij"))
    low = power[(f > 0.02) & (f < 0.04)].mean()
    high = power[(f > 0.16) & (f < 0.32)].mean()
    ratio = low / high
    assert 5 < ratio < 14  # 1/f power: about 8 for an 8x higher frequency band


def test_same_seed_same_mask_different_seed_differs():
    a = make_mask(1, np.random.default_rng(42))
    b = make_mask(1, np.random.default_rng(42))
    c = make_mask(1, np.random.default_rng(43))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_unknown_batch_is_refused():
    with pytest.raises(ValueError, match="1 or 2"):
        make_mask(3, np.random.default_rng(0))
