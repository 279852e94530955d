"""``spectral-ffc``: Gavrikov & Keuper's (2024) square FFT low-/high-pass
(``code/eval_spectral.py``), checked against the steps written out per channel."""

from __future__ import annotations

import numpy as np
import pytest

from lab.design import load_experiment
from lab.errors import LabInputError
from stimuli.manipulations import apply_condition, get_manipulation
from stimuli.manipulations.spectral_ffc import CUTOFFS, square_mask


def reference(channel: np.ndarray, c: float, high: bool) -> np.ndarray:
    """One channel, as their bandpass_filter does it (224 x 224, cy = cx = 112)."""
    f = np.fft.fftshift(np.fft.fft2(channel))
    mask = np.ones((224, 224)) if high else np.zeros((224, 224))
    r = int((1 - c if high else c) * 112)
    mask[112 - r:112 + r, 112 - r:112 + r] = 0 if high else 1
    return np.fft.ifft2(np.fft.ifftshift(f * mask)).real.clip(0, 1)


@pytest.mark.parametrize("c", [0.01, 0.1, 0.3, 0.5, 0.99])
@pytest.mark.parametrize("high", [False, True])
def test_filter_equals_their_steps_per_channel(c, high):
    image = np.random.default_rng(1).random((224, 224, 3))
    out = get_manipulation("spectral-ffc")(image, cutoff=c, high=high)
    for ch in range(3):
        np.testing.assert_allclose(out[..., ch], reference(image[..., ch], c, high),
                                   atol=1e-12)


def test_square_sides_are_theirs_and_the_design_covers_every_cutoff():
    low = [int(square_mask(224, 224, c, False)[112].sum()) for c in CUTOFFS]
    removed = [int((~square_mask(224, 224, c, True))[112].sum()) for c in CUTOFFS]
    assert low == [2, 22, 44, 66, 88, 112, 134, 156, 178, 200, 220]
    assert removed == low[::-1]
    design = load_experiment("spectral-ffc")
    assert len(design.conditions) == 1 + 2 * len(CUTOFFS)
    image = np.random.default_rng(2).random((224, 224, 3))
    np.testing.assert_array_equal(apply_condition(design, image, "0",
                                                  np.random.default_rng(0)), image)
    out = apply_condition(design, image, "hp-0.1", np.random.default_rng(0))
    assert not np.allclose(out[..., 0], out[..., 1])  # colour kept


def test_bad_cutoff_refused_in_one_line():
    with pytest.raises(LabInputError, match="cutoff 0.0: must be in"):
        get_manipulation("spectral-ffc")(np.zeros((8, 8, 3)), cutoff=0.0, high=False)
