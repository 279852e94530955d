"""Readers: our TSVs, the 2018 CSVs and the model-vs-human CSVs, alone and mixed."""

from __future__ import annotations

import csv
import logging

import pytest
from results_helpers import DNN_EXTRA, ORIGINAL_HEADER, write_original

from lab.errors import LabInputError
from lab.readers import RECORD_COLUMNS, detect_format, image_key, read_trials, texture_of
from lab.schema import BASE_COLUMNS


def _raw_rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# -- real reference files ------------------------------------------------------------------
def test_reads_2018_human_files(shared_data):
    folder = shared_data / "geirhos2018" / "human-raw-data" / "contrast-png-experiment"
    table = read_trials(folder)
    assert set(BASE_COLUMNS) <= set(table.columns) and set(RECORD_COLUMNS) <= set(table.columns)
    assert len(table) == 3 * 1280
    assert set(table["experiment"]) == {"contrast"}  # mapped via original_experiment
    assert set(table["observer_type"]) == {"human"}
    assert set(table["source_format"]) == {"geirhos2018"}
    assert table["block"].isna().all() and (table["sha256"] == "").all()
    raw = _raw_rows(folder / "contrast-png-experiment_subject-01_session_1.csv")
    mine = table[table["observer"] == "subject-01"].sort_values("trial")
    assert list(mine["response"]) == [r["object_response"] for r in raw]
    assert list(mine["correct"]) == [r["object_response"] == r["category"] for r in raw]


def test_2018_dnn_sum_rule_is_default_and_other_is_offered(shared_data):
    path = (shared_data / "geirhos2018" / "dnn-raw-data" / "eidolon-experiment"
            / "eidolon-experiment_vgg19_session_1.csv")
    raw = _raw_rows(path)
    summed = read_trials(path).sort_values("trial")
    other = read_trials(path, rule="other").sort_values("trial")
    assert list(summed["response"]) == [r["object_response_sums"] for r in raw]
    assert list(other["response"]) == [r["object_response"] for r in raw]
    assert set(summed["rule"]) == {"sum"} and set(other["rule"]) == {"other"}
    assert summed["rt"].isna().all()
    # the one eidolon file holds the three coherence experiments
    assert summed["experiment"].value_counts().to_dict() == {
        "eidolonI": 1280, "eidolonII": 1280, "eidolonIII": 1280}


def test_identical_copies_are_read_once(shared_data):
    name = "contrast-png-experiment"
    human = shared_data / "geirhos2018" / "human-raw-data" / name
    dnn = shared_data / "geirhos2018" / "dnn-raw-data" / name  # holds copies of the humans
    table = read_trials([human, dnn])
    assert (table["observer_type"] == "human").sum() == 3 * 1280
    assert (table["observer_type"] == "dnn").sum() == 3 * 7 * 1280


def test_all_2018_human_trials(geirhos2018_all):
    humans = geirhos2018_all[geirhos2018_all["observer_type"] == "human"]
    assert len(humans) == 82880  # all human trials of the 2018 raw data


def test_reads_model_vs_human_with_session_capitalised(shared_data):
    folder = shared_data / "model-vs-human" / "human-raw-data"
    table = read_trials([folder / "contrast", folder / "cue-conflict"])
    assert set(table["source_format"]) == {"model-vs-human"}
    assert len(table) == 4 * 1280 + 10 * 1280
    cue = table[table["experiment"] == "cue-conflict"]
    expected = [texture_of(name) for name in cue["image"]]
    assert list(cue["texture"]) == expected and "" not in set(cue["texture"])
    assert (table.loc[table["experiment"] == "contrast", "texture"] == "").all()


# -- helpers -------------------------------------------------------------------------------
def test_image_key_and_texture():
    assert image_key("0001_cop_s01_c50_oven_10_n04111531_23046.png") == \
        "c50_oven_10_n04111531_23046.png"
    assert image_key("6401_cop_dnn_c50_oven_10_n04111531_23046.png") == \
        "c50_oven_10_n04111531_23046.png"
    assert texture_of("0002_s5n_s01_0_bird_00_bird2-clock3.png") == "clock"
    assert texture_of("dog/dog10-bicycle1.png") == "bicycle"
    assert texture_of("0001_edg_s01_0_oven_00_oven10.png") == ""


# -- hand-made files -----------------------------------------------------------------------
def test_mixed_formats_in_one_call(tmp_path, lab_records, caplog):
    write_original(tmp_path / "orig", "rotation-experiment_subject-09_session_1.csv",
                   [("subject-09", 1, 1, 0.9, "dog", "dog", "90",
                     "0001_rot_s09_90_dog_20_n02085620_1.png")])
    write_original(tmp_path / "mvh", "sketch_subject-01_session_1.csv",
                   [("subject-01", 1, 1, 0.5, "na", "cat", "0", "0001_ske_s01_0_cat_00_x.png")],
                   header=ORIGINAL_HEADER.replace("session", "Session"))
    (tmp_path / "orig" / "notes.csv").write_text("a,b\n1,2\n")
    with caplog.at_level(logging.WARNING):
        table = read_trials([lab_records, tmp_path / "orig", tmp_path / "mvh"])
    assert "notes.csv: not a trial file" in caplog.text
    formats = table.groupby("source_format").size().to_dict()
    assert formats == {"lab": 24, "geirhos2018": 1, "model-vs-human": 1}
    lab = table[table["source_format"] == "lab"]
    assert (lab["sha256"].str.len() == 64).all()
    assert (lab["image_key"] == "sha256:" + lab["sha256"]).all()
    assert set(lab.loc[lab["observer_type"] == "dnn", "rule"]) == {"sum"}
    assert lab["block"].eq(1).all()
    sketch = table[table["experiment"] == "sketch"].iloc[0]
    assert sketch["response"] == "na" and not sketch["correct"]
    assert detect_format(tmp_path / "orig" / "notes.csv") is None


def test_lab_rule_filter(lab_records):
    assert (read_trials(lab_records)["observer_type"] == "dnn").sum() == 8
    table = read_trials(lab_records, rule="mean")
    assert (table["observer_type"] == "dnn").sum() == 0


def test_torn_last_line_of_our_file_is_ignored(lab_records, caplog):
    path = next((lab_records / "sub-01").rglob("*.tsv"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("rotation\tsub-01\t1\t9\t1\trotation/0/im")  # died mid-write
    with caplog.at_level(logging.WARNING):
        table = read_trials(path)
    assert len(table) == 8 and "torn" in caplog.text


def test_unknown_columns_are_ignored_with_a_warning(tmp_path, caplog):
    path = write_original(tmp_path, "colour-experiment_subject-01_session_1.csv",
                          [("subject-01", 1, 1, 0.7, "cat", "cat", "cr", "0001_cl_s01_cr_cat.png",
                            "left")], header=ORIGINAL_HEADER + ",hand")
    with caplog.at_level(logging.WARNING):
        table = read_trials(path)
    assert "unknown columns ['hand'] ignored" in caplog.text
    assert "hand" not in table.columns and table["correct"].all()


@pytest.mark.parametrize(("row", "needle"), [
    (("subject-01", 1, 2, 0.7, "cat", "cat", "cr", "x.png", "extra"), ":3: malformed row"),
    (("subject-01", 1, 2, 0.7, "kat", "cat", "cr", "x.png"), ":3: response 'kat'"),
    (("subject-01", "one", 2, 0.7, "cat", "cat", "cr", "x.png"), ":3: session 'one'"),
    (("subject-01", 1, 2, "fast", "cat", "cat", "cr", "x.png"), ":3: rt 'fast'"),
    (("subject-01", 1, 2, 0.7, "cat", "cat", "cr"), ":3: no value for imagename"),
])
def test_malformed_row_names_file_and_line(tmp_path, row, needle):
    good = ("subject-01", 1, 1, 0.7, "cat", "cat", "cr", "0001_cl_s01_cr_cat.png")
    path = write_original(tmp_path, "colour-experiment_subject-01_session_1.csv", [good, row])
    with pytest.raises(LabInputError) as err:
        read_trials(path)
    message = str(err.value)
    assert f"{path}{needle}" in message and "\n" not in message


def test_malformed_row_in_a_later_file_is_located(tmp_path):
    good = ("subject-01", 1, 1, 0.7, "cat", "cat", "cr", "0001_cl_s01_cr_cat.png")
    write_original(tmp_path, "colour-experiment_subject-01_session_1.csv", [good] * 3)
    bad = write_original(tmp_path, "colour-experiment_subject-02_session_1.csv",
                         [good, good, good + ("x",)])
    with pytest.raises(LabInputError, match=rf"{bad.name}:4: malformed row"):
        read_trials(tmp_path)


def test_bad_paths(tmp_path):
    with pytest.raises(LabInputError, match="no such file or folder"):
        read_trials(tmp_path / "missing")
    other = tmp_path / "table.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(LabInputError, match="not a trial file"):
        read_trials(other)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabInputError, match="no trial files found"):
        read_trials(tmp_path / "empty")


def test_two_different_files_for_one_session_are_refused(tmp_path):
    row = ("subject-01", 1, 1, 0.7, "cat", "cat", "cr", "0001_cl_s01_cr_cat.png")
    write_original(tmp_path / "a", "colour-experiment_subject-01_session_1.csv", [row])
    write_original(tmp_path / "b", "colour-experiment_subject-01_session_1.csv",
                   [row[:4] + ("dog",) + row[5:]])
    with pytest.raises(LabInputError, match="remove one of the two files"):
        read_trials(tmp_path)


def test_2018_dnn_file_by_hand_sum_rule_reads_the_sums_columns(tmp_path):
    """Without the reference data: a 2018 network row whose two decisions differ."""
    path = write_original(tmp_path, "colour-experiment_vgg19_session_1.csv",
                          [("vgg19", 1, 1, "NaN", "dog", "cat", "cr", "x.png",
                            1.5, 0.1, 5, 2.0, 0.5, "cat", 0.9, 1, 1.0, 0.9)],
                          header=ORIGINAL_HEADER + "," + DNN_EXTRA)
    summed = read_trials(path).iloc[0]
    assert (summed["response"], summed["rule"], bool(summed["correct"])) == ("cat", "sum", True)
    other = read_trials(path, rule="other").iloc[0]
    assert (other["response"], other["rule"], bool(other["correct"])) == ("dog", "other", False)


def test_dnn_original_columns_need_the_sums_decision(tmp_path):
    header = ORIGINAL_HEADER + "," + DNN_EXTRA.replace("object_response_sums", "other_col")
    path = write_original(tmp_path, "colour-experiment_vgg19_session_1.csv",
                          [("vgg19", 1, 1, "NaN", "cat", "cat", "cr", "x.png")
                           + (1,) * 10], header=header)
    with pytest.raises(LabInputError, match="missing columns"):
        read_trials(path)


def test_model_answers_in_the_eight_human_columns_are_a_network(tmp_path):
    # model-vs-human writes model answers with the human columns and rt empty
    path = write_original(tmp_path, "cue-conflict_resnet50_session_1.csv",
                          [("resnet50", 1, 1, "", "cat", "dog", "0",
                            "0001_s5n_dnn_0_dog_00_dog1-cat2.png")])
    row = read_trials(path).iloc[0]
    assert row["observer_type"] == "dnn" and row["rule"] == "unknown"
    assert row["texture"] == "cat" and row["response"] == "cat" and not row["correct"]


def test_header_only_files_say_so(tmp_path):
    from lab.schema import HUMAN_FILE_COLUMNS
    from lab.trial_file import TrialFile
    TrialFile.create(tmp_path / "sub-01_beh.tsv", HUMAN_FILE_COLUMNS).close()
    with pytest.raises(LabInputError, match="hold only their header"):
        read_trials(tmp_path)
