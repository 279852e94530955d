"""Eidolons: partially coherent disarray of a DoG scale space.

After Koenderink, Valsecchi, van Doorn, Wagemans & Gegenfurtner (2017), "Eidolons:
novel stimuli for vision research", J. Vision 17(2):7, and their Eidolon toolbox as the
2018 code called it (its ``wrapper.py``: a 256 px picture, scale levels 1/sqrt(2) to 32 px
by factors of sqrt(2), noise scaled by sigma / 64). Written anew; the toolbox is not on
PyPI. Two variants (docs/stimuli.md compares both with the toolbox):

- ``"toolbox"`` (manipulation ``eidolon``, experiments eidolonI/II/III): the 2018 stimuli,
  reproduced in distribution, with the toolbox's quirks that shape them (:data:`TOOLBOX`).
- ``"sharp"`` (manipulation ``eidolon-sharp``): keeps the finest detail (reach 0 returns the
  picture exactly), levels to 64 px, rounded displacements, Rec.709 grey.

1. The grey picture is mirror-padded to a "fat" plane (side: the power of two at or above
   1.5 x the side) so the Gaussian blurs, done by FFT, do not wrap the picture around.
2. Scale space: Gaussian blurs ``G_k`` at the scale levels. The DoG layers
   ``G_k - G_{k+1}`` plus the coarsest blur add up to ``G_0 * picture`` (the toolbox's
   synthesis, a blur by 1/sqrt(2) px); the sharp variant adds the residual
   ``picture - G_0`` so they add up to the picture.
3. Every layer ``k`` is displaced by its own field (toolbox: the position floored, as its
   ``astype(int)``; sharp: rounded) and the displaced layers are summed:

   - coherent part: independent white-noise planes ``P_j`` blurred at sigma_j and scaled by
     ``sigma_j / 64``; layer ``k`` moves by ``sum_{j >= k} P_j``, so coarse (large)
     receptive fields drag the fine ones along: the fields of all layers are correlated.
   - incoherent part: a fresh white-noise plane per layer blurred at ``grain`` px:
     independent across layers (Lotze-type disarray).
   - field_k = coherence * coherent_k + (1 - coherence) * incoherent_k, times ``reach``.

   The white noise is the toolbox's: N(0, 1) scaled by 127.5 / max|N| over the plane
   (SD about 27 on a 512 x 512 plane), blurred but never renormalised (the toolbox's
   ``c - m/v`` subtracts mean/SD instead of dividing by the SD), so one unit of reach
   moves the finest layer by about 0.4 px (coherent) or 0.76 px (incoherent, grain 10).
   The sharp variant uses a constant SD of 26 and no offset.

All random numbers come from the ``rng`` argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft, special

from lab.errors import LabInputError
from stimuli.manipulations.grey import to_grey
from stimuli.manipulations.registry import register

SIGMA_MIN = 1.0 / math.sqrt(2.0)
SIGMA_FACTOR = math.sqrt(2.0)
#: The wrapper's MAX_SIGMA (256 px / 4): coherent noise at sigma is scaled by sigma / 64.
NOISE_SIGMA_MAX = 64.0
#: SD of the sharp variant's white noise (constant). The toolbox's is 127.5 / max|N(0, 1)|
#: per plane: 27.2 in the median on a 512 x 512 plane (:func:`white_noise_sd`).
NOISE_SCALE = 26.0
#: Images per internal chunk of a batch (bounds memory).
CHUNK = 4
#: Rec.601 luma in 16-bit fixed point, as Pillow's ``convert("L")`` (the 2018 wrapper).
PIL_LUMA = (19595, 38470, 7471)


def grey_pil(batch: np.ndarray) -> np.ndarray:
    """Grey as the 2018 wrapper made it: the picture as 8-bit RGB, then Pillow's
    ``convert("L")`` (Rec.601: ``(19595 R + 38470 G + 7471 B + 32768) >> 16``), / 255."""
    rgb8 = np.floor(np.clip(batch, 0.0, 1.0) * 255.0 + 0.5).astype(np.int32)
    luma = (rgb8 @ np.asarray(PIL_LUMA, dtype=np.int32) + 0x8000) >> 16
    return (luma / 255.0).astype(batch.dtype)


@dataclass(frozen=True)
class EidolonVariant:
    """How an eidolon is made; :data:`TOOLBOX` and :data:`SHARP` are the two in use."""

    name: str
    sigma_max: float  #: coarsest scale level of the picture (px)
    keep_residual: bool  #: add ``picture - G_0`` (moving with the finest layer)
    slanted_blur: bool  #: the toolbox's blur (flattened 1-D FFT convolution)
    truncate: bool  #: floor the displaced coordinates (else round to nearest)
    toolbox_noise: bool  #: per-plane 127.5 / max|N| and the ``c - m/v`` offset
    floor_output: bool  #: 8-bit output truncated (as the toolbox), not rounded
    grey: Callable[[np.ndarray], np.ndarray]  #: RGB batch -> grey batch

    def levels(self) -> np.ndarray:
        return scale_levels(sigma_max=self.sigma_max)


#: The 2018 stimuli. Every quirk of the toolbox that changes them is kept; see
#: docs/stimuli.md for each choice and the comparison with the toolbox.
TOOLBOX = EidolonVariant("toolbox", sigma_max=32.0, keep_residual=False, slanted_blur=True,
                         truncate=True, toolbox_noise=True, floor_output=True, grey=grey_pil)
#: The sharper eidolons of earlier versions of this project.
SHARP = EidolonVariant("sharp", sigma_max=64.0, keep_residual=True, slanted_blur=False,
                       truncate=False, toolbox_noise=False, floor_output=False, grey=to_grey)
VARIANTS = {v.name: v for v in (TOOLBOX, SHARP)}


def scale_levels(
    sigma_min: float = SIGMA_MIN, sigma_max: float = 32.0, factor: float = SIGMA_FACTOR
) -> np.ndarray:
    """Sigmas from ``sigma_min`` to ``sigma_max`` by ``factor`` (12 levels by default)."""
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


@lru_cache(maxsize=128)
def slanted_transfer(shape: tuple[int, int], sigma: float, dtype: str = "float64") -> np.ndarray:
    """Transfer function (complex, rfft2 grid) of the toolbox's Gaussian blur.

    The toolbox samples the Gaussian ``exp(-x^2 / 2 sigma^2) / (sqrt(2 pi) sigma)`` at
    the wrapped offsets ``0 .. n/2, -n/2+1 .. -1`` of each axis, then convolves the
    *flattened* plane with the flattened kernel (one 1-D FFT of length H*W). In the
    flattened order, a kernel entry at column offset ``u < 0`` sits at ``v*W + W + u``:
    it acts one row further down than intended. Away from the plane's left and right
    edges that is a 2-D circular convolution with the left half of the kernel moved down
    one row, whose transfer this returns (a slightly skewed blur, shifted down by about
    a fifth of a pixel at sigma 1/sqrt(2)).
    """
    h, w = shape

    def gauss(x: np.ndarray) -> np.ndarray:
        return np.exp(-(x**2) / (2.0 * sigma**2)) / (math.sqrt(2.0 * math.pi) * sigma)

    v = np.r_[0 : h // 2 + 1, h // 2 - h + 1 : 0].astype(float)
    u = np.r_[0 : w // 2 + 1, w // 2 - w + 1 : 0].astype(float)
    column = fft.fft(gauss(v))[:, None]
    right = fft.rfft(np.where(u >= 0, gauss(u), 0.0))[None, :]
    left = fft.rfft(np.where(u < 0, gauss(u), 0.0))[None, :]
    down = np.exp(-2j * math.pi * fft.fftfreq(h))[:, None]
    out = (column * (right + down * left)).astype(np.result_type(dtype, np.complex64))
    out.setflags(write=False)
    return out


def blur_transfer(variant: EidolonVariant, shape: tuple[int, int], sigma: float,
                  dtype: str) -> np.ndarray:
    """The variant's blur at ``sigma`` on the rfft2 grid of ``shape``."""
    if variant.slanted_blur:
        return slanted_transfer(shape, float(sigma), dtype)
    return gaussian_transfer(shape, float(sigma), dtype)


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


def dog_layers(fat: np.ndarray, sigmas: np.ndarray,
               variant: EidolonVariant = TOOLBOX) -> list[np.ndarray]:
    """DoG scale-space layers of ``fat`` (N, HH, WW), finest first; they sum to
    ``G_0 * fat`` (to ``fat`` itself if the variant keeps the residual)."""
    spectrum = fft.rfft2(fat)
    shape = fat.shape[1:]
    blurred = [
        fft.irfft2(spectrum * blur_transfer(variant, shape, s, fat.dtype.name), s=shape)
        for s in sigmas
    ]
    layers = [fat - blurred[0]] if variant.keep_residual else []
    layers += [blurred[k] - blurred[k + 1] for k in range(len(sigmas) - 1)]
    layers.append(blurred[-1])
    return layers


def white_noise_sd(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """SDs of ``n`` of the toolbox's white-noise planes of ``size`` pixels: each is
    N(0, 1) scaled by 127.5 / max|N|, so its SD is 127.5 over the maximum of ``size``
    half-normal values, drawn here from that maximum's exact distribution (one uniform
    number per plane; P(max <= m) = (2 Phi(m) - 1)^size)."""
    tail = -np.expm1(np.log(rng.random(n)) / size)  # P(|N| > max), without cancellation
    return 127.5 / -special.ndtri(tail / 2.0)


def _blurred_noise(
    rng: np.random.Generator, n: int, shape: tuple[int, int], sigma: float,
    variant: EidolonVariant = SHARP,
) -> np.ndarray:
    """rfft2 of white noise blurred at ``sigma``: (n, HH, WW//2+1), complex64.

    The white noise is drawn directly in the frequency domain, with the statistics of the
    rfft2 of real Gaussian white noise (complex Gaussian, Hermitian on the columns that
    rfft2 keeps whole), and only inside :func:`noise_band`: outside it the blur would
    multiply it by less than 1e-9. No forward FFT, and far fewer random numbers for the
    coarse scales. Its SD is :data:`NOISE_SCALE`, or with ``variant.toolbox_noise`` the
    toolbox's per-plane 127.5 / max|N| and, after the blur, its ``c - m/v`` offset.
    """
    h, w = shape
    half = w // 2 + 1
    rows, cols = noise_band(shape, sigma)
    if variant.toolbox_noise:
        sd = white_noise_sd(rng, n, h * w)
        scale = (sd * math.sqrt(h * w / 2.0)).astype(np.float32)[:, None, None]
    else:
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
    band = (slice(None), slice(None), slice(0, cols))
    spectrum[band] *= blur_transfer(variant, shape, sigma, "float32")[:, :cols]
    if variant.toolbox_noise:
        _subtract_mean_over_sd(spectrum, cols, h * w, nyquist=w % 2 == 0 and cols == half)
    return spectrum


def _subtract_mean_over_sd(spectrum: np.ndarray, cols: int, size: int, *,
                           nyquist: bool) -> None:
    """The toolbox's normalisation ``c - mean(c) / std(c)`` of each blurred plane
    (``size`` pixels), done on its rfft2 (zero beyond column ``cols``): the mean from
    the DC term, the SD by Parseval (``nyquist``: the last column is the Nyquist one,
    counted once). In place."""
    band = spectrum[:, :, :cols]
    weights = np.full(cols, 2.0, dtype=np.float32)
    weights[0] = 1.0
    if nyquist:
        weights[-1] = 1.0
    power = np.einsum("nhw,w->n", band.real**2 + band.imag**2, weights, dtype=np.float64)
    dc = spectrum[:, 0, 0].real.astype(np.float64)
    sd = np.sqrt(np.maximum(power - dc**2, 0.0)) / size
    spectrum[:, 0, 0] -= (dc / sd).astype(np.float32)  # (mean / sd) * size


def displacement_fields(
    rng: np.random.Generator,
    n: int,
    fat_shape: tuple[int, int],
    crop: tuple[slice, slice],
    sigmas: np.ndarray,
    *,
    reach: float,
    coherence: float,
    grain: float,
    variant: EidolonVariant = TOOLBOX,
) -> np.ndarray:
    """Displacements in px, ``(levels, 2, n, h, w)`` (axis 1: dy, dx) on the crop."""
    levels = len(sigmas)
    ys, xs = crop
    h, w = ys.stop - ys.start, xs.stop - xs.start
    fields = np.zeros((levels, 2, n, h, w), dtype=np.float32)
    c = coherence
    if c > 0:
        for axis in range(2):
            cumulative = None
            for k in range(levels - 1, -1, -1):  # coarse to fine: layer k moves by sum j>=k
                plane = _blurred_noise(rng, n, fat_shape, sigmas[k], variant)
                plane *= np.float32(sigmas[k] / NOISE_SIGMA_MAX)
                cumulative = plane if cumulative is None else cumulative + plane
                field = fft.irfft2(cumulative, s=fat_shape)[:, ys, xs]
                fields[k, axis] += np.float32(c) * field
    if c < 1:
        for axis in range(2):
            for k in range(levels):
                plane = _blurred_noise(rng, n, fat_shape, grain, variant)
                field = fft.irfft2(plane, s=fat_shape)[:, ys, xs]
                fields[k, axis] += np.float32(1.0 - c) * field
    fields *= np.float32(reach)
    return fields


def disarray(
    grey: np.ndarray,
    *,
    reach: float,
    coherence: float,
    grain: float,
    rng: np.random.Generator,
    variant: EidolonVariant = TOOLBOX,
) -> np.ndarray:
    """Partially coherent disarray of a grey batch ``(N, H, W)`` -> ``(N, H, W)``.

    Large batches are processed :data:`CHUNK` images at a time (about 40 MB of scale
    space and fields per 256 px image), drawing from ``rng`` chunk after chunk.
    """
    if grey.shape[0] > CHUNK:
        return np.concatenate([
            disarray(grey[i:i + CHUNK], reach=reach, coherence=coherence, grain=grain,
                     rng=rng, variant=variant)
            for i in range(0, grey.shape[0], CHUNK)
        ])
    sigmas = variant.levels()
    n, h, w = grey.shape
    fat, (top, left) = embed(grey)
    hh, ww = fat.shape[1:]
    crop = (slice(top, top + h), slice(left, left + w))
    layers = dog_layers(fat, sigmas, variant)
    fields = displacement_fields(rng, n, (hh, ww), crop, sigmas, reach=reach,
                                 coherence=coherence, grain=grain, variant=variant)
    return synthesize(layers, fields, (top, left), variant).astype(grey.dtype, copy=False)


def synthesize(layers: list[np.ndarray], fields: np.ndarray, corner: tuple[int, int],
               variant: EidolonVariant = TOOLBOX) -> np.ndarray:
    """Sum of the DoG ``layers`` (each ``(N, HH, WW)``), each read at its displaced
    position: ``fields`` ``(levels, 2, N, h, w)`` in px (dy, dx) over the picture, whose
    top left corner in the fat plane is ``corner``. -> ``(N, h, w)``.

    With ``variant.truncate`` the displaced coordinates are floored, as the toolbox's
    ``DataPlaneDisarray`` does (``astype(int)`` of a non-negative position), else rounded.
    """
    if variant.keep_residual:  # the finest residual moves with the finest DoG layer
        fields = np.concatenate([fields[:1], fields], axis=0)
    n, hh, ww = layers[0].shape
    h, w = fields.shape[-2:]
    top, left = corner
    to_pixel = np.floor if variant.truncate else np.rint
    rows = np.arange(top, top + h)[None, :, None]
    cols = np.arange(left, left + w)[None, None, :]
    image_offset = (np.arange(n) * hh * ww)[:, None, None]
    out = np.zeros((n, h, w), dtype=layers[0].dtype)
    for layer, field in zip(layers, fields, strict=True):
        y = np.clip(rows + to_pixel(field[0]).astype(np.intp), 0, hh - 1)
        x = np.clip(cols + to_pixel(field[1]).astype(np.intp), 0, ww - 1)
        out += layer.reshape(-1)[image_offset + y * ww + x]
    if variant.floor_output:  # the set writer's rounding then gives the toolbox's floor
        out -= out.dtype.type(0.5 / 255.0)
    return out


def eidolon(
    batch: np.ndarray,
    *,
    reach: float,
    coherence: float,
    grain: float,
    rng: np.random.Generator,
    variant: str = "toolbox",
) -> np.ndarray:
    """Eidolon of an RGB batch ``(N, H, W, 3)`` -> grey batch ``(N, H, W)`` (unclipped).

    ``reach`` in px per unit noise, ``coherence`` in [0, 1], ``grain`` in px;
    ``variant``: ``"toolbox"`` (the 2018 stimuli) or ``"sharp"``.
    """
    v = VARIANTS[variant]
    return disarray(v.grey(batch), reach=reach, coherence=coherence, grain=grain, rng=rng,
                    variant=v)


def check_parameters(reach: float, coherence: float, grain: float) -> None:
    """One-line :class:`LabInputError` for a reach below 0, a coherence outside [0, 1] or
    a grain that is not positive."""
    if not reach >= 0:
        raise LabInputError(f"eidolon reach {reach!r}: must be 0 or more")
    if not 0 <= coherence <= 1:
        raise LabInputError(f"eidolon coherence {coherence!r}: must be in [0, 1]")
    if not grain > 0:
        raise LabInputError(f"eidolon grain {grain!r}: must be more than 0 (px)")


# The experiments' condition codes ``reach-coherence*10-grain`` (``8-3-10``: reach 8,
# coherence 0.3, grain 10) are mapped to these numbers in their design files
# (stimuli/experiments/eidolonI.toml etc.).


@register("eidolon")
def eidolon_toolbox(batch: np.ndarray, rng: np.random.Generator, *, reach: float,
                    coherence: float, grain: float = 10.0) -> np.ndarray:
    """Eidolon as the 2018 toolbox made it: partially coherent disarray of the DoG scale
    space (reach in px, coherence 0 to 1, grain in px)."""
    check_parameters(reach, coherence, grain)
    return eidolon(batch, reach=reach, coherence=coherence, grain=grain, rng=rng)


@register("eidolon-sharp")
def eidolon_sharp(batch: np.ndarray, rng: np.random.Generator, *, reach: float,
                  coherence: float, grain: float = 10.0) -> np.ndarray:
    """Eidolon, sharp variant: finest detail kept, levels to 64 px, rounded displacements,
    Rec.709 grey (the eidolons of earlier versions of this project)."""
    check_parameters(reach, coherence, grain)
    return eidolon(batch, reach=reach, coherence=coherence, grain=grain, rng=rng,
                   variant="sharp")
