"""Simulated observers with known psychometric functions and channels, as record tables
(the columns :func:`lab.readers.read_trials` gives that the analyses use)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from stimuli.manipulations.bandpass import BANDS, CRITICAL_BAND_CODES, parse_band_code

GUESS = 1 / 16


def psi(x: np.ndarray, *, threshold: float, spread: float, lapse: float,
        decreasing: bool = True, criterion: float = 0.5) -> np.ndarray:
    """A Gaussian psychometric function with guess rate 1/16 whose proportion correct is
    ``criterion`` at ``threshold`` (``spread`` is the SD of the Gaussian)."""
    q = (criterion - GUESS) / (1 - GUESS - lapse)
    z = norm.ppf(1 - q) if decreasing else norm.ppf(q)
    mid = threshold - spread * z
    f = norm.cdf((np.asarray(x, float) - mid) / spread)
    return GUESS + (1 - GUESS - lapse) * ((1 - f) if decreasing else f)


def records(experiment: str, observer: str, conditions: list[str], p_correct: np.ndarray,
            n_per_condition: int, rng: np.random.Generator, *, human: bool = True
            ) -> pd.DataFrame:
    """Trials of one observer: ``n_per_condition`` Bernoulli trials per condition."""
    correct = rng.random((len(conditions), n_per_condition)) < np.asarray(p_correct)[:, None]
    n = correct.size
    return pd.DataFrame({
        "experiment": experiment, "observer": observer,
        "observer_type": "human" if human else "dnn",
        "source_format": "lab", "session": 1,
        "condition": np.repeat(conditions, n_per_condition),
        "correct": correct.ravel(), "category": "dog",
        "response": np.where(correct.ravel(), "dog", "cat"),
        "image_key": [f"img{i}" for i in range(n)],
        "file": f"/nonexistent/{observer}_beh.tsv", "rule": "" if human else "sum",
        "texture": "",
    })


def channel_sensitivity(k: np.ndarray, *, centre_cpi: float, bandwidth: float,
                        peak: float) -> np.ndarray:
    mu = math.log2(centre_cpi / 1.75)
    sigma = bandwidth / (2 * math.sqrt(math.log(4)))
    return peak * np.exp(-0.5 * ((np.asarray(k, float) - mu) / sigma) ** 2)


def channel_observer(observer: str, rng: np.random.Generator, *, centre_cpi: float,
                     bandwidth: float, peak: float, n_per_condition: int,
                     lapse: float = 0.02, human: bool = True) -> pd.DataFrame:
    """A critical-band observer whose noise threshold (50 % correct) in band k is
    ``1 / S(k)`` for the Gaussian channel ``S``; the psychometric spread is 0.35 x the
    threshold (Weber-like)."""
    s = channel_sensitivity(np.asarray(BANDS), centre_cpi=centre_cpi, bandwidth=bandwidth,
                            peak=peak)
    p = []
    for code in CRITICAL_BAND_CODES:
        band, sd = parse_band_code(code)
        t = 1 / s[band if band is not None else 0] if s[band or 0] > 1e-9 else 1e9
        p.append(float(psi(np.array([sd]), threshold=t, spread=0.35 * t, lapse=lapse)[0])
                 if band is not None else 1 - lapse)
    return records("critical-band", observer, list(CRITICAL_BAND_CODES), np.array(p),
                   n_per_condition, rng, human=human)
