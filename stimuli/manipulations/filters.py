"""Spatial Gaussian filtering: low-pass and high-pass (batch 2, grey background 0.4423)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from stimuli.manipulations.grey import to_grey, to_rgb
from stimuli.manipulations.registry import register

#: Grey of the batch-2 background: the filters' border value and high-pass mean.
BACKGROUND_GREY = 0.4423

LOW_PASS_CODES = ("0", "1", "3", "5", "7", "10", "15", "40")
HIGH_PASS_CODES = ("inf", "3", "1.5", "1", "0.7", "0.55", "0.45", "0.4")


def blur(grey: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter of a grey batch ``(N, H, W)`` over H and W, border constant 0.4423."""
    return gaussian_filter(
        grey, sigma=(0.0, sigma, sigma), mode="constant", cval=BACKGROUND_GREY
    )


@register("low-pass", LOW_PASS_CODES)
def low_pass(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Grey, Gaussian filter with sigma = condition px (border 0.4423), clipped."""
    grey = to_grey(batch)
    sigma = float(condition)
    return to_rgb(blur(grey, sigma) if sigma > 0 else grey)


@register("high-pass", HIGH_PASS_CODES)
def high_pass(batch: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Grey x, then ``x - G_sigma(x)`` shifted to mean 0.4423, clipped; ``inf`` = grey."""
    grey = to_grey(batch)
    if condition == "inf":
        return to_rgb(grey)
    detail = grey - blur(grey, float(condition))
    detail += (BACKGROUND_GREY - detail.mean(axis=(1, 2), keepdims=True)).astype(grey.dtype)
    return to_rgb(detail)
