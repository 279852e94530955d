"""Critical-band masking as the authors built it (Subramanian et al. 2023; the same stimulus
in Gavrikov & Keuper 2024): a Laplacian-pyramid band of white noise.

Read from the authors' code (``ajaysub110/critical-band-masking``, ``methods.py``
``solomon_filter`` and ``hyperparameters.py``; the same function in
``paulgavrikov/biases_vs_generalization``, ``code/eval_criticalband.py``). For one grey image
``x`` (8-bit, ``H x W``), band ``k`` (0..6) and noise SD ``s``:

1. ``x = x / 255``; ``x' = (x - mean(x)) * 0.2 + 0.449`` (contrast 0.2 about the ImageNet
   mean luminance 0.449, not about the image's own mean);
2. ``s == 0``: ``x'`` is the stimulus (no random number is drawn);
3. otherwise white noise ``s * N(0, 1)`` over the whole image is decomposed by
   ``pyrtools.pyramids.LaplacianPyramid`` with its defaults (binom5 filters, reflect1
   edges, automatic height: 7 scales at 224 px). Band ``k`` is the reconstruction from level
   ``6 - k`` alone (``k = 0`` is the low-pass residual, ``k = 6`` the finest level), rescaled
   to the RMS of the level-0 reconstruction (means not removed);
4. ``y = x' + n``. Where ``y`` leaves [0, 1] nothing is clipped: a pixel below 0 has its
   image value moved so that ``y`` is exactly 0.1 (above 1: 0.9); when that would need an
   image value outside [0, 1] the image pixel is kept and its noise value is redrawn
   (``s * N(0, 1)``, unfiltered) until ``y`` is in range. Pixels are visited in row-major
   order; redraws use the same random stream;
5. the result is cast to float32.

Bands are labelled as the authors label them: ``1.75 * 2**k`` c/img (1.75 ... 112). The
pyramid's bands sit lower than their labels (power peaks at about 0.4 x the label; see
``docs/stimuli.md``, "Critical-band spectra"); :mod:`stimuli.manipulations.bandpass` keeps
the ideal one-octave filter at the nominal centre as ``critical-band-ideal``.

The grey image is PIL's ``convert("L")`` of the 8-bit RGB (ITU-R 601-2 luma in fixed point),
as the authors load it. Random numbers come from the ``rng`` argument (a
:class:`numpy.random.Generator`) instead of numpy's legacy global state, so a seeded
stimulus is reproducible here; the authors' own pixels cannot be regenerated (their README:
the published set used another seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.errors import LabInputError
from stimuli.manipulations.registry import register

#: ``hyperparameters.py``: CONTRAST, IMAGENET_MEAN, NOISE_SDS, N_FREQS
CONTRAST = 0.2
IMAGENET_MEAN = 0.449
N_BANDS = 7
#: the value an out-of-range pixel is moved to (``EPSILON = 0.1`` from each bound)
EPSILON = 0.1
PYRTOOLS_REQUIREMENT = "pyrtools>=1.0.1,!=1.1"


def pyrtools():
    """The ``pyrtools`` module, or a one-line LabInputError saying how to install it."""
    try:
        import pyrtools as pt
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise LabInputError(
            f"critical-band needs pyrtools (the authors' Laplacian pyramid): "
            f"pip install '{PYRTOOLS_REQUIREMENT}'") from exc
    return pt


def luma_uint8(batch: np.ndarray) -> np.ndarray:
    """PIL's ``convert("L")`` of RGB in [0, 1] read as 8-bit: ``(R*19595 + G*38470 +
    B*7471 + 32768) >> 16`` on the 8-bit values. ``(..., 3)`` -> uint8 ``(...)``."""
    rgb = np.rint(np.clip(batch, 0.0, 1.0) * 255.0).astype(np.int64)
    luma = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 32768) >> 16
    return luma.astype(np.uint8)


def rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a ** 2)))


def pyramid_band(noise: np.ndarray, band: int) -> np.ndarray:
    """Band ``band`` of ``noise`` (2-D): the reconstruction from pyramid level ``6 - band``
    alone, rescaled to the RMS of the level-0 reconstruction."""
    pt = pyrtools()
    pyr = pt.pyramids.LaplacianPyramid(noise)
    if pyr.num_scales < N_BANDS:
        raise LabInputError(
            f"critical-band: a {noise.shape[0]}x{noise.shape[1]} image has a "
            f"{pyr.num_scales}-scale pyramid; the 7 bands need at least 7 (use 224 px "
            "images, as the design does)")
    recon = pyr.recon_pyr(levels=N_BANDS - (band + 1))
    first = pyr.recon_pyr(levels=0)
    return recon * (rms(first) / rms(recon))


@dataclass
class OutOfRange:
    """What the out-of-range rule did to one image (counts of pixels)."""

    shifted: int = 0
    redrawn: int = 0


def place_in_range(image: np.ndarray, noise: np.ndarray, noise_sd: float,
                   rng: np.random.Generator, record: OutOfRange | None = None) -> np.ndarray:
    """``image + noise`` with every out-of-range pixel shifted or its noise redrawn (the
    authors' rule, step 4 of the module docstring); ``image`` and ``noise`` are changed in
    place. Never clips."""
    y = image + noise
    if y.min() >= 0 and y.max() <= 1:
        return y
    low, high = y < 0, y > 1
    newp = np.where(low, EPSILON - noise, (1 - EPSILON) - noise)
    other_side = (low & (newp > 1)) | (high & (newp < 0))
    shift = (low | high) & ~other_side
    image[shift] = newp[shift]
    redraw = np.argwhere(other_side)  # row-major, as the authors' loop visits them
    for i, j in redraw:
        m = noise[i, j]
        while m + image[i, j] < 0 or m + image[i, j] > 1:
            m = rng.standard_normal() * noise_sd
        noise[i, j] = m
    if record is not None:
        record.shifted += int(shift.sum())
        record.redrawn += len(redraw)
    y = image + noise
    assert y.min() >= 0 and y.max() <= 1, "out-of-range rule left a pixel outside [0, 1]"
    return y


def solomon_stimulus(grey_uint8: np.ndarray, *, band: int, noise_sd: float,
                     rng: np.random.Generator, contrast: float = CONTRAST,
                     mean: float = IMAGENET_MEAN,
                     record: OutOfRange | None = None) -> np.ndarray:
    """The authors' stimulus for one 8-bit grey image ``(H, W)`` as float32 ``(H, W)``."""
    x = grey_uint8 / 255.0
    x = (x - x.mean()) * contrast + mean
    if noise_sd == 0:
        return x.astype(np.float32)
    noise = rng.standard_normal(x.shape) * noise_sd
    n = pyramid_band(noise, band)
    return place_in_range(x, n, noise_sd, rng, record).astype(np.float32)


def _check(band: int, noise_sd: float, contrast: float, mean: float) -> None:
    if band not in range(N_BANDS):
        raise LabInputError(f"critical-band band {band!r}: must be one of 0-6")
    if not noise_sd >= 0:
        raise LabInputError(f"critical-band noise_sd {noise_sd!r}: must be 0 or more")
    lo, hi = mean - contrast * 1.0, mean + contrast * 1.0
    if not (0 <= contrast <= 1 and lo >= 0 - 1e-12 and hi <= 1 + 1e-12):
        raise LabInputError(
            f"critical-band contrast {contrast!r} about {mean!r} can leave [0, 1]; "
            "use the authors' 0.2 about 0.449")


@register("critical-band")
def critical_band_pyramid(batch: np.ndarray, rng: np.random.Generator, *, band: int,
                          noise_sd: float, contrast: float = CONTRAST,
                          mean: float = IMAGENET_MEAN) -> np.ndarray:
    """Grey at contrast 0.2 about 0.449 plus a Laplacian-pyramid band of noise (authors')."""
    _check(band, noise_sd, contrast, mean)
    grey = luma_uint8(batch)
    out = np.empty(grey.shape, dtype=batch.dtype)
    for i in range(grey.shape[0]):
        out[i] = solomon_stimulus(grey[i], band=band, noise_sd=noise_sd, rng=rng,
                                  contrast=contrast, mean=mean)
    return out
