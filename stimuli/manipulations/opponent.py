"""Opponent colour (false colour): flip the two chromatic DKL axes (Geirhos et al. 2018, Methods).

8-bit RGB -> luminance through the measured display curve of the 2018 lab ->
cone activations ``M @ rgb`` -> subtract the white point -> DKL ``N @ delta`` -> negate
the L-M and S-(L+M) axes -> back (``N^-1``, add white point, ``M^-1``) -> clip to [0, 1]
-> invert the display curve by its nearest entry -> /255. Stays in colour.
"""

from __future__ import annotations

import numpy as np

from stimuli.data_files import display_gamma_curve
from stimuli.manipulations.registry import register

#: Display primaries to cone fundamentals of the original lab.
M = np.array([
    [0.1619982647, 0.208049264, 0.0389347448],
    [0.0330275785, 0.2496504557, 0.0618343518],
    [0.0015524055, 0.0198861001, 0.1890224274],
])
#: Cone contrast to DKL (luminance, L-M, S-(L+M)).
N = np.array([
    [9.27590805, 9.27590805, 0.0],
    [7.86421647, -9.33587662, 0.0],
    [-3.39709047, -3.39709047, 12.16230246],
])
WHITE_POINT = np.array([0.20449114, 0.17225619, 0.10523047])
#: Sign of each DKL axis after the flip.
FLIP = np.array([1.0, -1.0, -1.0])


def _opponent_matrix() -> tuple[np.ndarray, np.ndarray]:
    """Linear RGB -> linear RGB as ``rgb' = A @ rgb + b`` (the whole chain is affine)."""
    back = np.linalg.inv(M) @ np.linalg.inv(N) @ np.diag(FLIP) @ N
    a = back @ M
    b = np.linalg.inv(M) @ (WHITE_POINT - np.linalg.inv(N) @ (FLIP * (N @ WHITE_POINT)))
    return a, b


def to_display_levels(linear: np.ndarray) -> np.ndarray:
    """Invert the display curve: the 8-bit level whose luminance is nearest, as int."""
    curve = display_gamma_curve()
    idx = np.clip(np.searchsorted(curve, linear), 1, curve.size - 1)
    lower = curve[idx - 1]
    upper = curve[idx]
    return np.where(linear - lower <= upper - linear, idx - 1, idx)


@register("opponent-colour", grey_output=False)
def opponent_colour(batch: np.ndarray, rng: np.random.Generator, *, flip: bool) -> np.ndarray:
    """``flip`` negates the two DKL chromatic axes; otherwise the image is kept."""
    if not flip:
        return batch.copy()
    levels = np.floor(batch * 255.0 + 0.5).astype(np.intp)
    linear = display_gamma_curve()[np.clip(levels, 0, 255)]
    a, b = _opponent_matrix()
    flipped = np.clip(linear @ a.T + b, 0.0, 1.0)
    return (to_display_levels(flipped) / 255.0).astype(batch.dtype)
