"""Ideal square FFT low- and high-pass filters on colour images (``spectral-ffc``), as
Gavrikov & Keuper (2024) measured spectral bias (``paulgavrikov/biases_vs_generalization``,
``code/eval_spectral.py``, ``bandpass_filter``).

Per channel (the same mask for all three): ``F = fftshift(fft2(x))`` over the two spatial
axes; with ``cy = H // 2``, ``cx = W // 2``:

* **low-pass**, cut-off ``c``: ``ry = int(c * cy)``, ``rx = int(c * cx)``; keep the rows
  ``[cy - ry, cy + ry)`` and columns ``[cx - rx, cx + rx)`` (a centred square of side about
  ``c`` times the axis; the square is one index short on the positive side, as theirs);
* **high-pass**, cut-off ``c``: remove that square for ``1 - c`` (so small ``c`` keeps only
  the highest frequencies);

then ``ifft2(ifftshift(F * mask)).real``, clipped to [0, 1] (theirs: the real part, then
clip; the high-pass removes the mean, so dark pixels clip to 0). At 224 px the cut-offs
``0.01, 0.1, ..., 0.9, 0.99`` give the squares of their code; on non-square images the
half-widths scale per axis (their images are all 224 x 224).

Their metric is top-1 on the filtered images divided by clean top-1; the low- (high-)
frequency bias is its mean over c = 0.1 .. 0.5 (:mod:`results.gavrikov`).

>>> import numpy as np
>>> x = np.random.default_rng(0).random((1, 224, 224, 3))
>>> out = ffc_filter(x, cutoff=0.99, high=False)
>>> bool(np.abs(out - x).max() < 0.5)
True
"""

from __future__ import annotations

import numpy as np

from lab.errors import LabInputError
from stimuli.manipulations.registry import register

#: their cut-offs (``[0.01, *np.arange(0.1, 0.99, 0.1), 0.99]``)
CUTOFFS: tuple[float, ...] = (0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99)


def square_mask(height: int, width: int, cutoff: float, high: bool) -> np.ndarray:
    """The centred (fftshift-ed) mask: 1 where a frequency is kept."""
    cy, cx = height // 2, width // 2
    c = 1.0 - cutoff if high else cutoff
    ry, rx = int(c * cy), int(c * cx)
    inside = np.zeros((height, width), dtype=bool)
    inside[cy - ry:cy + ry, cx - rx:cx + rx] = True
    return ~inside if high else inside


def ffc_filter(batch: np.ndarray, *, cutoff: float, high: bool) -> np.ndarray:
    """Filtered ``(N, H, W, 3)`` batch, clipped to [0, 1]."""
    h, w = batch.shape[1:3]
    mask = square_mask(h, w, cutoff, high)[None, :, :, None]
    spectrum = np.fft.fftshift(np.fft.fft2(batch, axes=(1, 2)), axes=(1, 2))
    out = np.fft.ifft2(np.fft.ifftshift(spectrum * mask, axes=(1, 2)), axes=(1, 2)).real
    return np.clip(out, 0.0, 1.0).astype(batch.dtype, copy=False)


@register("spectral-ffc", grey_output=False)
def spectral_ffc(batch: np.ndarray, rng: np.random.Generator, *, cutoff: float,
                 high: bool) -> np.ndarray:
    """Ideal square FFT low-/high-pass keeping a fraction ``cutoff`` (colour; Gavrikov &
    Keuper 2024). ``cutoff`` 1 with ``high`` false is the clean image."""
    if not 0 < cutoff <= 1:
        raise LabInputError(f"spectral-ffc cutoff {cutoff!r}: must be in (0, 1]")
    if cutoff == 1 and not high:
        return batch.copy()
    return ffc_filter(batch, cutoff=cutoff, high=high)
