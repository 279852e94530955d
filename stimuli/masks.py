"""1/f noise masks (Geirhos et al. 2018, Methods), one per trial, from a recorded seed."""

from __future__ import annotations

import numpy as np

#: Mask side in px per batch (batch 1 is shown stretched over the 256 px image area).
MASK_SIZE = {1: 200, 2: 224}


def pink_noise(size: int, rng: np.random.Generator) -> np.ndarray:
    """A ``size`` x ``size`` field with a 1/f power spectrum (amplitude ~ f^-0.5) and
    uniformly random phases, real part, stretched to [0, 1]."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.fftfreq(size)[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    amplitude = f**-0.5
    amplitude[0, 0] = 0.0
    phase = rng.uniform(-np.pi, np.pi, size=(size, size))
    field = np.fft.ifft2(amplitude * np.exp(1j * phase)).real
    lo, hi = field.min(), field.max()
    return (field - lo) / (hi - lo)


def make_mask(batch: int, rng: np.random.Generator) -> np.ndarray:
    """The noise mask of ``batch`` 1 or 2 as a float64 greyscale array in [0, 1].

    Batch 1: 200 x 200 px, mean about 0.5, SD about 0.12.
    Batch 2: 224 x 224 px, contrast-stretched ``(m - 0.5) * 4 + 0.5`` and clipped.
    """
    if batch not in MASK_SIZE:
        raise ValueError(f"mask batch must be 1 or 2, not {batch!r}")
    mask = pink_noise(MASK_SIZE[batch], rng)
    if batch == 2:
        mask = np.clip((mask - 0.5) * 4.0 + 0.5, 0.0, 1.0)
    return mask
