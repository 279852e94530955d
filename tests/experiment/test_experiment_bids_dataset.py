"""The data folder is a valid BIDS dataset: a real simulated session under Xvfb, then the
official validator (``bids-validator-deno``) and pybids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from experiment_helpers import TEST_DURATIONS, needs_display, needs_xdotool, run_cli

from experiment.files.bids import ensure_dataset_files

VALIDATOR = Path(sys.executable).with_name("bids-validator-deno")


def test_dataset_files_are_created_once_and_never_rewritten(tmp_path: Path) -> None:
    ensure_dataset_files(tmp_path, "subject-01", "0.1.0")
    (tmp_path / "README").write_text("edited by the lab\n")
    ensure_dataset_files(tmp_path, "subject-01", "0.1.0")
    ensure_dataset_files(tmp_path, "subject_02", "0.1.0")
    assert (tmp_path / "README").read_text() == "edited by the lab\n"
    rows = (tmp_path / "participants.tsv").read_text().splitlines()
    assert rows == ["participant_id\tobserver\tage\tsex\thandedness\tvisual_acuity",
                    "sub-subject01\tsubject-01\tn/a\tn/a\tn/a\tn/a",
                    "sub-subject02\tsubject_02\tn/a\tn/a\tn/a\tn/a"]
    description = json.loads((tmp_path / "dataset_description.json").read_text())
    assert description["DatasetType"] == "raw" and description["BIDSVersion"]


@needs_display
@needs_xdotool
@pytest.mark.display
@pytest.mark.slow
def test_session_data_pass_the_bids_validator_and_pybids(stimulus_set: Path,
                                                         tmp_path: Path) -> None:
    if not VALIDATOR.exists():
        pytest.skip(f"{VALIDATOR} missing: install the dev extras (scripts/setup.sh)")
    data = tmp_path / "data"
    lab = tmp_path / "lab.json"  # what a lab keeps once and gives every session
    lab.write_text(json.dumps({"Authors": ["A. Person", "B. Person"], "License": "CC-BY-4.0",
                               "InstitutionName": "Test Lab"}))
    for observer in ("sim-01", "sim-02"):
        done = run_cli("--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                       "--observer", observer, "--session", "1", "--data", str(data),
                       "--trials", "4", "--block-size", "4", "--simulate-observer", "1",
                       "--seed", "5", "--durations", TEST_DURATIONS, "--windowed",
                       "--lab-config", str(lab),
                       *(["--age", "31", "--sex", "female", "--handedness", "R",
                          "--visual-acuity", "20/20"] if observer == "sim-01" else []))
        assert done.returncode == 0, done.stderr
    result = subprocess.run([str(VALIDATOR), "--json", str(data)], capture_output=True,
                            text=True, timeout=300)
    report = json.loads(result.stdout)
    errors = [issue for issue in report["issues"]["issues"]
              if issue["severity"] == "error"]
    assert errors == [], errors
    assert result.returncode == 0
    # the warnings a lab would fix are gone: authors, institution, task description
    codes = {(i["code"], i.get("subCode")) for i in report["issues"]["issues"]}
    assert not {c for c, _ in codes} & {"NO_AUTHORS", "TOO_FEW_AUTHORS"}, codes
    for key in ("InstitutionName", "TaskDescription", "Authors", "License"):
        assert not any(sub == key for _, sub in codes), (key, codes)
    assert not any(c.startswith("TSV_") or "LEVELS" in c for c, _ in codes), codes

    import bids  # pybids

    layout = bids.BIDSLayout(str(data), validate=False)
    assert sorted(layout.get_subjects()) == ["sim01", "sim02"]
    beh = layout.get(suffix="beh", extension=".tsv", return_type="filename")
    assert len(beh) == 2
    assert layout.get_tasks() == ["cueconflict"]
    rows = (data / "participants.tsv").read_text().splitlines()
    assert rows[1:] == ["sub-sim01\tsim-01\t31\tF\tR\t20/20",
                        "sub-sim02\tsim-02\tn/a\tn/a\tn/a\tn/a"]
    described = json.loads((data / "participants.json").read_text())
    assert described["sex"]["Levels"] == {"M": "male", "F": "female", "O": "other"}
    assert described["age"]["Units"] == "year"
    meta = json.loads(next(data.rglob("sub-sim01_*_beh.json")).read_text())
    assert meta["InstitutionName"] == "Test Lab"
    assert meta["response"]["Levels"]["na"].startswith("no answer")
    # the stimulus set lies outside the dataset: stored absolute
    assert meta["stimulus_set"] == str(stimulus_set.resolve())
