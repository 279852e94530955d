"""Fourier-domain manipulations: phase noise and power-spectrum equalisation.

Phase noise (``phase-noise``) adds uniform random shifts in [-w, w] degrees to the phases
of the grey image's 2-D FFT. By default the shifts are odd-symmetric (``shift(-f) =
-shift(f)``, zero at the self-conjugate frequencies), so the spectrum stays Hermitian, the
inverse FFT is real and the amplitude spectrum is kept exactly.

The original code (``phase-noise-original``) drew an independent shift for every
frequency and took the real part of the inverse FFT; that shrinks the amplitude spectrum
by about 0.98 (30°), 0.81 (90°) and 0.64 (180°), i.e. it also lowers the contrast. Use
``phase-noise-original`` to reproduce those stimuli.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from lab.errors import LabInputError
from stimuli.data_files import mean_power_spectrum
from stimuli.manipulations.grey import to_grey
from stimuli.manipulations.registry import register


def _mirror_index(n: int) -> np.ndarray:
    """Index of frequency ``-k`` for every FFT index ``k`` of an axis of length ``n``."""
    return (-np.arange(n)) % n


def hermitian_phase_noise(
    shape: tuple[int, int, int], width_deg: float, rng: np.random.Generator
) -> np.ndarray:
    """Uniform phase shifts in radians, ``(N, H, W)`` in FFT layout, odd-symmetric.

    One uniform draw per frequency; the draw of the lexicographically smaller of
    ``f`` and ``-f`` is used for both (with opposite signs); self-conjugate frequencies
    (DC and Nyquist) get 0.
    """
    n, h, w = shape
    u = rng.uniform(-width_deg, width_deg, size=shape)
    my, mx = _mirror_index(h), _mirror_index(w)
    flat = np.arange(h * w).reshape(h, w)
    mirror_flat = flat[my[:, None], mx[None, :]]
    mirrored = u[:, my[:, None], mx[None, :]]
    noise = np.where(flat < mirror_flat, u, -mirrored)
    noise[:, flat == mirror_flat] = 0.0
    return np.deg2rad(noise)


def _phase_noise(batch: np.ndarray, width: float, rng: np.random.Generator,
                 *, hermitian: bool) -> np.ndarray:
    """Grey batch out (N, H, W). Hermitian: real FFTs on the half plane (the output is
    real by construction); original: full complex FFTs, real part."""
    if not width >= 0:
        raise LabInputError(f"phase noise width {width!r}: must be 0 or more (degrees)")
    grey = to_grey(batch)
    if width == 0:
        return grey
    shape = grey.shape[1:]
    if hermitian:
        shifts = hermitian_phase_noise(grey.shape, width, rng)[:, :, : shape[1] // 2 + 1]
        rotation = np.exp(1j * shifts).astype(_complex(grey))
        return fft.irfft2(fft.rfft2(grey) * rotation, s=shape)
    shifts = np.deg2rad(rng.uniform(-width, width, size=grey.shape))
    rotation = np.exp(1j * shifts).astype(_complex(grey))
    return fft.ifft2(fft.fft2(grey) * rotation).real


def _complex(grey: np.ndarray) -> type:
    return np.complex64 if grey.dtype == np.float32 else np.complex128


@register("phase-noise")
def phase_noise(batch: np.ndarray, rng: np.random.Generator, *, width: float) -> np.ndarray:
    """Grey, FFT, Hermitian uniform phase shifts in [-width, width] degrees, inverse FFT."""
    return _phase_noise(batch, width, rng, hermitian=True)


@register("phase-noise-original")
def phase_noise_original(
    batch: np.ndarray, rng: np.random.Generator, *, width: float
) -> np.ndarray:
    """As in the 2018 code: independent shifts per frequency, real part (amplitude shrinks)."""
    return _phase_noise(batch, width, rng, hermitian=False)


@register("power-equalisation")
def power_equalisation(
    batch: np.ndarray, rng: np.random.Generator, *, equalise: bool
) -> np.ndarray:
    """Grey; ``equalise`` keeps the phase and sets the amplitude to the mean spectrum.

    Only 224 x 224 images can be equalised (the mean spectrum is 224 x 224 and is not
    resampled); other sizes raise :class:`LabInputError` - resize first.
    """
    grey = to_grey(batch)
    if not equalise:
        return grey
    target = mean_power_spectrum()
    if grey.shape[1:] != target.shape:
        raise LabInputError(
            f"power-equalisation needs {target.shape[0]}x{target.shape[1]} px images, got "
            f"{grey.shape[1]}x{grey.shape[2]}; resize the image first (e.g. --size 224)"
        )
    # The mean spectrum is symmetric (A(-f) = A(f)), so real FFTs on the half plane suffice.
    spectrum = fft.rfft2(grey)
    amplitude = np.fft.ifftshift(target)[:, : grey.shape[2] // 2 + 1].astype(grey.dtype)
    magnitude = np.abs(spectrum)
    unit = np.divide(spectrum, magnitude, out=np.ones_like(spectrum), where=magnitude > 0)
    return fft.irfft2(amplitude * unit, s=grey.shape[1:])
