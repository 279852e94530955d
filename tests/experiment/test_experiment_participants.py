"""BIDS metadata a lab fills in: participants' optional columns with their descriptions and
levels, the lab's authors and institution, the stimulus path relative to the dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from experiment_helpers import run_cli

from experiment.files.bids import bids_column_entries, dataset_path, ensure_dataset_files
from experiment.plan.participants import LabInfo, Participant
from lab.errors import LabInputError


def test_participant_values_are_checked_and_normalised() -> None:
    p = Participant.parse(age="24", sex="female", handedness="left", visual_acuity="20/20")
    assert p.cells() == {"age": "24", "sex": "F", "handedness": "L",
                         "visual_acuity": "20/20"}
    assert Participant.parse(age="", sex=" ", handedness=None).cells() == {
        "age": "n/a", "sex": "n/a", "handedness": "n/a", "visual_acuity": "n/a"}
    with pytest.raises(LabInputError, match=r"^age 'x': give whole years"):
        Participant.parse(age="x")
    with pytest.raises(LabInputError, match=r"sex 'w': use one of M \(male\), F \(female\), "
                                            r"O \(other\)"):
        Participant.parse(sex="w")
    with pytest.raises(LabInputError, match="visual acuity"):
        Participant.parse(visual_acuity="good\tvision")


def test_lab_info_from_config_and_flags(tmp_path: Path) -> None:
    config = tmp_path / "lab.json"
    config.write_text(json.dumps({"Authors": ["A. B"], "InstitutionName": "Old",
                                  "License": "CC0"}))
    lab = LabInfo.load(config, institution="New Lab")
    assert lab.description() == {"Authors": ["A. B"], "License": "CC0"}
    assert lab.sidecar() == {"InstitutionName": "New Lab"}
    assert LabInfo.load(authors="X; Y ;").description() == {"Authors": ["X", "Y"]}
    config.write_text('{"Author": "typo"}')
    with pytest.raises(LabInputError, match=r"unknown keys \['Author'\]"):
        LabInfo.load(config)
    config.write_text("{not json")
    with pytest.raises(LabInputError, match="not valid JSON"):
        LabInfo.load(config)


def test_an_old_participants_table_gains_the_columns_and_keeps_every_value(
        tmp_path: Path) -> None:
    (tmp_path / "participants.tsv").write_text(
        "participant_id\tobserver\nsub-a01\ta-01\n")
    (tmp_path / "participants.json").write_text(json.dumps(
        {"participant_id": {"Description": "kept"}}))
    ensure_dataset_files(tmp_path, "b-01", "0.1", Participant.parse(age=30, sex="M"))
    assert (tmp_path / "participants.tsv").read_text().splitlines() == [
        "participant_id\tobserver\tage\tsex\thandedness\tvisual_acuity",
        "sub-a01\ta-01\tn/a\tn/a\tn/a\tn/a",
        "sub-b01\tb-01\t30\tM\tn/a\tn/a"]
    # a later session fills what was n/a and never changes a given value
    ensure_dataset_files(tmp_path, "b-01", "0.1", Participant.parse(age=99, handedness="R"))
    assert (tmp_path / "participants.tsv").read_text().splitlines()[2] == \
        "sub-b01\tb-01\t30\tM\tR\tn/a"
    described = json.loads((tmp_path / "participants.json").read_text())
    assert described["participant_id"] == {"Description": "kept"}
    assert described["handedness"]["Levels"]["A"] == "ambidextrous"


def test_dataset_description_gains_missing_lab_keys_only(tmp_path: Path) -> None:
    ensure_dataset_files(tmp_path, "a-01", "0.1")
    path = tmp_path / "dataset_description.json"
    assert "Authors" not in json.loads(path.read_text())
    ensure_dataset_files(tmp_path, "a-01", "0.1", lab=LabInfo({"Authors": ["A"]}))
    ensure_dataset_files(tmp_path, "a-01", "0.2", lab=LabInfo({"Authors": ["B"]}))
    description = json.loads(path.read_text())
    assert description["Authors"] == ["A"]
    assert description["GeneratedBy"][0]["Version"] == "0.1"


def test_stimulus_path_relative_to_the_dataset_where_it_can_be(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert dataset_path(data / "stimuli" / "contrast-s01", data) == "stimuli/contrast-s01"
    outside = tmp_path / "sets" / "contrast"
    assert dataset_path(outside, data) == str(outside.resolve())


def test_categorical_columns_have_levels() -> None:
    entries = bids_column_entries({"response": "answer", "correct": "1 if right",
                                   "rt": "seconds", "trial": "number"})
    assert len(entries["response"]["Levels"]) == 17 and "na" in entries["response"]["Levels"]
    assert set(entries["correct"]["Levels"]) == {"0", "1"}
    assert entries["rt"]["Units"] == "s" and "Levels" not in entries["trial"]


def test_bad_participant_flag_is_one_line_before_anything(stimulus_set: Path,
                                                         tmp_path: Path) -> None:
    done = run_cli("--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                   "--observer", "x-01", "--session", "1", "--data", str(tmp_path / "d"),
                   "--handedness", "both")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: handedness 'both': use one of R (right), L (left), A (ambidextrous), or "
        "leave it empty"]
    assert not (tmp_path / "d").exists()
