"""Eidolons: partially coherent disarray of a DoG scale space.

After Koenderink, Valsecchi, van Doorn, Wagemans & Gegenfurtner (2017), "Eidolons:
novel stimuli for vision research", J. Vision 17(2):7, and the structure of their
Eidolon toolbox (written anew here; the toolbox is not on PyPI).

1. The grey picture is mirror-padded to a "fat" plane (side: the power of two at or above
   1.5 x the side) so the Gaussian blurs, done by FFT, do not wrap the picture around.
2. Scale space: Gaussian blurs ``G_k`` at sigma_k = 1/sqrt(2) * sqrt(2)**k up to 64 px.
   The DoG layers ``G_k - G_{k+1}`` plus the coarsest blur (and, by default, the finest
   residual ``image - G_0``) add up to the picture exactly.
3. Every layer ``k`` is displaced by its own field (nearest pixel, rounded) and the
   displaced layers are summed:

   - coherent part: independent white-noise planes ``P_j`` blurred at sigma_j and scaled by
     ``sigma_j / 64``; layer ``k`` moves by ``sum_{j >= k} P_j``, so coarse (large)
     receptive fields drag the fine ones along: the fields of all layers are correlated.
   - incoherent part: a fresh white-noise plane per layer blurred at ``grain`` px:
     independent across layers (Lotze-type disarray).
   - field_k = coherence * coherent_k + (1 - coherence) * incoherent_k, times ``reach``.

   The white noise has standard deviation ``NOISE_SCALE`` (26, the toolbox's
   127.5 / max|N(0, 1)| over a 512 x 512 plane), so one unit of reach moves the finest
   layer by about 0.4 px (coherent) or 0.73 px (incoherent, grain 10), as in the toolbox.

The experiments' condition codes ``reach-coherence*10-grain`` (``8-3-10``: reach 8,
coherence 0.3, grain 10) are mapped to these numbers in their design files
(``stimuli/experiments/eidolonI.toml`` etc.).

Departures from the toolbox (documented in docs/stimuli.md): displacements are rounded to
the nearest pixel (the toolbox truncates, which shifts even at tiny reach); the finest
residual is kept so reach 0 returns the picture exactly (``keep_residual=False`` gives
the toolbox's synthesis, which blurs by sigma 1/sqrt(2)); the noise is scaled by a fixed
constant rather than by each sample's maximum; the scale levels run to 64 px (SPEC §1;
the toolbox's level builder stops at 32 for a 256 px picture); coherence weights the
coherent part (c) and the incoherent part (1 - c).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft

from stimuli.errors import LabInputError
from stimuli.manipulations.grey import to_grey, to_rgb
from stimuli.manipulations.registry import register

SIGMA_MIN = 1.0 / math.sqrt(2.0)
SIGMA_MAX = 64.0
SIGMA_FACTOR = math.sqrt(2.0)
NOISE_SCALE = 26.0
#: Images per internal chunk of a batch (bounds memory).
CHUNK = 4


@dataclass(frozen=True)
class EidolonParams:
    """One eidolon condition."""

    reach: float
    coherence: float
    grain: float

    def __post_init__(self) -> None:
        if not self.reach >= 0:
            raise LabInputError(f"eidolon reach {self.reach!r}: must be 0 or more")
        if not 0 <= self.coherence <= 1:
            raise LabInputError(f"eidolon coherence {self.coherence!r}: must be in [0, 1]")
        if not self.grain > 0:
            raise LabInputError(f"eidolon grain {self.grain!r}: must be more than 0 (px)")


def scale_levels(
    sigma_min: float = SIGMA_MIN, sigma_max: float = SIGMA_MAX, factor: float = SIGMA_FACTOR
) -> np.ndarray:
    """Sigmas from ``sigma_min`` to ``sigma_max`` by ``factor`` (14 levels by default)."""
    n = int(round(math.log(sigma_max / sigma_min) / math.log(factor))) + 1
    return sigma_min * factor ** np.arange(n)


def _fat_side(n: int) -> int:
    return 1 << math.ceil(math.log2(1.5 * n))


def embed(grey: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Mirror-pad a grey batch ``(N, H, W)`` to the fat plane; return it and (top, left)."""
    _, h, w = grey.shape
    hh, ww = _fat_side(h), _fat_side(w)
    top, left = (hh - h) // 2, (ww - w) // 2
    fat = np.pad(grey, ((0, 0), (top, hh - h - top), (left, ww - w - left)), mode="symmetric")
    return fat, (top, left)


@lru_cache(maxsize=128)
def gaussian_transfer(shape: tuple[int, int], sigma: float, dtype: str = "float64") -> np.ndarray:
    """Transfer function of a Gaussian blur (sigma px) on the rfft2 grid of ``shape``."""
    fy = fft.fftfreq(shape[0])[:, None]
    fx = fft.rfftfreq(shape[1])[None, :]
    out = np.exp(-2.0 * math.pi**2 * sigma**2 * (fy**2 + fx**2)).astype(dtype)
    out.setflags(write=False)
    return out


#: Frequencies where a blur's transfer is below this are left out of the noise.
NEGLIGIBLE_TRANSFER = 1e-9


def noise_band(shape: tuple[int, int], sigma: float) -> tuple[np.ndarray, int]:
    """Rows and number of columns of the rfft2 grid where the blur at ``sigma`` passes
    more than :data:`NEGLIGIBLE_TRANSFER` (a box around frequency 0)."""
    cutoff = math.sqrt(-math.log(NEGLIGIBLE_TRANSFER) / (2.0 * math.pi**2)) / sigma
    h, w = shape
    ky = min(h // 2, int(math.ceil(cutoff * h)))
    kx = min(w // 2, int(math.ceil(cutoff * w)))
    rows = np.arange(h) if ky >= h // 2 else np.r_[0 : ky + 1, h - ky : h]
    return rows, kx + 1


def dog_layers(fat: np.ndarray, sigmas: np.ndarray, *, keep_residual: bool = True) -> list:
    """DoG scale-space layers of ``fat`` (N, HH, WW), finest first; they sum to ``fat``
    (to ``G_0 * fat`` without the residual)."""
    spectrum = fft.rfft2(fat)
    shape = fat.shape[1:]
    blurred = [
        fft.irfft2(spectrum * gaussian_transfer(shape, float(s), fat.dtype.name), s=shape)
        for s in sigmas
    ]
    layers = [fat - blurred[0]] if keep_residual else []
    layers += [blurred[k] - blurred[k + 1] for k in range(len(sigmas) - 1)]
    layers.append(blurred[-1])
    return layers


def _blurred_noise(
    rng: np.random.Generator, n: int, shape: tuple[int, int], sigma: float
) -> np.ndarray:
    """rfft2 of white noise (SD ``NOISE_SCALE``) blurred at ``sigma``: (n, HH, WW//2+1).

    The white noise is drawn directly in the frequency domain, with the statistics of the
    rfft2 of real Gaussian white noise (complex Gaussian, Hermitian on the columns that
    rfft2 keeps whole), and only inside :func:`noise_band`: outside it the blur would
    multiply it by less than 1e-9. No forward FFT, and far fewer random numbers for the
    coarse scales.
    """
    h, w = shape
    half = w // 2 + 1
    rows, cols = noise_band(shape, sigma)
    scale = np.float32(NOISE_SCALE * math.sqrt(h * w / 2.0))
    block = rng.standard_normal((2, n, rows.size, cols), dtype=np.float32) * scale
    spectrum = np.zeros((n, h, half), dtype=np.complex64)
    spectrum[:, rows, :cols] = block[0] + 1j * block[1]
    edge_cols = [0] + ([w // 2] if w % 2 == 0 and cols == half else [])
    mirror = (-np.arange(h)) % h
    upper = np.arange(h) > h // 2  # rows whose mirror row is in the lower half
    for c in edge_cols:  # these columns must be Hermitian along the rows
        column = spectrum[:, :, c]
        column[:, upper] = np.conj(column[:, mirror[upper]])
        for k in (0, h // 2) if h % 2 == 0 else (0,):
            column[:, k] = column[:, k].real * np.float32(math.sqrt(2.0))
    spectrum *= gaussian_transfer(shape, float(sigma), "float32")
    return spectrum


def displacement_fields(
    rng: np.random.Generator,
    n: int,
    fat_shape: tuple[int, int],
    crop: tuple[slice, slice],
    sigmas: np.ndarray,
    params: EidolonParams,
) -> np.ndarray:
    """Displacements in px, ``(levels, 2, n, h, w)`` (axis 1: dy, dx) on the crop."""
    levels = len(sigmas)
    ys, xs = crop
    h, w = ys.stop - ys.start, xs.stop - xs.start
    fields = np.zeros((levels, 2, n, h, w), dtype=np.float32)
    c = params.coherence
    if c > 0:
        for axis in range(2):
            cumulative = None
            for k in range(levels - 1, -1, -1):  # coarse to fine: layer k moves by sum j>=k
                plane = _blurred_noise(rng, n, fat_shape, sigmas[k])
                plane *= np.float32(sigmas[k] / SIGMA_MAX)
                cumulative = plane if cumulative is None else cumulative + plane
                field = fft.irfft2(cumulative, s=fat_shape)[:, ys, xs]
                fields[k, axis] += np.float32(c) * field
    if c < 1:
        for axis in range(2):
            for k in range(levels):
                plane = _blurred_noise(rng, n, fat_shape, params.grain)
                field = fft.irfft2(plane, s=fat_shape)[:, ys, xs]
                fields[k, axis] += np.float32(1.0 - c) * field
    fields *= np.float32(params.reach)
    return fields


def disarray(
    grey: np.ndarray,
    params: EidolonParams,
    rng: np.random.Generator,
    *,
    sigmas: np.ndarray | None = None,
    keep_residual: bool = True,
) -> np.ndarray:
    """Partially coherent disarray of a grey batch ``(N, H, W)`` -> ``(N, H, W)``.

    Large batches are processed :data:`CHUNK` images at a time (about 40 MB of scale
    space and fields per 256 px image), drawing from ``rng`` chunk after chunk.
    """
    sigmas = scale_levels() if sigmas is None else np.asarray(sigmas)
    if grey.shape[0] > CHUNK:
        return np.concatenate([
            disarray(grey[i:i + CHUNK], params, rng, sigmas=sigmas,
                     keep_residual=keep_residual)
            for i in range(0, grey.shape[0], CHUNK)
        ])
    n, h, w = grey.shape
    fat, (top, left) = embed(grey)
    hh, ww = fat.shape[1:]
    crop = (slice(top, top + h), slice(left, left + w))
    layers = dog_layers(fat, sigmas, keep_residual=keep_residual)
    fields = displacement_fields(rng, n, (hh, ww), crop, sigmas, params)
    if keep_residual:  # the finest residual moves with the finest DoG layer
        fields = np.concatenate([fields[:1], fields], axis=0)
    rows = np.arange(top, top + h)[None, :, None]
    cols = np.arange(left, left + w)[None, None, :]
    image_offset = (np.arange(n) * hh * ww)[:, None, None]
    out = np.zeros((n, h, w), dtype=grey.dtype)
    for layer, field in zip(layers, fields, strict=True):
        y = np.clip(rows + np.rint(field[0]).astype(np.intp), 0, hh - 1)
        x = np.clip(cols + np.rint(field[1]).astype(np.intp), 0, ww - 1)
        out += layer.reshape(-1)[image_offset + y * ww + x]
    return out


@register("eidolon")
def eidolon(batch: np.ndarray, rng: np.random.Generator, *, reach: float, coherence: float,
            grain: float = 10.0) -> np.ndarray:
    """Eidolon: partially coherent disarray of the DoG scale space (reach in px,
    coherence 0 to 1, grain in px)."""
    params = EidolonParams(reach=reach, coherence=coherence, grain=grain)
    return to_rgb(disarray(to_grey(batch), params, rng))
