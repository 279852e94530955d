"""Error consistency, shape bias, OOD exclusions, benchmark metrics, confusion matrices."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from results_helpers import dnn_record, write_dnn_tsv, write_original

from lab.readers import read_trials
from results.benchmark import benchmark_table, control_condition, ood_conditions
from results.confusion import RESPONSE_COLUMNS, confusion_counts, confusion_percent
from results.consistency import (
    consistency_by_group,
    consistency_matrix,
    error_consistency,
    pairwise_consistency,
)
from results.shape_bias import shape_bias
from results.uncertainty import benchmark_intervals


# -- error consistency ---------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "kappa", "observed", "expected"), [
    ([1, 1, 0, 0], [1, 1, 0, 0], 1.0, 1.0, 0.5),
    ([1, 1, 0, 0], [0, 0, 1, 1], -1.0, 0.0, 0.5),
    ([1, 1, 0, 0], [1, 0, 1, 0], 0.0, 0.5, 0.5),
    ([1, 1, 1, 0], [1, 1, 0, 0], 0.5, 0.75, 0.5),  # p1 .75, p2 .5
    ([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0, 0, 1], 0.4, 0.7, 0.5),
])
def test_error_consistency_known_kappa(a, b, kappa, observed, expected):
    result = error_consistency(np.array(a), np.array(b))
    assert result.kappa == pytest.approx(kappa)
    assert result.observed == pytest.approx(observed)
    assert result.expected == pytest.approx(expected)
    assert result.n_trials == len(a)


def test_error_consistency_degenerate_cases():
    assert error_consistency(np.ones(3), np.ones(3)).kappa == 1.0
    assert error_consistency(np.zeros(3), np.zeros(3)).kappa == 1.0  # both always wrong
    opposite = error_consistency(np.ones(3), np.zeros(3))
    assert (opposite.observed, opposite.expected, opposite.kappa) == (0.0, 0.0, 0.0)
    assert math.isnan(error_consistency(np.array([]), np.array([])).kappa)
    with pytest.raises(ValueError):
        error_consistency(np.ones(2), np.ones(3))


def test_pairs_match_by_image_not_by_trial(tmp_path):
    # the two observers saw the images in different orders (different trial prefixes);
    # one image only subject-01 saw
    a = [("subject-01", 1, 1, 0.5, "cat", "cat", "c10", "0001_x_s01_c10_cat_10_n1_1.png"),
         ("subject-01", 1, 2, 0.5, "dog", "dog", "c10", "0002_x_s01_c10_dog_10_n1_2.png"),
         ("subject-01", 1, 3, 0.5, "car", "bird", "c10", "0003_x_s01_c10_bird_10_n1_3.png"),
         ("subject-01", 1, 4, 0.5, "cat", "cat", "c10", "0004_x_s01_c10_cat_10_n1_9.png")]
    b = [("subject-02", 1, 1, 0.5, "na", "bird", "c10", "0001_x_s02_c10_bird_10_n1_3.png"),
         ("subject-02", 1, 2, 0.5, "cat", "cat", "c10", "0002_x_s02_c10_cat_10_n1_1.png"),
         ("subject-02", 1, 3, 0.5, "cat", "dog", "c10", "0003_x_s02_c10_dog_10_n1_2.png")]
    write_original(tmp_path, "contrast-experiment_subject-01_session_1.csv", a)
    write_original(tmp_path, "contrast-experiment_subject-02_session_1.csv", b)
    pairs = pairwise_consistency(read_trials(tmp_path))
    assert len(pairs) == 1
    row = pairs.iloc[0]
    # matched: n1_1 (right, right), n1_2 (right, wrong), n1_3 (wrong, wrong)
    assert row["n_trials"] == 3 and row["pair"] == "human-human"
    assert row["observed_consistency"] == pytest.approx(2 / 3)
    expected = error_consistency(np.array([1, 1, 0]), np.array([1, 0, 0]))
    assert row["error_consistency"] == pytest.approx(expected.kappa)


def test_consistency_on_model_vs_human_data_matches_an_independent_count(shared_data):
    folder = shared_data / "model-vs-human" / "human-raw-data" / "contrast"
    pairs = pairwise_consistency(read_trials(folder))
    assert set(pairs["pair"]) == {"human-human"}
    assert len(pairs) == 6 * 8  # 4 observers -> 6 pairs, 8 conditions
    assert (pairs["n_trials"] == 160).all()  # every image seen by everyone

    def correct_by_image(name):
        with open(folder / name, newline="") as fh:
            return {r["imagename"].split("_", 3)[3]: r["object_response"] == r["category"]
                    for r in csv.DictReader(fh) if r["condition"] == "c10"}
    one = correct_by_image("contrast_subject-01_session_1.csv")
    two = correct_by_image("contrast_subject-02_session_1.csv")
    keys = sorted(one)
    expected = error_consistency(np.array([one[k] for k in keys]),
                                 np.array([two[k] for k in keys]))
    row = pairs[(pairs["condition"] == "c10") & (pairs["observer_1"] == "subject-01")
                & (pairs["observer_2"] == "subject-02")].iloc[0]
    assert row["error_consistency"] == pytest.approx(expected.kappa)
    matrix = consistency_matrix(pairs, "contrast")
    assert matrix.shape == (4, 4) and np.allclose(np.diag(matrix), 1.0)
    assert np.allclose(matrix.to_numpy(), matrix.to_numpy().T)


def test_lab_records_pair_humans_with_the_model_by_sha256(lab_records):
    pairs = pairwise_consistency(read_trials(lab_records))
    assert set(pairs["pair"]) == {"human-human", "human-dnn"}
    assert (pairs["n_trials"] == 4).all()
    model = pairs[(pairs["observer_2"] == "resnet50") & (pairs["condition"] == "0")
                  & (pairs["observer_1"] == "sub-01")].iloc[0]
    assert model["error_consistency"] == 1.0  # identical answers on all four images
    groups = consistency_by_group(pairs)
    assert set(groups["observer"]) == {"humans", "resnet50"}


# -- shape bias ----------------------------------------------------------------------------
def test_shape_bias_hand_made(tmp_path):
    rows = [
        ("subject-01", 1, 1, 0.5, "dog", "dog", "0", "0001_s5n_s01_0_dog_00_dog1-cat2.png"),
        ("subject-01", 1, 2, 0.5, "cat", "dog", "0", "0002_s5n_s01_0_dog_00_dog3-cat1.png"),
        ("subject-01", 1, 3, 0.5, "car", "car", "0", "0003_s5n_s01_0_car_00_car1-bird1.png"),
        ("subject-01", 1, 4, 0.5, "oven", "car", "0", "0004_s5n_s01_0_car_00_car2-knife1.png"),
        ("subject-01", 1, 5, 0.5, "car", "car", "0", "0005_s5n_s01_0_car_00_car3-car1.png"),
    ]
    write_original(tmp_path, "cue-conflict_subject-01_session_1.csv", rows)
    bias = shape_bias(read_trials(tmp_path)).set_index(["observer", "category"])
    overall = bias.loc[("subject-01", "all")]
    # car3-car1 dropped (no conflict); shape hits 2 (dog, car), texture hits 1 (cat)
    assert overall["n_trials"] == 4
    assert (overall["shape_hits"], overall["texture_hits"]) == (2, 1)
    assert overall["shape_bias"] == pytest.approx(2 / 3)
    assert bias.loc[("subject-01", "dog"), "shape_bias"] == pytest.approx(0.5)
    assert bias.loc[("subject-01", "car"), "shape_bias"] == 1.0
    assert bias.loc[("humans", "all"), "shape_bias"] == pytest.approx(2 / 3)


def test_human_shape_bias_on_model_vs_human_data(shared_data):
    table = read_trials(shared_data / "model-vs-human" / "human-raw-data" / "cue-conflict")
    bias = shape_bias(table)
    pooled = bias[(bias["observer"] == "humans") & (bias["category"] == "all")].iloc[0]
    assert 0.9 < pooled["shape_bias"] < 1.0  # humans decide by shape (Geirhos et al. 2019)
    assert len(bias[bias["category"] == "all"]) == 11  # pooled + 10 observers


# -- OOD exclusions and benchmark ----------------------------------------------------------
#: model-vs-human's own exclusion list (plot.py EXCLUDE_CONDITIONS), in our condition codes
MODEL_VS_HUMAN_EXCLUDED = {
    "colour": {"cr"}, "contrast": {"c100", "c03", "c01"},
    "high-pass": {"inf", "0.55", "0.45", "0.4"}, "low-pass": {"0", "15", "40"},
    "phase-scrambling": {"0", "150", "180"}, "power-equalisation": {"0"},
    "false-colour": {"true"}, "rotation": {"0"},
    "eidolonI": {"1-10-10", "64-10-10", "128-10-10"},
    "eidolonII": {"1-3-10", "32-3-10", "64-3-10", "128-3-10"},
    "eidolonIII": {"1-0-10", "16-0-10", "32-0-10", "64-0-10", "128-0-10"},
    "uniform-noise": {"0.00", "0.60", "0.90"},
}


def test_ood_exclusions_reproduce_model_vs_human(shared_data):
    table = read_trials(shared_data / "model-vs-human" / "human-raw-data")
    conditions = ood_conditions(table)
    excluded = conditions[~conditions["included"]].groupby("experiment")["condition"].apply(set)
    assert excluded.to_dict() == MODEL_VS_HUMAN_EXCLUDED
    # single-condition data sets keep everything
    for name in ("cue-conflict", "edge", "sketch", "stylized", "silhouette"):
        assert conditions.loc[conditions["experiment"] == name, "included"].all()


def test_control_conditions():
    assert control_condition("contrast") == "c100"
    assert control_condition("high-pass") == "inf"
    assert control_condition("uniform-noise") == "0.00"
    assert control_condition("false-colour") == "true"
    assert control_condition("cue-conflict") is None
    assert control_condition("sketch") is None


def test_benchmark_hand_made(lab_records):
    bench = benchmark_table(read_trials(lab_records)).set_index("observer")
    # only rotation 90 is OOD (0 is the control). There the model answers dog to
    # dog, cat, car, bird: [1, 0, 0, 0]; sub-01 [1, 0, 0, 1] (one na); sub-02 [1, 1, 1, 0]
    assert bench.loc["resnet50", "ood_accuracy"] == 0.25
    assert bench.loc["humans", "ood_accuracy"] == 0.625
    assert bench.loc["resnet50", "accuracy_difference"] == pytest.approx(
        ((0.25 - 0.5) ** 2 + (0.25 - 0.75) ** 2) / 2)
    assert bench.loc["resnet50", "observed_consistency"] == pytest.approx((3 / 4 + 2 / 4) / 2)
    kappas = [error_consistency(np.array([1, 0, 0, 0]), np.array(h)).kappa
              for h in ([1, 0, 0, 1], [1, 1, 1, 0])]
    assert bench.loc["resnet50", "error_consistency"] == pytest.approx(np.mean(kappas))
    assert bench.loc["humans", "observed_consistency"] == pytest.approx(1 / 4)
    assert bench.loc["humans", "n_experiments"] == 1
    assert bench.loc["resnet50", ["n_experiments", "n_experiments_compared",
                                  "n_experiments_shared"]].tolist() == [1, 1, 1]
    assert bench.loc["resnet50", "compared_with"] == "humans"


def test_benchmark_counts_the_experiments_each_mean_is_over(lab_records, tmp_path):
    """A network scored on a second experiment that no human did (cue-conflict): its OOD
    accuracy averages both experiments, the comparisons with humans only rotation; each
    count says so. Networks alone: no comparison, ``no humans``."""
    cue = [dnn_record("cue-conflict", "resnet50", t + 1, f"cue/img{t}.png", cat, "cue",
                      answer)
           for t, (cat, answer) in enumerate([("dog", "dog"), ("cat", "dog"),
                                              ("car", "car"), ("bird", "car")])]
    write_dnn_tsv(lab_records / "dnn" / "cue-conflict" / "resnet50_sum_ses-1.tsv", cue)
    bench = benchmark_table(read_trials(lab_records)).set_index("observer")
    assert bench.loc["resnet50", "ood_accuracy"] == pytest.approx((0.25 + 0.5) / 2)
    assert bench.loc["resnet50", ["n_experiments", "n_experiments_compared",
                                  "n_experiments_shared"]].tolist() == [2, 1, 1]
    assert bench.loc["resnet50", "n_trials"] == 8  # rotation 90 (4) + cue-conflict (4)
    alone = benchmark_table(read_trials(lab_records / "dnn")).set_index("observer")
    assert alone.loc["resnet50", ["n_experiments", "n_experiments_compared",
                                  "n_experiments_shared"]].tolist() == [2, 0, 0]
    assert alone.loc["resnet50", "compared_with"] == "no humans"
    intervals = benchmark_intervals(read_trials(lab_records / "dnn"), n_boot=20)
    assert intervals.set_index("observer").loc[
        "resnet50", ["n_experiments", "n_experiments_compared", "n_experiments_shared",
                     "compared_with"]].tolist() == [2, 0, 0, "no humans"]


# -- confusion -----------------------------------------------------------------------------
def test_confusion_matrix(lab_records):
    table = read_trials(lab_records)
    counts = confusion_counts(table[table["observer"] == "sub-01"])
    assert counts.shape == (16, 17) and tuple(counts.columns) == RESPONSE_COLUMNS
    assert counts.loc["dog", "dog"] == 2 and counts.loc["car", "na"] == 1
    assert counts.loc["cat", "dog"] == 1 and counts.to_numpy().sum() == 8
    percent = confusion_percent(table[table["observer"] == "sub-01"])
    assert percent.loc["car", "car"] == 50.0 and percent.loc["car", "na"] == 50.0
    assert percent.loc["knife"].isna().all()  # never shown
