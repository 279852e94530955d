"""Bootstrap intervals: the point estimates are the unchanged metrics, and the intervals
cover the truth about 95 % of the time on simulated observers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lab.readers import read_trials
from results.benchmark import benchmark_table
from results.consistency import pairwise_consistency
from results.shape_bias import shape_bias
from results.tables import summary_table
from results.uncertainty import (
    accuracy_intervals,
    benchmark_intervals,
    consistency_intervals,
    kappa_from_counts,
    noise_ceilings,
    percentile_interval,
    shape_bias_intervals,
    split_half_reliability,
)


def simulated_pairs(n_conditions: int, n_images: int, p1: float, p2: float, kappa: float,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Two observers per condition whose (population) error consistency is ``kappa``."""
    c_exp = p1 * p2 + (1 - p1) * (1 - p2)
    both = p1 * p2 + kappa * (1 - c_exp) / 2
    cells = np.array([both, p1 - both, p2 - both, 1 - p1 - p2 + both])
    draws = rng.choice(4, size=(n_conditions, n_images), p=cells)
    right_1 = (draws == 0) | (draws == 1)
    right_2 = (draws == 0) | (draws == 2)
    frames = []
    for name, right, kind in (("sub-01", right_1, "human"), ("sub-02", right_2, "human")):
        frames.append(pd.DataFrame({
            "experiment": "sim", "observer": name, "observer_type": kind,
            "source_format": "lab", "session": 1,
            "condition": np.repeat([f"c{i}" for i in range(n_conditions)], n_images),
            "image_key": np.tile([f"img{j}" for j in range(n_images)], n_conditions),
            "correct": right.ravel(), "category": "dog",
            "response": np.where(right.ravel(), "dog", "cat"), "texture": "",
        }))
    return pd.concat(frames, ignore_index=True)


def test_error_consistency_interval_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(2025)
    table = simulated_pairs(300, 160, 0.7, 0.6, 0.3, rng)
    per_condition, _, _ = consistency_intervals(table, n_boot=400, seed=1)
    covered = ((per_condition["error_consistency_low"] <= 0.3)
               & (per_condition["error_consistency_high"] >= 0.3)).mean()
    assert 0.91 <= covered <= 0.985, covered
    c_exp = 0.7 * 0.6 + 0.3 * 0.4
    true_observed = c_exp + 0.3 * (1 - c_exp)
    covered_obs = ((per_condition["observed_consistency_low"] <= true_observed)
                   & (true_observed <= per_condition["observed_consistency_high"])).mean()
    assert 0.91 <= covered_obs <= 0.985, covered_obs


def test_accuracy_interval_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(7)
    table = simulated_pairs(400, 100, 0.7, 0.6, 0.0, rng)
    table = table[table["observer"] == "sub-01"]
    intervals = accuracy_intervals(table, n_boot=400, seed=2)
    covered = ((intervals["accuracy_low"] <= 0.7) & (intervals["accuracy_high"] >= 0.7)).mean()
    assert 0.91 <= covered <= 0.985, covered


def test_point_estimates_are_the_unchanged_metrics(lab_records):
    table = read_trials(lab_records)
    per_condition, per_pair, per_group = consistency_intervals(table, n_boot=50)
    ref = pairwise_consistency(table).merge(
        per_condition, on=["experiment", "condition", "observer_1", "observer_2"])
    assert len(ref) == len(pairwise_consistency(table))
    np.testing.assert_array_equal(ref["error_consistency_x"], ref["error_consistency_y"])
    np.testing.assert_array_equal(ref["observed_consistency_x"], ref["observed_consistency_y"])
    bench = benchmark_table(table).set_index("observer")
    ours = benchmark_intervals(table, n_boot=50).set_index("observer")
    for metric in ("ood_accuracy", "accuracy_difference", "observed_consistency",
                   "error_consistency"):
        np.testing.assert_allclose(ours.loc[bench.index, metric], bench[metric],
                                   rtol=0, atol=1e-15)
        assert (ours[f"{metric}_low"] <= ours[metric] + 1e-12).all()
    accuracy = accuracy_intervals(table, n_boot=50)
    merged = summary_table(table).merge(accuracy, on=["experiment", "condition", "observer"])
    np.testing.assert_allclose(merged["accuracy_x"], merged["accuracy_y"], atol=1e-15)


def test_benchmark_and_shape_bias_equal_model_vs_human_data(shared_data):
    folder = shared_data / "model-vs-human" / "human-raw-data"
    table = read_trials([folder / "contrast", folder / "cue-conflict"])
    ours = benchmark_intervals(table, n_boot=100).set_index("observer")
    bench = benchmark_table(table).set_index("observer")
    for metric in ("ood_accuracy", "accuracy_difference", "observed_consistency",
                   "error_consistency"):
        assert ours.loc["humans", metric] == pytest.approx(bench.loc["humans", metric],
                                                           abs=1e-15)
        assert ours.loc["humans", f"{metric}_low"] < ours.loc["humans", metric] < \
            ours.loc["humans", f"{metric}_high"]
    bias = shape_bias_intervals(table, n_boot=200).set_index("observer")
    ref = shape_bias(table)
    ref = ref[ref["category"] == "all"].set_index("observer")
    np.testing.assert_allclose(bias.loc[ref.index, "shape_bias"], ref["shape_bias"],
                               atol=1e-15)
    ceilings = noise_ceilings(table, n_boot=100)
    assert set(ceilings["experiment"]) == {"contrast", "cue-conflict"}
    assert (ceilings["split_half_reliability"].between(0, 1)).all()


def test_split_half_reliability_of_identical_and_independent_humans():
    rng = np.random.default_rng(0)
    difficulty = rng.random(300)
    same = np.repeat((difficulty > 0.5)[:, None], 6, axis=1).astype(float)
    assert split_half_reliability(same) == pytest.approx(1.0)
    independent = (rng.random((300, 6)) < 0.6).astype(float)
    assert abs(split_half_reliability(independent)) < 0.2


def test_percentile_interval_is_exactly_the_2_5_and_97_5_percentiles():
    """On 0, 1, ..., 400 the 2.5th and 97.5th percentiles are 10 and 390 exactly (5/95
    would give 20/380, 4/96 16/384); NaN replicates are ignored, all-NaN gives NaN."""
    low, high = percentile_interval(np.arange(401.0))
    assert (float(low), float(high)) == (10.0, 390.0)
    rows = np.vstack([np.arange(401.0), np.arange(401.0) * 2, np.full(401, np.nan)])
    rows[0, [3, 7]] = np.nan  # ignored, not counted as values
    low, high = percentile_interval(np.r_[rows[0, :3], rows[0, 4:7], rows[0, 8:]], axis=0)
    ref = np.nanpercentile(rows[0], [2.5, 97.5])
    assert (float(low), float(high)) == (ref[0], ref[1])
    with np.errstate(all="ignore"):
        low, high = percentile_interval(rows, axis=1)
    assert low[1] == 20.0 and high[1] == 780.0
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_kappa_from_counts_matches_the_formula_on_known_counts():
    """10 trials, observer 1 right on 8, observer 2 on 6, both on 5: observed (5 + 1) / 10,
    expected 0.8 * 0.6 + 0.2 * 0.4 = 0.56, kappa (0.6 - 0.56) / 0.44."""
    observed, kappa = kappa_from_counts(np.array([5.0, 4.0]), np.array([8.0, 4.0]),
                                        np.array([6.0, 4.0]), np.array([10.0, 4.0]))
    assert observed[0] == pytest.approx(0.6) and kappa[0] == pytest.approx(0.04 / 0.44)
    assert observed[1] == 1.0 and kappa[1] == 1.0  # both always right: perfect agreement
