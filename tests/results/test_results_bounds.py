"""Fits never report what they cannot know: thresholds beyond the tested levels are bounds,
a network at chance has no threshold (not a negative noise SD) and no channel."""

from __future__ import annotations

import numpy as np
import pandas as pd
from synthetic_observers import GUESS, psi, records

from lab.design import load_experiment
from results.channels import NOT_REACHED, channel_tables
from results.psychometric import fit_all, threshold_table
from results.subramanian import matrices_from_trials, subramanian_table
from stimuli.manipulations.bandpass import CRITICAL_BAND_CODES


def chance_network(name: str, seed: int) -> pd.DataFrame:
    p = np.full(len(CRITICAL_BAND_CODES), GUESS)
    return records("critical-band", name, list(CRITICAL_BAND_CODES), p, 40,
                   np.random.default_rng(seed), human=False)


def test_networks_at_chance_have_no_threshold_and_no_channel():
    trials = pd.concat([chance_network("random-a", 1), chance_network("random-b", 2)],
                       ignore_index=True)
    for method in ("psignifit", "stepped"):
        channels, bands = channel_tables(trials, method=method, n_boot=50)
        assert len(channels) == 2, method
        assert not channels["identified"].any(), method
        assert channels["reason"].str.contains("never above the criterion").all(), method
        values = bands[["threshold", "threshold_low", "threshold_high"]].to_numpy(float)
        assert not (values[np.isfinite(values)] < 0).any(), method
        assert (bands["status"] == NOT_REACHED).all(), method
        assert not bands["censored"].any(), method
    table = subramanian_table(matrices_from_trials(trials), group_rows=False)
    assert not table["identified"].any()


def test_threshold_beyond_the_highest_tested_level_is_a_bound_with_a_flag():
    design = load_experiment("contrast")
    levels = np.array([design.level_of(c) for c in design.conditions], float)
    top = levels.max()
    p = psi(levels, threshold=2.31 * top, spread=0.8 * top, lapse=0.02, decreasing=False)
    trials = records("contrast", "weak-net", list(design.conditions), p, 60,
                     np.random.default_rng(4), human=False)
    table = threshold_table(fit_all(trials))
    row = table.iloc[0]
    assert row["censored"] == "above" and row["shown"] == f"> {top:g}"
    assert row["threshold"] == top and row["threshold_high"] <= top
    assert row["n_levels"] == len(levels) and row["n_trials"] == 60 * len(levels)
    # the bound is read before the number that stands for it
    assert list(table.columns[5:8]) == ["shown", "censored", "threshold"]


def test_noise_threshold_never_negative_and_in_range_ones_untouched():
    design = load_experiment("uniform-noise")
    levels = np.array([design.level_of(c) for c in design.conditions], float)
    chance = records("uniform-noise", "random", list(design.conditions),
                     np.full(len(levels), GUESS), 60, np.random.default_rng(5), human=False)
    good = records("uniform-noise", "good", list(design.conditions),
                   psi(levels, threshold=0.3, spread=0.08, lapse=0.02), 80,
                   np.random.default_rng(6), human=False)
    table = threshold_table(fit_all(pd.concat([chance, good], ignore_index=True)))
    bad = table[table["observer"] == "random"].iloc[0]
    assert bad["censored"] == "not reached" and np.isnan(bad["threshold"])
    fine = table[table["observer"] == "good"].iloc[0]
    assert fine["censored"] == "" and 0.2 < fine["threshold"] < 0.4
    assert (table["threshold"].dropna() >= 0).all()
