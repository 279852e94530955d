"""Spatial Gaussian filtering: low-pass and high-pass (batch 2, grey background 0.4423).

The filter is exactly ``scipy.ndimage.gaussian_filter(x, sigma, mode="constant",
cval=0.4423)`` (same truncated, normalised kernel), computed as two matrix products with
a banded convolution matrix ``A``: ``A (x - cval) A^T + cval``. That is the same linear
map (the kernel sums to 1, so the constant border contributes ``cval`` times the missing
weight), but runs as BLAS matrix products on the whole batch, in float32 when the input is
(for wide kernels; narrow ones use scipy directly).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.ndimage import gaussian_filter

from lab.errors import LabInputError
from stimuli.manipulations.grey import to_grey
from stimuli.manipulations.registry import register

#: Grey of the batch-2 background: the filters' border value and high-pass mean.
BACKGROUND_GREY = 0.4423
#: As scipy.ndimage.gaussian_filter's default.
TRUNCATE = 4.0


def gaussian_kernel(sigma: float, truncate: float = TRUNCATE) -> np.ndarray:
    """scipy.ndimage's 1-D Gaussian kernel: radius ``int(truncate * sigma + 0.5)``, sum 1."""
    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 * x**2 / sigma**2)
    return phi / phi.sum()


@lru_cache(maxsize=64)
def convolution_matrix(n: int, sigma: float, dtype: str = "float64") -> np.ndarray:
    """``A`` with ``(A @ v)[i] = sum_k kernel[k] v[i + k - r]`` (zero outside), n x n."""
    kernel = gaussian_kernel(sigma)
    radius = kernel.size // 2
    a = np.zeros((n, n))
    for offset in range(-radius, radius + 1):
        idx = np.arange(max(0, -offset), min(n, n - offset))
        a[idx, idx + offset] = kernel[offset + radius]
    a = a.astype(dtype)
    a.setflags(write=False)
    return a


def blur(grey: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter of a grey batch ``(N, H, W)`` over H and W, border constant 0.4423.

    Narrow kernels (fewer taps than an eighth of the side) go to scipy's separable filter,
    wide ones to the two matrix products: each is the faster one there.
    """
    _, h, w = grey.shape
    taps = 2 * int(TRUNCATE * sigma + 0.5) + 1
    if 8 * taps < min(h, w):
        return gaussian_filter(grey, sigma=(0.0, sigma, sigma), mode="constant",
                               cval=BACKGROUND_GREY, truncate=TRUNCATE)
    dtype = grey.dtype.name
    rows = convolution_matrix(h, sigma, dtype)
    cols = convolution_matrix(w, sigma, dtype)
    centred = grey - grey.dtype.type(BACKGROUND_GREY)
    out = np.matmul(rows, centred @ cols.T)
    out += grey.dtype.type(BACKGROUND_GREY)
    return out


def _check_sigma(name: str, sigma: float) -> None:
    if not sigma >= 0:
        raise LabInputError(f"{name} sigma {sigma!r}: must be 0 or more (px)")


@register("low-pass")
def low_pass(batch: np.ndarray, rng: np.random.Generator, *, sigma: float) -> np.ndarray:
    """Grey, Gaussian filter with ``sigma`` px (border 0.4423), clipped; 0 = grey."""
    _check_sigma("low-pass", sigma)
    grey = to_grey(batch)
    return blur(grey, sigma) if sigma > 0 else grey


@register("high-pass")
def high_pass(batch: np.ndarray, rng: np.random.Generator, *, sigma: float) -> np.ndarray:
    """Grey x, then ``x - G_sigma(x)`` shifted to mean 0.4423, clipped; ``inf`` = grey."""
    _check_sigma("high-pass", sigma)
    grey = to_grey(batch)
    if math.isinf(sigma):
        return grey
    detail = blur(grey, sigma)
    np.subtract(grey, detail, out=detail)  # grey - G(grey), without a new array
    detail += (BACKGROUND_GREY - detail.mean(axis=(1, 2), keepdims=True)).astype(grey.dtype)
    return detail
