"""The accounting rule (lab.accounting): each planned trial counts once, by its last
attempt, in every analysis; superseded records are counted per observer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from results_helpers import ORIGINAL_HEADER, human_record, write_human_tsv, write_original

from lab.accounting import effective_rows, next_attempt, select_last_attempts
from lab.readers import read_trials
from lab.schema import HUMAN_FILE_COLUMNS, format_value, record_row
from lab.trial_file import read_rows
from results.benchmark import benchmark_table
from results.consistency import pairwise_consistency
from results.quality import quality_table
from results.report import write_report
from results.shape_bias import shape_bias
from results.tables import summary_table

NAN = math.nan


def test_rule_keeps_the_last_attempt_in_row_order_without_attempts():
    chosen = select_last_attempts([1, 2, 1, 3, 1])
    assert chosen.rows.tolist() == [1, 3, 4]
    assert chosen.attempt.tolist() == [1, 1, 3]
    assert chosen.superseded.tolist() == [0, 0, 2]


def test_rule_prefers_the_highest_recorded_attempt_then_the_later_row():
    # trial 7: attempt 2 written before attempt 1 (never by the booth, but the rule is the
    # attempt, not the position); trial 8: the same attempt twice -> the later row
    chosen = select_last_attempts([7, 7, 8, 8], [2, 1, 1, 1])
    assert chosen.rows.tolist() == [0, 3]
    assert chosen.attempt.tolist() == [2, 1]
    assert chosen.superseded.tolist() == [1, 1]
    # a missing attempt (n/a) takes its rank in row order
    assert select_last_attempts([5, 5, 5], [1, NAN, NAN]).attempt.tolist() == [3]
    empty = select_last_attempts([])
    assert len(empty.rows) == len(empty.attempt) == len(empty.superseded) == 0


def test_rule_on_random_files_matches_a_plain_count():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 50, size=400)
    chosen = select_last_attempts(keys)
    last_row = {k: i for i, k in enumerate(keys.tolist())}
    assert chosen.rows.tolist() == sorted(last_row.values())
    counts = np.bincount(keys)
    assert chosen.superseded.tolist() == [counts[keys[i]] - 1 for i in chosen.rows]
    assert chosen.superseded.sum() == len(keys) - len(set(keys.tolist()))


def _row(trial: int, attempt: str | None, flagged: bool, correct: bool) -> dict[str, str]:
    row = {"trial": str(trial), "flagged": "1" if flagged else "0",
           "correct": "1" if correct else "0"}
    if attempt is not None:
        row["attempt"] = attempt
    return row


def test_effective_rows_of_new_and_old_files():
    new = [_row(1, "1", True, True), _row(2, "1", False, True), _row(1, "2", False, False)]
    old = [{k: v for k, v in r.items() if k != "attempt"} for r in new]
    for rows in (new, old):
        eff = effective_rows(rows)
        assert list(eff) == [2, 1]  # file order of the kept records
        assert (eff[1].attempt, eff[1].superseded, eff[1].correct) == (2, 1, False)
        assert (eff[2].attempt, eff[2].superseded, eff[2].flagged) == (1, 0, False)
    assert next_attempt(new, 1) == 3 and next_attempt(new, 2) == 2
    assert next_attempt(new, 9) == 1 and effective_rows([]) == {}


def _session(folder, observer, answers, experiment="rotation"):
    """A human trial file; ``answers`` are (trial, response, flagged, attempt) in the
    order written, over 4 planned trials (2 conditions x 2 images)."""
    images = {1: ("img1.png", "dog", "0"), 2: ("img2.png", "cat", "0"),
              3: ("img3.png", "car", "90"), 4: ("img4.png", "bird", "90")}
    records = []
    for trial, response, flagged, attempt in answers:
        image, category, condition = images[trial]
        records.append(human_record(experiment, observer, trial,
                                    f"{experiment}/{condition}/{image}", category, condition,
                                    response, flagged=flagged, attempt=attempt))
    path = folder / observer / "ses-1" / "beh" / f"{observer}_ses-1_task-{experiment}_beh.tsv"
    return write_human_tsv(path, records)


def test_every_analysis_counts_each_planned_trial_once(tmp_path):
    # sub-01: trials 2 and 4 flagged and re-run (the re-runs answer differently)
    _session(tmp_path, "sub-01", [
        (1, "dog", False, 1), (2, "cat", True, 1), (3, "car", False, 1),
        (4, "bird", True, 1), (2, "oven", False, 2), (4, "knife", False, 2)])
    _session(tmp_path, "sub-02", [
        (1, "dog", False, 1), (2, "cat", False, 1), (3, "oven", False, 1),
        (4, "bird", False, 1)])
    table = read_trials(tmp_path)
    assert len(table) == 8 and not table.duplicated(["observer", "trial"]).any()
    sub01 = table[table["observer"] == "sub-01"].set_index("trial")
    assert sub01.loc[2, "response"] == "oven" and sub01.loc[4, "response"] == "knife"
    assert sub01["attempt"].to_dict() == {1: 1, 2: 2, 3: 1, 4: 2}
    assert sub01["superseded"].sum() == 2
    assert not sub01["flagged"].any()  # the kept re-runs were clean

    summary = summary_table(table)
    assert summary["n_trials"].sum() == 8
    rows = summary.set_index(["condition", "observer"])
    assert rows.loc[("0", "humans"), "accuracy"] == pytest.approx((1 / 2 + 1) / 2)
    assert rows.loc[("90", "humans"), "accuracy"] == pytest.approx((1 / 2 + 1 / 2) / 2)

    quality = quality_table(table).set_index("observer")
    assert quality.loc["sub-01", "n_trials"] == 4 and quality.loc["sub-02", "n_trials"] == 4
    assert quality.loc["sub-01", "superseded_records"] == 2
    assert quality.loc["sub-02", "superseded_records"] == 0
    assert quality.loc["sub-01", "flagged_trials"] == 0

    pairs = pairwise_consistency(table)
    assert set(pairs["n_trials"]) == {2}  # 2 images per condition, each counted once
    bench = benchmark_table(table).set_index("observer")
    assert bench.loc["humans", "ood_accuracy"] == pytest.approx(2 / 4)  # condition 90

    report = write_report(table, tmp_path / "report").read_text()
    assert "2 superseded records set aside: sub-01 (rotation): 2." in report


def test_shape_bias_counts_the_last_attempt(tmp_path):
    images = [("cue-conflict/0/dog1-cat2.png", "dog"), ("cue-conflict/0/car1-bird2.png", "car")]
    records = [human_record("cue-conflict", "sub-01", 1, *images[0], "0", "cat", flagged=True),
               human_record("cue-conflict", "sub-01", 2, *images[1], "0", "car"),
               human_record("cue-conflict", "sub-01", 1, *images[0], "0", "dog", attempt=2)]
    write_human_tsv(tmp_path / "sub-01_ses-1_task-cueconflict_beh.tsv", records)
    bias = shape_bias(read_trials(tmp_path)).set_index(["observer", "category"])
    assert bias.loc[("sub-01", "all"), "n_trials"] == 2
    assert bias.loc[("sub-01", "all"), "shape_bias"] == 1.0  # the superseded 'cat' is gone


def test_old_files_without_attempt_and_with_the_old_timing_column(tmp_path, caplog):
    """A file written before the attempt column: re-runs follow from row order, and its
    image_duration_ms (then mask onset - image onset) is read as the SOA."""
    old_columns = [c for c in HUMAN_FILE_COLUMNS
                   if c not in ("attempt", "mask_duration_ms", "soa_ms", "preceding_iti_ms",
                                "preparation_ms")]
    lines = ["\t".join(old_columns)]
    for trial, response, flagged in ((1, "dog", True), (2, "cat", False), (1, "oven", False)):
        row = record_row(human_record("rotation", "sub-09", trial, f"rotation/0/i{trial}.png",
                                      "dog" if trial == 1 else "cat", "0", response,
                                      flagged=flagged))
        row["image_duration_ms"] = format_value(216.667)
        lines.append("\t".join(row[c] for c in old_columns))
    path = tmp_path / "sub-09_ses-1_task-rotation_beh.tsv"
    path.write_text("\n".join(lines) + "\n" + "rotation\tsub-09\t1\t2\trot", encoding="utf-8")
    table = read_trials(path).set_index("trial")
    assert "torn" in caplog.text  # the cut-off last line is no record
    assert len(table) == 2 and table.loc[1, "response"] == "oven"
    assert table.loc[1, "attempt"] == 2 and table["superseded"].tolist() == [0, 1]
    assert table["soa_ms"].tolist() == [216.667, 216.667]
    assert table["image_duration_ms"].isna().all()


def test_torn_reruns_are_no_records(tmp_path):
    """A re-run cut off mid-write leaves the flagged first attempt as the effective record,
    for the booth's reader and the analysis alike."""
    path = _session(tmp_path, "sub-03", [(1, "dog", True, 1), (2, "cat", False, 1)])
    torn = record_row(human_record("rotation", "sub-03", 1, "rotation/0/img1.png", "dog", "0",
                                   "oven", attempt=2))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\t".join(torn[c] for c in HUMAN_FILE_COLUMNS)[:40])
    eff = effective_rows(read_rows(path))
    assert (eff[1].attempt, eff[1].flagged, eff[1].superseded) == (1, True, 0)
    table = read_trials(path)
    assert len(table) == 2 and table["superseded"].sum() == 0
    assert table.set_index("trial").loc[1, "response"] == "dog"


def test_original_formats_are_left_as_they_are(tmp_path):
    rows = [("subject-01", 1, 1, 0.5, "dog", "dog", "c100", "0001_cop_s01_c100_dog_1.png"),
            ("subject-01", 1, 1, 0.6, "cat", "dog", "c100", "0001_cop_s01_c100_dog_1.png")]
    write_original(tmp_path, "contrast-experiment_subject-01_session_1.csv", rows,
                   header=ORIGINAL_HEADER)
    table = read_trials(tmp_path)
    assert len(table) == 2  # the original data have no re-runs: nothing is set aside
    assert table["attempt"].isna().all() and (table["superseded"] == 0).all()
