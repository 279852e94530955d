"""Pointwise manipulations on the grey image: colour, contrast, noise, rotation, none."""

from __future__ import annotations

import numpy as np

from lab.errors import LabInputError
from stimuli.manipulations.registry import grey_to_rgb, register

#: scikit-image ``rgb2gray`` weights, applied to the gamma-encoded values (Geirhos et al. 2018,
#: Methods).
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
    """``c * x + (1 - c) / 2``: scales about 0.5 (not about the image mean). Works in
    place on ``grey`` (a fresh grey image of the caller's) and returns it."""
    grey *= grey.dtype.type(c)
    grey += grey.dtype.type((1.0 - c) / 2.0)
    return grey


def _check_non_negative(name: str, value: float) -> None:
    if not value >= 0:
        raise LabInputError(f"{name} {value!r}: must be 0 or more")


@register("none", grey_output=False)
def none(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Identity (cue-conflict images are shown unmanipulated)."""
    return batch


@register("colour", grey_output=False)
def colour(batch: np.ndarray, rng: np.random.Generator, *, greyscale: bool) -> np.ndarray:
    """The image (``greyscale = false``) or its grey version (``true``)."""
    return to_grey(batch) if greyscale else batch


@register("contrast")
def contrast(batch: np.ndarray, rng: np.random.Generator, *, contrast: float) -> np.ndarray:
    """Grey, then ``c * x + (1 - c) / 2`` with ``c = contrast`` (1: unchanged)."""
    return adjust_contrast(to_grey(batch), contrast)


@register("uniform-noise")
def uniform_noise(batch: np.ndarray, rng: np.random.Generator, *, width: float,
                  contrast: float = 0.3) -> np.ndarray:
    """Grey, contrast 0.3, plus i.i.d. uniform(-width, width) per pixel, clipped."""
    _check_non_negative("uniform-noise width", width)
    grey = adjust_contrast(to_grey(batch), contrast)
    if width > 0:
        grey += rng.uniform(-width, width, size=grey.shape).astype(grey.dtype, copy=False)
    return grey


@register("salt-and-pepper")
def salt_and_pepper(batch: np.ndarray, rng: np.random.Generator, *, probability: float,
                    contrast: float = 0.3) -> np.ndarray:
    """Grey, contrast 0.3, then each pixel is 1 with prob p/2 and 0 with prob p/2."""
    p = probability
    if not 0 <= p <= 1:
        raise LabInputError(f"salt-and-pepper probability {p!r}: must be in [0, 1]")
    grey = adjust_contrast(to_grey(batch), contrast)
    if p > 0:
        u = rng.random(size=grey.shape)
        grey[u < p / 2] = 1.0
        grey[(u >= p / 2) & (u < p)] = 0.0
    return grey


@register("rotation", clips_itself=True)
def rotation(batch: np.ndarray, rng: np.random.Generator, *, degrees: int) -> np.ndarray:
    """Grey, rotated counter-clockwise by ``degrees`` (a multiple of 90; 90 or 270 swap
    H and W)."""
    if degrees % 90:
        raise LabInputError(f"rotation degrees {degrees!r}: must be a multiple of 90")
    # Clipped and expanded before rotating, then returned as a rotated view: every copy
    # reads and writes memory in order (copying through a transposed view does not).
    return np.rot90(grey_to_rgb(to_grey(batch)), k=degrees // 90, axes=(1, 2))
