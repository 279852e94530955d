"""Critical-band masking with an ideal one-octave filter (``critical-band-ideal``).

This is not the authors' stimulus (that is ``critical-band``,
:mod:`stimuli.manipulations.critical_band`, after Subramanian et al. 2023 and Gavrikov &
Keuper 2024): here the noise of band ``k`` is an ideal octave centred at its label, so the
bands sit where their labels say; the authors' Laplacian-pyramid bands sit lower.

A grey image at contrast 0.2 about its own mean luminance, plus Gaussian noise filtered to
one octave of spatial frequency centred at ``1.75 * 2**k`` cycles per image (``k = 0..6``:
1.75, 3.5, 7, 14, 28, 56, 112 c/img) with a standard deviation (over the image's pixels)
of exactly the noise level. The result is clipped to [0, 1] like every manipulation.

Parameters (keyword-only numbers): ``band`` (0..6), ``noise_sd`` (0: no noise, the band
is then irrelevant) and ``contrast`` (0.2). The design ``critical-band-ideal`` maps its condition
codes to them (two factors, band x noise SD): ``0`` is the noise-free control, shared by
every band; ``b<k>-<sd>`` is band ``k`` with noise SD ``sd`` (``0.02``, ``0.04``, ``0.08``,
``0.16``), e.g. ``b3-0.08`` = 14 c/img noise of SD 0.08.

The octave is ``[fc / sqrt(2), fc * sqrt(2))`` in radial frequency ``sqrt(fx² + fy²)``
(cycles per image, from the FFT grid of the image), an ideal (brick-wall) isotropic
filter: white Gaussian noise, FFT, every coefficient outside the octave set to 0, inverse
FFT, then scaled so that its SD over the image is the level (so the level is the SD of
the noise added, before clipping). The 112 c/img band reaches past the Nyquist frequency
of a 224 px image along the axes (112 c/img); only the frequencies the image holds are
kept (along the diagonals up to 112·sqrt(2)).

>>> import numpy as np
>>> noise = band_noise((1, 224, 224), band=3, noise_sd=0.08, rng=np.random.default_rng(0))
>>> round(float(noise.std()), 6)
0.08
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from lab.errors import LabInputError
from stimuli.manipulations.grey import to_grey
from stimuli.manipulations.registry import register

#: Centre of band 0 in cycles per image; band ``k`` is centred at ``BASE_CPI * 2**k``.
BASE_CPI = 1.75
BANDS: tuple[int, ...] = tuple(range(7))
NOISE_SDS: tuple[str, ...] = ("0.02", "0.04", "0.08", "0.16")
#: Image contrast about its mean luminance before the noise is added.
IMAGE_CONTRAST = 0.2
CONTROL_CODE = "0"
CRITICAL_BAND_CODES: tuple[str, ...] = (CONTROL_CODE,) + tuple(
    f"b{k}-{sd}" for k in BANDS for sd in NOISE_SDS)
_CODE = re.compile(r"^b(?P<band>\d+)-(?P<sd>\d+(?:\.\d+)?)$")


def band_centre(band: int) -> float:
    """Centre frequency of band ``band`` in cycles per image: ``1.75 * 2**band``."""
    return BASE_CPI * 2.0 ** band


def parse_band_code(code: str) -> tuple[int | None, float]:
    """``(band, noise SD)`` of a condition code: ``b3-0.08`` -> ``(3, 0.08)``; the control
    ``0`` -> ``(None, 0.0)``. Raises :class:`ValueError` for any other code. (The design
    file is where codes map to parameters; this reads the naming scheme, for tests and
    for checking a design.)"""
    if code == CONTROL_CODE:
        return None, 0.0
    match = _CODE.match(code)
    if match is None:
        raise ValueError(f"not a critical-band condition code: {code!r} (use 0 or b<k>-<sd>)")
    return int(match["band"]), float(match["sd"])


@lru_cache(maxsize=16)
def octave_mask(height: int, width: int, centre_cpi: float) -> np.ndarray:
    """Boolean ``(H, W // 2 + 1)`` mask of the ``rfft2`` coefficients whose radial
    frequency (cycles per image) lies in ``[centre / sqrt 2, centre * sqrt 2)``."""
    fy = np.fft.fftfreq(height) * height
    fx = np.fft.rfftfreq(width) * width
    radius = np.hypot(fy[:, None], fx[None, :])
    lo, hi = centre_cpi / math.sqrt(2.0), centre_cpi * math.sqrt(2.0)
    mask = (radius >= lo) & (radius < hi)
    mask.setflags(write=False)
    return mask


def band_noise(shape: tuple[int, int, int], *, band: int, noise_sd: float,
               rng: np.random.Generator) -> np.ndarray:
    """Octave-band Gaussian noise ``(N, H, W)`` (float64), each image's SD exactly
    ``noise_sd`` and mean 0 (the DC term is outside every band)."""
    if band not in BANDS:
        raise LabInputError(f"critical-band band {band!r}: must be one of 0-6")
    if not noise_sd >= 0:
        raise LabInputError(f"critical-band noise_sd {noise_sd!r}: must be 0 or more")
    n, h, w = shape
    if noise_sd == 0:
        return np.zeros(shape)
    mask = octave_mask(h, w, band_centre(band))
    if not mask.any():
        side = math.ceil(band_centre(band)) + 1  # the diagonal must reach fc / sqrt 2
        raise LabInputError(
            f"critical-band band {band} ({band_centre(band):g} c/img) holds no frequency "
            f"of a {h}x{w} image; it needs images of at least {side} px (the "
            "design uses 224)")
    white = rng.standard_normal(shape)
    spectrum = np.fft.rfft2(white, axes=(1, 2))
    spectrum *= mask
    noise = np.fft.irfft2(spectrum, s=(h, w), axes=(1, 2))
    sd = noise.std(axis=(1, 2), keepdims=True)
    return noise * (noise_sd / sd)


def critical_band(grey: np.ndarray, *, band: int, noise_sd: float,
                  rng: np.random.Generator, contrast: float = IMAGE_CONTRAST) -> np.ndarray:
    """Grey batch ``(N, H, W)`` at ``contrast`` about each image's mean, plus octave-band
    noise of SD ``noise_sd`` in band ``band`` (SD 0: no noise). Not clipped."""
    mean = grey.mean(axis=(1, 2), keepdims=True)
    out = (grey - mean) * grey.dtype.type(contrast) + mean
    if noise_sd > 0:
        out += band_noise(grey.shape, band=band, noise_sd=noise_sd, rng=rng).astype(
            grey.dtype, copy=False)
    return out


@register("critical-band-ideal")
def critical_band_masking(batch: np.ndarray, rng: np.random.Generator, *, band: int,
                          noise_sd: float, contrast: float = IMAGE_CONTRAST) -> np.ndarray:
    """Grey at contrast 0.2 about its mean, plus ideal one-octave noise (not the authors')."""
    if band not in BANDS:
        raise LabInputError(f"critical-band band {band!r}: must be one of 0-6")
    if not noise_sd >= 0:
        raise LabInputError(f"critical-band noise_sd {noise_sd!r}: must be 0 or more")
    return critical_band(to_grey(batch), band=band, noise_sd=noise_sd, rng=rng,
                         contrast=contrast)
