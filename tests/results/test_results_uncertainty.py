"""Bootstrap intervals: the point estimates are the unchanged metrics, and the intervals
cover the truth about 95 % of the time on simulated observers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lab.datasets import HUMANS_2018
from lab.readers import read_trials
from results.benchmark import benchmark_table, ood_trials
from results.consistency import consistency_by_group, pairwise_consistency
from results.shape_bias import shape_bias
from results.tables import simulated_humans, summary_table
from results.uncertainty import (
    OBSERVERS,
    RESAMPLE_LABELS,
    TRIALS,
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


# -- issue 19: intervals for people, one computation per number ----------------------------
def test_percentile_interval_is_exactly_the_2_5_and_97_5_percentiles():
    """On 0, 0.001, ..., 1 the 2.5/97.5 percentiles are 0.025 and 0.975 exactly: a 5/95
    or 4/96 slip gives 0.05/0.95 or 0.04/0.96 and fails; NaN replicates are ignored."""
    replicates = np.arange(1001) / 1000
    low, high = percentile_interval(replicates)
    assert float(low) == pytest.approx(0.025, abs=1e-12)
    assert float(high) == pytest.approx(0.975, abs=1e-12)
    shuffled = np.random.default_rng(0).permutation(np.append(replicates, [np.nan] * 7))
    low, high = percentile_interval(np.stack([shuffled, 2 * shuffled], axis=1))
    np.testing.assert_allclose(low, [0.025, 0.05], atol=1e-12)
    np.testing.assert_allclose(high, [0.975, 1.95], atol=1e-12)


def simulated_group(n_experiments: int, n_observers: int, n_trials: int, mean: float,
                    concentration: float, rng: np.random.Generator) -> pd.DataFrame:
    """Observers that differ from each other: each has its own accuracy, drawn from a beta
    distribution with population mean ``mean``; one condition per simulated experiment."""
    p = rng.beta(mean * concentration, (1 - mean) * concentration,
                 size=(n_experiments, n_observers))
    k = rng.binomial(n_trials, p).ravel()
    condition = np.repeat(np.arange(n_experiments), n_observers * n_trials)
    observer = np.tile(np.repeat(np.arange(n_observers), n_trials), n_experiments)
    correct = np.tile(np.arange(n_trials), n_experiments * n_observers) < np.repeat(k, n_trials)
    names = np.array([f"sub-{o:02d}" for o in range(n_observers)], dtype=object)
    return pd.DataFrame({
        "experiment": "sim", "condition": condition.astype(str), "observer": names[observer],
        "observer_type": "human", "source_format": "lab", "session": 1, "correct": correct,
        "category": "dog", "response": np.where(correct, "dog", "cat"),
    })


def test_group_accuracy_interval_covers_the_population_mean_with_differing_observers():
    """600 simulated experiments, 10 observers each with accuracy ~ Beta(14, 6) (mean 0.7,
    sd 0.1), 40 trials each: observers-then-trials intervals contain 0.7 about 95 % of the
    time (measured 0.955 here; a 5/95 percentile slip gives 0.917 and fails), while the
    within-observer intervals, blind to the spread between people, cover about 75 %."""
    table = simulated_group(600, 10, 40, 0.7, 20.0, np.random.default_rng(0))
    people = accuracy_intervals(table, n_boot=400, seed=0)
    covered = ((people["accuracy_low"] <= 0.7) & (people["accuracy_high"] >= 0.7)).mean()
    assert 0.93 <= covered <= 0.975, covered
    assert (people["resampled"] == RESAMPLE_LABELS[OBSERVERS]).all()
    these = accuracy_intervals(table, n_boot=400, seed=0, resample=TRIALS)
    covered_within = ((these["accuracy_low"] <= 0.7) & (these["accuracy_high"] >= 0.7)).mean()
    assert covered_within < 0.85, covered_within
    assert (these["resampled"] == RESAMPLE_LABELS[TRIALS]).all()
    np.testing.assert_array_equal(people["accuracy"], these["accuracy"])


def test_the_2018_humans_at_uniform_noise_0_35_before_and_after():
    """Geirhos et al. 2018's five humans at uniform noise 0.35: resampling trials within
    observers gives about [0.42, 0.49]; resampling the observers too about [0.39, 0.52]."""
    table = read_trials(HUMANS_2018)
    table = table[table["experiment"] == "uniform-noise"]
    rows = {}
    for resample in (OBSERVERS, TRIALS):
        out = accuracy_intervals(table, n_boot=1000, seed=0, resample=resample)
        rows[resample] = out[out["condition"] == "0.35"].iloc[0]
    within, people = rows[TRIALS], rows[OBSERVERS]
    assert within["accuracy"] == people["accuracy"] == pytest.approx(0.45625)
    assert 0.41 < within["accuracy_low"] < 0.43 and 0.48 < within["accuracy_high"] < 0.50
    assert 0.37 < people["accuracy_low"] < 0.40 and 0.51 < people["accuracy_high"] < 0.53


def test_observer_resampling_widens_group_consistency_not_pair_intervals(shared_data):
    table = read_trials(shared_data / "model-vs-human" / "human-raw-data" / "contrast")
    people = consistency_intervals(table, n_boot=300, seed=3)
    these = consistency_intervals(table, n_boot=300, seed=3, resample=TRIALS)
    pd.testing.assert_frame_equal(people[0], these[0])  # a pair is a pair: images only
    g_people, g_these = people[2].iloc[0], these[2].iloc[0]
    assert g_people["error_consistency"] == g_these["error_consistency"]
    assert (g_people["error_consistency_high"] - g_people["error_consistency_low"]
            > 1.3 * (g_these["error_consistency_high"] - g_these["error_consistency_low"]))
    assert g_people["resampled"] == RESAMPLE_LABELS[OBSERVERS]


def pooled_files_table() -> pd.DataFrame:
    """Two humans and a network that was scored twice on the same images (two pooled
    files) with different answers the second time: repeats count for OOD accuracy."""
    rng = np.random.default_rng(5)
    table = simulated_pairs(3, 40, 0.6, 0.5, 0.2, rng).assign(experiment="uniform-noise")
    table["condition"] = table["condition"].map({"c0": "0.00", "c1": "0.35", "c2": "0.60"})
    frames = [table]
    for session, p in ((1, 0.3), (2, 0.1)):
        net = table[table["observer"] == "sub-01"].copy()
        net["observer"], net["observer_type"], net["session"] = "net", "dnn", session
        net["correct"] = rng.random(len(net)) < p
        net["response"] = np.where(net["correct"], "dog", "cat")
        frames.append(net)
    return pd.concat(frames, ignore_index=True).assign(simulated="")


def test_benchmark_and_interval_tables_give_the_same_numbers_on_pooled_files():
    """The report's benchmark table and its interval table once disagreed on pooled files
    (OOD accuracy 0.1375 vs 0.1125: the bootstrap counted each image once); both now come
    from benchmark_table, and the replicates' own data row agrees with it too."""
    from results.uncertainty import _benchmark_replicates
    table = pooled_files_table()
    bench = benchmark_table(table).set_index("observer")
    ours = benchmark_intervals(table, n_boot=50).set_index("observer")
    net = table[(table["observer"] == "net") & (table["condition"] != "0.00")]
    assert bench.loc["net", "ood_accuracy"] == pytest.approx(net["correct"].mean(), abs=1e-15)
    for resample in (OBSERVERS, TRIALS):
        data_row = _benchmark_replicates(
            ood_trials(table), 5, np.random.default_rng(0), resample)
        for group in bench.index:
            for metric in ("ood_accuracy", "accuracy_difference", "observed_consistency",
                           "error_consistency"):
                assert ours.loc[group, metric] == bench.loc[group, metric]
                assert data_row[group][metric][0] == pytest.approx(bench.loc[group, metric],
                                                                   abs=1e-12)
    assert (ours["n_trials"] == bench["n_trials"]).all()


def test_metrics_against_simulated_observers_say_simulated():
    table = pooled_files_table()
    table.loc[table["observer"] == "sub-02", "simulated"] = "simulated (constant accuracy 0.5)"
    bench = benchmark_table(table).set_index("observer")
    assert bench.loc["net", "compared_with"] == "humans (1 of 2 simulated)"
    only_simulated = table[table["observer"] != "sub-01"]
    label = "humans (simulated (constant accuracy 0.5))"
    assert set(benchmark_intervals(only_simulated, n_boot=20)["compared_with"]) == {label}
    pairs = pairwise_consistency(only_simulated)
    groups = consistency_by_group(pairs, simulated_humans(only_simulated))
    assert set(groups.loc[groups["observer"] == "net", "compared_with"]) == {label}
    per_group = consistency_intervals(only_simulated, n_boot=20)[2]
    assert set(per_group["compared_with"]) == {label}
    real = pooled_files_table()
    assert set(benchmark_table(real)["compared_with"]) == {"humans"}


@pytest.mark.parametrize("who", ["networks only", "one human", "humans only"])
def test_every_interval_table_builds_on_any_mix(who):
    """Networks alone once crashed the consistency intervals (a pandas factorize of an
    empty frame); one human, or humans only, must work too."""
    table = pooled_files_table()
    if who == "networks only":
        table = table.assign(observer_type="dnn")
    elif who == "one human":
        table = table[table["observer"] != "sub-02"]
    else:
        table = table[table["observer_type"] == "human"]
    assert len(accuracy_intervals(table, n_boot=20))
    per_condition, per_pair, per_group = consistency_intervals(table, n_boot=20)
    assert "resampled" in per_group.columns
    bench = benchmark_intervals(table, n_boot=20)
    assert len(bench) and (bench["resampled"] == RESAMPLE_LABELS[OBSERVERS]).all()
    noise_ceilings(table, n_boot=20)
    shape_bias_intervals(table, n_boot=20)


def test_kappa_from_counts_matches_the_formula_on_known_counts():
    """10 trials, observer 1 right on 8, observer 2 on 6, both on 5: observed (5 + 1) / 10,
    expected 0.8 * 0.6 + 0.2 * 0.4 = 0.56, kappa (0.6 - 0.56) / 0.44."""
    observed, kappa = kappa_from_counts(np.array([5.0, 4.0]), np.array([8.0, 4.0]),
                                        np.array([6.0, 4.0]), np.array([10.0, 4.0]))
    assert observed[0] == pytest.approx(0.6) and kappa[0] == pytest.approx(0.04 / 0.44)
    assert observed[1] == 1.0 and kappa[1] == 1.0  # both always right: perfect agreement


# -- the fast paths give the numbers of the plain computations they replaced ----------------
def _plain_weights(n_images, n_boot, rng):
    """The plain resampling counts: ``np.add.at`` over the drawn indices, float64."""
    picks = rng.integers(0, n_images, size=(n_boot, n_images))
    counts = np.zeros((n_boot + 1, n_images))
    counts[0] = 1.0
    np.add.at(counts, (np.repeat(np.arange(1, n_boot + 1), n_images), picks.ravel()), 1.0)
    return counts


def _plain_pair_counts(grid, pairs, weights):
    """Per pair, float64 products: images both saw, right by each, right by both."""
    seen, right = ~np.isnan(grid), np.nan_to_num(grid) > 0.5
    out = []
    for a, b in pairs:
        both = (seen[:, a] & seen[:, b]).astype(float)
        out.append([weights @ both, weights @ (both * right[:, a]),
                    weights @ (both * right[:, b]), weights @ (both * right[:, a] * right[:, b])])
    return np.array(out)  # (P, 4, R)


def _plain_split_half(grid, n_splits, rng):
    """One split at a time with nanmean and corrcoef."""
    values = []
    for _ in range(n_splits):
        order = rng.permutation(grid.shape[1])
        half = grid.shape[1] // 2
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row no human of a half saw
            a = np.nanmean(grid[:, order[:half]], axis=1)
            b = np.nanmean(grid[:, order[half:]], axis=1)
        ok = ~(np.isnan(a) | np.isnan(b))
        if ok.sum() < 3 or a[ok].std() == 0 or b[ok].std() == 0:
            continue
        r = float(np.corrcoef(a[ok], b[ok])[0, 1])
        values.append(2 * r / (1 + r))
    return float(np.mean(values)) if values else float("nan")


def _sparse_grid(rng, n_images=300, n_observers=7, seen=0.6):
    grid = (rng.random((n_images, n_observers)) < 0.7).astype(float)
    grid[rng.random(grid.shape) > seen] = np.nan
    grid[:, -2:] = (rng.random((n_images, 2)) < 0.5)  # networks: every image
    return grid


def test_resampling_counts_and_pair_counts_equal_the_plain_float64_ones():
    from results.uncertainty import _pair_replicates, _weights
    rng = np.random.default_rng(7)
    grid = _sparse_grid(rng)
    weights = _weights(len(grid), 200, np.random.default_rng(1))
    plain = _plain_weights(len(grid), 200, np.random.default_rng(1))
    np.testing.assert_array_equal(weights, plain)  # same draws, same counts
    pairs = [(a, b) for a in range(7) for b in range(a + 1, 7)]
    n, r1, r2, r12 = _plain_pair_counts(grid, pairs, plain).transpose(1, 2, 0)
    acc1, acc2, observed, kappa = _pair_replicates(grid, pairs, weights)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(acc1, r1 / n)
        np.testing.assert_array_equal(acc2, r2 / n)
    plain_observed, plain_kappa = kappa_from_counts(r12, r1, r2, n)
    np.testing.assert_array_equal(observed, plain_observed)
    np.testing.assert_array_equal(kappa, plain_kappa)
    # a pair's columns do not depend on which other pairs are computed with it
    _, _, some_observed, some_kappa = _pair_replicates(grid, pairs[3:5], weights)
    np.testing.assert_array_equal(some_kappa, kappa[:, 3:5])
    np.testing.assert_array_equal(some_observed, observed[:, 3:5])


@pytest.mark.parametrize("n_humans,seen", [(5, 0.6), (2, 0.9), (8, 0.3)])
def test_split_half_reliability_equals_the_plain_loop(n_humans, seen):
    grid = _sparse_grid(np.random.default_rng(n_humans), n_observers=n_humans + 2,
                        seen=seen)[:, :n_humans]
    fast = split_half_reliability(grid, n_splits=150, rng=np.random.default_rng(4))
    plain = _plain_split_half(grid, 150, np.random.default_rng(4))
    assert fast == pytest.approx(plain, abs=1e-12)
