"""How sure a number is: 95 % Wilson intervals for accuracies, and the minimum number of
trials behind a plotted point below which figures and the report say so.

One home for these rules: tables, figures and the report all use this module.

The Wilson score interval (Wilson 1927) of ``k`` correct out of ``n`` trials is

    centre ± half  with  centre = (p + z²/2n) / (1 + z²/n),
                         half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²),

``p = k/n`` and ``z`` the 97.5 % normal quantile. Unlike the normal approximation it stays
inside [0, 1] and is honest at 0 % and 100 % and for small ``n``. For a group of observers
the trials are pooled (the interval says how well the trials pin down the group's rate; the
spread *between* observers is shown separately as their range).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z_95 = 1.959963984540054  #: the 97.5 % quantile of the standard normal distribution

#: Fewer trials than this behind one plotted point and a figure says so, on the figure and
#: in the report: a 95 % interval of a proportion from 20 trials is still about ±0.2 wide.
MIN_TRIALS_PER_POINT = 20


def wilson_interval(correct: np.ndarray | pd.Series | float, n: np.ndarray | pd.Series | float,
                    z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the Wilson score interval of ``correct`` successes in
    ``n`` trials (element-wise; NaN where ``n`` is 0)."""
    k = np.asarray(correct, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        denominator = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        low, high = centre - half, centre + half
    low = np.where(n > 0, np.clip(low, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(high, 0.0, 1.0), np.nan)
    return low, high


def too_few(n: int | float | None, minimum: int = MIN_TRIALS_PER_POINT) -> bool:
    """Whether a point resting on ``n`` trials is below the minimum."""
    return n is not None and not np.isnan(n) and n < minimum


def low_n_text(min_n: int, minimum: int = MIN_TRIALS_PER_POINT) -> str:
    """The sentence figures and the report show when a point rests on too few trials."""
    return (f"Caution: some points rest on fewer than {minimum} trials (fewest: {min_n}); "
            "read them with care.")
