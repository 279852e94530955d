"""Biases across many networks, and whether they predict robustness (Gavrikov & Keuper
2024; Subramanian et al. 2023).

One row per network (:func:`bias_table`):

* ``shape_bias``: cue-conflict shape bias over all classes (Geirhos et al. 2019);
* ``low_pass_half_sigma`` / ``high_pass_half_sigma``: the *spectral bias*, the filter
  sigma (px) at which accuracy falls to half of its accuracy on the unfiltered control,
  linearly interpolated between the tested sigmas (NaN: never halves within the tested
  range). A network that still recognises heavily low-passed images (large low-pass
  sigma) leans on low frequencies; one that survives strong high-pass filtering (small
  high-pass sigma) on high frequencies;
* ``channel_centre_cpi`` / ``channel_bandwidth_octaves``: the critical-band channel
  (:mod:`results.channels`);
* ``accuracy_<experiment>``: accuracy on each distortion over its out-of-distribution
  conditions, and ``mean_ood_accuracy``, their mean (:mod:`results.benchmark`'s rules).

:func:`bias_correlations`: Spearman rank correlation across networks of every bias with
every robustness column, with a 95 % bootstrap interval (networks resampled with
replacement, ``n_boot`` replicates, vectorised ranking). With few networks the intervals
are wide; Gavrikov & Keuper found, over 48 ResNet-50s, that no single bias predicts
robustness holistically.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from lab.readers import HUMAN
from results.benchmark import ood_trials
from results.channels import banded_experiments, channel_tables
from results.shape_bias import shape_bias
from results.tables import design_for

BIAS_COLUMNS = ("shape_bias", "low_pass_half_sigma", "high_pass_half_sigma",
                "channel_centre_cpi", "channel_bandwidth_octaves")


def distortions(trials: pd.DataFrame) -> list[str]:
    """Experiments that measure robustness to a distortion: more than one condition in
    the data and not a banded (critical-band) design, which measures a bias."""
    banded = set(banded_experiments(trials["experiment"]))
    counts = trials.groupby("experiment")["condition"].nunique()
    return [e for e, n in counts.items() if n > 1 and e not in banded]


def half_accuracy_level(levels: np.ndarray, accuracy: np.ndarray) -> float:
    """The level at which accuracy first falls to half of the first (control) level's
    accuracy, walking from the control; linear interpolation between tested levels; NaN
    when it never does.

    >>> half_accuracy_level(np.array([0, 1, 3, 5]), np.array([0.8, 0.7, 0.3, 0.1]))
    2.5
    """
    levels = np.asarray(levels, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    target = accuracy[0] / 2.0
    for i in range(1, len(levels)):
        if accuracy[i] <= target:
            a0, a1 = accuracy[i - 1], accuracy[i]
            l0, l1 = levels[i - 1], levels[i]
            if math.isinf(l0):  # high-pass: from the unfiltered control straight down
                return float(l1)
            frac = (a0 - target) / (a0 - a1) if a0 != a1 else 1.0
            return float(l0 + frac * (l1 - l0))
    return math.nan


def _network_accuracy(table: pd.DataFrame, experiment: str) -> pd.DataFrame:
    """Accuracy per network and condition of ``experiment`` (design order)."""
    rows = table[(table["experiment"] == experiment) & (table["observer_type"] != HUMAN)]
    if rows.empty:
        return pd.DataFrame()
    design = design_for(experiment, rows["condition"].unique())
    acc = rows.groupby(["observer", "condition"])["correct"].mean().unstack()
    if design is not None:
        acc = acc[[c for c in design.conditions if c in acc.columns]]
    return acc


def spectral_bias(table: pd.DataFrame) -> pd.DataFrame:
    """``low_pass_half_sigma`` and ``high_pass_half_sigma`` per network."""
    out = {}
    for experiment, column in (("low-pass", "low_pass_half_sigma"),
                               ("high-pass", "high_pass_half_sigma")):
        acc = _network_accuracy(table, experiment)
        if acc.empty:
            continue
        design = design_for(experiment, list(acc.columns))
        levels = np.array([design.level_of(c) for c in acc.columns])
        out[column] = {net: half_accuracy_level(levels, row.to_numpy())
                       for net, row in acc.iterrows()}
    return pd.DataFrame(out)


def bias_table(table: pd.DataFrame, *, channel_method: str = "psignifit",
               n_boot: int = 200) -> pd.DataFrame:
    """One row per network: biases and robustness (module docstring)."""
    networks = sorted(table.loc[table["observer_type"] != HUMAN, "observer"].unique())
    out = pd.DataFrame(index=pd.Index(networks, name="network"))
    bias = shape_bias(table)
    if len(bias):
        overall = bias[(bias["category"] == "all") & (bias["observer"] == bias["group"])]
        out["shape_bias"] = overall.set_index("observer")["shape_bias"]
    out = out.join(spectral_bias(table))
    if banded_experiments(table["experiment"]):
        dnn = table[table["observer_type"] != HUMAN]
        channels, _ = channel_tables(dnn, method=channel_method, n_boot=n_boot)
        if len(channels):
            c = channels.set_index("observer")
            out["channel_centre_cpi"] = c["centre_cpi"]
            out["channel_bandwidth_octaves"] = c["bandwidth_octaves"]
    trials = ood_trials(table)
    trials = trials[(trials["observer_type"] != HUMAN)
                    & trials["experiment"].isin(distortions(table))]
    if len(trials):
        per = trials.groupby(["observer", "experiment"])["correct"].mean().unstack()
        for experiment in per.columns:
            out[f"accuracy_{experiment}"] = per[experiment]
        out["mean_ood_accuracy"] = per.mean(axis=1)
    for column in BIAS_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    ordered = list(BIAS_COLUMNS) + sorted(c for c in out.columns if c.startswith("accuracy_"))
    ordered += ["mean_ood_accuracy"] if "mean_ood_accuracy" in out.columns else []
    return out[ordered].astype(float).reset_index()


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair of ``x`` and ``y`` ``(B, n)`` (average ranks for
    ties); NaN where a row is constant."""
    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        return (rx * ry).sum(axis=1) / np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum(axis=1))


def bias_correlations(biases: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0
                      ) -> pd.DataFrame:
    """Spearman rho of every bias with every robustness column across networks, with a
    95 % bootstrap interval (networks resampled). Pairs with fewer than 4 networks having
    both values are left out."""
    rng = np.random.default_rng(seed)
    robustness = [c for c in biases.columns if c.startswith("accuracy_")
                  or c == "mean_ood_accuracy"]
    rows = []
    for bias in BIAS_COLUMNS:
        for target in robustness:
            both = biases[[bias, target]].dropna()
            n = len(both)
            if n < 4:
                continue
            x, y = both[bias].to_numpy(float), both[target].to_numpy(float)
            rho = float(spearman_rows(x[None], y[None])[0])
            pick = rng.integers(0, n, size=(n_boot, n))
            reps = spearman_rows(x[pick], y[pick])
            with np.errstate(all="ignore"):
                low, high = np.nanpercentile(reps, [2.5, 97.5])
            rows.append((bias, target, n, rho, float(low), float(high)))
    return pd.DataFrame(rows, columns=["bias", "robustness", "n_networks", "spearman_rho",
                                       "rho_low", "rho_high"])
