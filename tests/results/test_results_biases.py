"""The bias table across networks: spectral bias, shape bias, robustness, and Spearman
correlations with bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_observers import records

from results.biases import bias_correlations, bias_table, half_accuracy_level, spearman_rows


def test_half_accuracy_level_interpolates_and_handles_the_unfiltered_control():
    assert half_accuracy_level(np.array([0, 1, 3, 5]), np.array([.8, .7, .3, .1])) == 2.5
    assert np.isnan(half_accuracy_level(np.array([0, 1, 3]), np.array([.8, .7, .6])))
    # high-pass: control sigma = inf, then decreasing sigma
    levels = np.array([np.inf, 3, 1.5, 1, 0.7])
    assert half_accuracy_level(levels, np.array([.9, .8, .6, .4, .2])) == pytest.approx(
        1.5 + (0.6 - 0.45) / (0.6 - 0.4) * (1 - 1.5))


def _network(name: str, rng, *, lp_half: float, shape: float, noise: float) -> pd.DataFrame:
    lp_levels = np.array([0, 1, 3, 5, 7, 10, 15, 40])
    lp_acc = 0.9 / (1 + (lp_levels / lp_half) ** 3)  # halves exactly at lp_half
    frames = [records("low-pass", name, ["0", "1", "3", "5", "7", "10", "15", "40"],
                      lp_acc, 400, rng, human=False),
              records("uniform-noise", name, ["0.00", "0.35"], np.array([0.9, noise]), 400,
                      rng, human=False)]
    cue = records("cue-conflict", name, ["0"], np.array([shape]), 400, rng, human=False)
    cue["texture"] = "cat"
    cue["response"] = np.where(cue["correct"], "dog", "cat")  # shape hit or texture hit
    frames.append(cue)
    return pd.concat(frames, ignore_index=True)


def test_bias_table_and_rank_correlations_with_intervals():
    rng = np.random.default_rng(3)
    nets = [(f"net{i}", 2 + 2 * i, 0.2 + 0.1 * i, 0.1 + 0.08 * i) for i in range(6)]
    table = pd.concat([_network(n, rng, lp_half=lp, shape=sb, noise=acc)
                       for n, lp, sb, acc in nets], ignore_index=True)
    biases = bias_table(table).set_index("network")
    for name, lp, sb, acc in nets:
        assert biases.loc[name, "low_pass_half_sigma"] == pytest.approx(lp, rel=0.25)
        assert biases.loc[name, "shape_bias"] == pytest.approx(sb, abs=0.07)
        assert biases.loc[name, "accuracy_uniform-noise"] == pytest.approx(acc, abs=0.07)
    assert np.isnan(biases["channel_centre_cpi"]).all()  # no critical-band data
    corr = bias_correlations(biases.reset_index(), n_boot=500)
    row = corr[(corr["bias"] == "shape_bias") & (corr["robustness"] == "mean_ood_accuracy")]
    assert row["spearman_rho"].iloc[0] == pytest.approx(1.0)
    assert row["rho_low"].iloc[0] <= 1.0 and row["n_networks"].iloc[0] == 6


def test_spearman_rows_matches_scipy_with_ties():
    from scipy.stats import spearmanr
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (20, 9)).astype(float)
    y = rng.random((20, 9))
    ours = spearman_rows(x, y)
    for i in range(20):
        assert ours[i] == pytest.approx(spearmanr(x[i], y[i]).statistic, abs=1e-12)
