"""The per-condition table against independent computations and the published numbers."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
from results_helpers import write_original

from lab.datasets import PUBLISHED_2018
from lab.readers import read_trials
from results.tables import TABLE_COLUMNS, response_entropy, summary_table

PUBLISHED = PUBLISHED_2018


def _hand_count(folder: Path, condition: str, decision: str = "object_response"):
    """Accuracy per observer-or-session and entropy, with the csv module only."""
    correct: dict[tuple, list[int]] = defaultdict(list)
    answers: dict[tuple, Counter] = defaultdict(Counter)
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                if row["condition"] != condition:
                    continue
                human = row["subj"].startswith("subject-")
                unit = (row["subj"],) if human else (row["subj"], row["session"])
                response = row[decision if not human else "object_response"]
                correct[unit].append(int(response == row["category"]))
                if response != "na":
                    answers[unit][response] += 1
    accuracy = {u: sum(v) / len(v) for u, v in correct.items()}
    entropy = {}
    for unit, counts in answers.items():
        n = sum(counts.values())
        entropy[unit] = -sum(c / n * math.log2(c / n) for c in counts.values())
    return accuracy, entropy, {u: len(v) for u, v in correct.items()}


def test_table_matches_a_hand_count(shared_data, geirhos2018_all):
    summary = summary_table(geirhos2018_all)
    assert tuple(summary.columns) == TABLE_COLUMNS
    human_dir = shared_data / "geirhos2018" / "human-raw-data" / "noise-experiment"
    for condition in ("0.00", "0.35", "0.90"):
        accuracy, entropy, n = _hand_count(human_dir, condition)
        row = summary[(summary["experiment"] == "uniform-noise")
                      & (summary["condition"] == condition)
                      & (summary["observer"] == "humans")].iloc[0]
        assert row["accuracy"] == pytest.approx(sum(accuracy.values()) / len(accuracy), abs=1e-12)
        assert row["entropy"] == pytest.approx(sum(entropy.values()) / len(entropy), abs=1e-12)
        assert row["accuracy_min"] == min(accuracy.values())
        assert row["accuracy_max"] == max(accuracy.values())
        assert row["n_trials"] == sum(n.values())
    dnn_dir = shared_data / "geirhos2018" / "dnn-raw-data" / "noise-experiment"
    accuracy, entropy, n = _hand_count(dnn_dir, "0.20", decision="object_response_sums")
    sessions = {u: a for u, a in accuracy.items() if u[0] == "resnet152"}
    row = summary[(summary["experiment"] == "uniform-noise") & (summary["condition"] == "0.20")
                  & (summary["observer"] == "resnet152")].iloc[0]
    assert len(sessions) == 7
    assert row["accuracy"] == pytest.approx(sum(sessions.values()) / 7, abs=1e-12)
    ent = [e for u, e in entropy.items() if u[0] == "resnet152"]
    assert row["entropy"] == pytest.approx(sum(ent) / len(ent), abs=1e-12)


def test_table_reproduces_every_published_accuracy(geirhos2018_all):
    published = pd.read_csv(PUBLISHED, comment="#", dtype={"condition": str})
    expected = published.melt(id_vars=["experiment", "condition"], var_name="observer",
                              value_name="published")
    merged = expected.merge(summary_table(geirhos2018_all),
                            on=["experiment", "condition", "observer"], how="left")
    assert len(merged) == 81 * 4 and merged["accuracy"].notna().all()
    assert (merged["accuracy"] - merged["published"]).abs().max() < 1e-12
    # spot values read off the paper's data: contrast 1 %, humans vs ResNet-152
    spot = merged.set_index(["experiment", "condition", "observer"])["accuracy"]
    assert spot[("contrast", "c01", "humans")] == pytest.approx(0.0833333333333333)
    assert spot[("uniform-noise", "0.35", "googlenet")] == pytest.approx(0.0633928571428571)


def test_other_rule_differs_from_the_published_sum_rule(shared_data):
    folder = shared_data / "geirhos2018" / "dnn-raw-data" / "rotation-experiment"
    files = sorted(folder.glob("*resnet152*.csv"))
    other = summary_table(read_trials(files, rule="other")).set_index("condition")
    summed = summary_table(read_trials(files)).set_index("condition")
    assert summed.loc["90", "accuracy"] == pytest.approx(0.627083333333333)
    assert other.loc["90", "accuracy"] != pytest.approx(0.627083333333333)


def test_na_is_wrong_and_excluded_from_entropy(tmp_path):
    rows = [("subject-01", 1, t, 0.5, resp, "cat", "c10", f"{t:04d}_x_s01_c10_cat_{t}.png")
            for t, resp in enumerate(["cat", "na", "na", "dog"], start=1)]
    write_original(tmp_path, "contrast-experiment_subject-01_session_1.csv", rows)
    row = summary_table(read_trials(tmp_path)).iloc[0]
    assert row["accuracy"] == 0.25  # 1 of 4; na counts as wrong
    assert row["entropy"] == pytest.approx(1.0)  # cat, dog: 1 bit, na left out
    assert row["observer"] == "humans" and row["n_trials"] == 4


def test_response_entropy_bounds():
    uniform = pd.Series(["airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat",
                         "chair", "clock", "dog", "elephant", "keyboard", "knife", "oven",
                         "truck"])
    assert response_entropy(uniform) == pytest.approx(4.0)
    assert response_entropy(pd.Series(["dog"] * 5 + ["na"])) == 0.0
    assert math.isnan(response_entropy(pd.Series(["na"])))


def test_humans_first_and_design_condition_order(lab_records):
    summary = summary_table(read_trials(lab_records))
    assert list(summary["observer"]) == ["humans", "resnet50", "humans", "resnet50"]
    assert list(summary["condition"]) == ["0", "0", "90", "90"]
    humans_90 = summary.iloc[2]
    # sub-01: 2/4 right (one na), sub-02: 3/4 right -> mean 0.625, min 0.5, max 0.75
    assert humans_90["accuracy"] == 0.625 and humans_90["n_trials"] == 8
    assert (humans_90["accuracy_min"], humans_90["accuracy_max"]) == (0.5, 0.75)


def test_panel_order_comes_from_the_designs():
    from results.figures import experiment_order

    names = ["rotation", "edge", "colour", "contrast-experiment", "eidolonIII", "cue-conflict"]
    assert experiment_order(names) == ["colour", "rotation", "eidolonIII",
                                       "contrast-experiment", "cue-conflict", "edge"]


def _random_trials(rng, n=3000):
    """Random trials of humans (two data sets) and networks (several sessions), some
    answers ``na`` and one unit that never answered (NaN entropy)."""
    import numpy as np
    human = rng.random(n) < 0.5
    frame = pd.DataFrame({
        "experiment": rng.choice(["contrast", "rotation", "uniform-noise"], n),
        "condition": rng.choice(["0", "90", "c05", "0.35"], n),
        "observer": np.where(human, rng.choice(["subject-01", "subject-02", "sub-03"], n),
                             rng.choice(["resnet50", "vgg19"], n)),
        "observer_type": np.where(human, "human", "dnn"),
        "source_format": np.where(human, rng.choice(["lab", "geirhos2018"], n), "lab"),
        "session": np.where(human, 1, rng.integers(1, 4, n)),
        "category": rng.choice(["dog", "cat", "car"], n),
        "response": rng.choice(["dog", "cat", "car", "oven", "na"], n),
    })
    lost = (frame["observer"] == "vgg19") & (frame["session"] == 3) & (
        frame["experiment"] == "rotation") & (frame["condition"] == "0")
    frame.loc[lost, "response"] = "na"
    frame["correct"] = frame["response"] == frame["category"]
    return frame


def _plain_summary(table):
    """The per-condition table with plain pandas group-bys on the string columns."""
    import numpy as np
    human = table["observer_type"] == "human"
    work = table.assign(group=table["observer"].where(~human, "humans"),
                        unit=np.where(human, table["source_format"] + ":" + table["observer"],
                                      table["observer"] + ":" + table["session"].astype(str)))
    keys = ["experiment", "condition", "group", "unit"]
    per_unit = work.groupby(keys, sort=False).agg(accuracy=("correct", "mean"),
                                                  n=("correct", "size"))
    per_unit["entropy"] = work.groupby(keys, sort=False)["response"].agg(response_entropy)
    return per_unit.groupby(level=[0, 1, 2], sort=False).agg(
        accuracy=("accuracy", "mean"), entropy=("entropy", "mean"), n_trials=("n", "sum"),
        accuracy_min=("accuracy", "min"), accuracy_max=("accuracy", "max"),
        n_observers=("accuracy", "size"))


@pytest.mark.parametrize("dtype", ["str", object])
def test_table_equals_plain_pandas_group_bys(dtype):
    import numpy as np
    table = _random_trials(np.random.default_rng(8))
    strings = ["experiment", "condition", "observer", "observer_type", "source_format",
               "category", "response"]
    table = table.astype(dict.fromkeys(strings, dtype))
    ours = summary_table(table).set_index(["experiment", "condition", "observer"])
    plain = _plain_summary(table).rename_axis(["experiment", "condition", "observer"])
    assert len(ours) == len(plain) == 3 * 4 * 3
    plain = plain.reindex(ours.index)
    for column in plain.columns:
        np.testing.assert_allclose(ours[column].to_numpy(float),
                                   plain[column].to_numpy(float), rtol=1e-12, atol=1e-15,
                                   err_msg=column)
    assert ours["entropy"].notna().all()  # a unit without answers is left out of the mean


@pytest.mark.parametrize("runs", [True, False])
def test_column_codes_are_pandas_factorize_codes(runs):
    """Integer codes straight from pyarrow (run by run where a column comes in runs) are
    ``pd.factorize``'s codes and values, in its order."""
    import numpy as np

    from results.tables import _codes
    rng = np.random.default_rng(2)
    values = rng.choice(["b", "a", "c", "dd", ""], 20000)
    if runs:
        values = np.repeat(values[:300], rng.integers(1, 120, 300))
    for dtype in ("str", object):
        column = pd.Series(values, dtype=dtype)
        codes, uniques = _codes(column)
        expected, expected_uniques = pd.factorize(column, sort=False)
        np.testing.assert_array_equal(codes, expected)
        assert list(uniques) == list(expected_uniques)


def test_sort_rows_equals_a_plain_pandas_sort():
    """Experiment, design condition order, humans first, stable: as a per-row rank and
    ``sort_values`` would sort them."""
    import numpy as np

    from results.tables import condition_rank, group_order, sort_rows
    table = _random_trials(np.random.default_rng(5))
    frame = summary_table(table).sample(frac=1, random_state=2).reset_index(drop=True)
    frame = pd.concat([frame, frame.iloc[:5]], ignore_index=True)  # ties stay in order
    plain = frame.copy()
    plain["_c"] = 0.0
    for experiment, at in plain.groupby("experiment").indices.items():
        plain.loc[at, "_c"] = condition_rank(experiment, plain["condition"].iloc[at]
                                             ).to_numpy(dtype=float)
    order = {g: i for i, g in enumerate(group_order(plain["observer"]))}
    plain["_g"] = plain["observer"].map(order)
    plain = plain.sort_values(["experiment", "_c", "_g"], kind="stable").drop(
        columns=["_c", "_g"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_rows(frame), plain)
