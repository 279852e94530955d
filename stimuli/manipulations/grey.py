"""Pointwise manipulations on the grey image: colour, contrast, noise, rotation, none."""

from __future__ import annotations

import numpy as np

from stimuli.manipulations.registry import register

#: scikit-image ``rgb2gray`` weights, applied to the gamma-encoded values (SPEC §1).
GREY_WEIGHTS = (0.2125, 0.7154, 0.0721)


def to_grey(batch: np.ndarray) -> np.ndarray:
    """Luminance ``0.2125 R + 0.7154 G + 0.0721 B`` of ``(..., 3)`` -> ``(...)``."""
    w = np.asarray(GREY_WEIGHTS, dtype=batch.dtype)
    return batch @ w


def to_rgb(grey: np.ndarray) -> np.ndarray:
    """Grey ``(...)`` -> 3 identical channels ``(..., 3)``."""
    return np.repeat(grey[..., None], 3, axis=-1)


# Functions below return grey batches (N, H, W); the registry clips and expands them.


def adjust_contrast(grey: np.ndarray, c: float) -> np.ndarray:
    """``c * x + (1 - c) / 2``: scales about 0.5 (not about the image mean)."""
    return grey * grey.dtype.type(c) + grey.dtype.type((1.0 - c) / 2.0)


@register("none", ("0",), grey_output=False)
def none(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Identity (cue-conflict images are shown unmanipulated)."""
    return batch


@register("colour", ("cr", "bw"), grey_output=False)
def colour(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """``cr`` keeps colour; ``bw`` is the grey image."""
    return batch if condition == "cr" else to_grey(batch)


CONTRAST_CODES = ("c100", "c50", "c30", "c15", "c10", "c05", "c03", "c01")


@register("contrast", CONTRAST_CODES)
def contrast(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Grey, then ``c * x + (1 - c) / 2`` with ``c = int(code[1:]) / 100``."""
    return adjust_contrast(to_grey(batch), int(condition[1:]) / 100.0)


NOISE_CODES = ("0.00", "0.03", "0.05", "0.10", "0.20", "0.35", "0.60", "0.90")


@register("uniform-noise", NOISE_CODES)
def uniform_noise(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Grey, contrast 0.3, plus i.i.d. uniform(-w, w) per pixel, clipped."""
    grey = adjust_contrast(to_grey(batch), 0.3)
    w = float(condition)
    if w > 0:
        grey += rng.uniform(-w, w, size=grey.shape).astype(grey.dtype, copy=False)
    return grey


SALT_PEPPER_CODES = ("0", "0.1", "0.2", "0.35", "0.5", "0.65", "0.8", "0.95")


@register("salt-and-pepper", SALT_PEPPER_CODES)
def salt_and_pepper(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Grey, contrast 0.3, then each pixel is 1 with prob p/2 and 0 with prob p/2."""
    grey = adjust_contrast(to_grey(batch), 0.3)
    p = float(condition)
    if p > 0:
        u = rng.random(size=grey.shape)
        grey[u < p / 2] = 1.0
        grey[(u >= p / 2) & (u < p)] = 0.0
    return grey


@register("rotation", ("0", "90", "180", "270"))
def rotation(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Grey, rotated counter-clockwise by the condition in degrees (90 or 270 swap H, W)."""
    grey = to_grey(batch)
    return np.ascontiguousarray(np.rot90(grey, k=int(condition) // 90, axes=(1, 2)))
