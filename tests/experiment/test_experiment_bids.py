"""Observer IDs, BIDS labels, display profiles (pure, no window)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiment.files.bids import (
    check_observer_id,
    check_session,
    claim_label,
    session_paths,
    task_label,
)
from experiment.files.profiles import DisplayProfile, deg_to_px, load_profile, make_profile
from lab.design import list_experiments, load_experiment
from lab.errors import LabInputError


@pytest.mark.parametrize("good", ["subject-01", "S_02", "x", "ab-cd_9"])
def test_good_observer_ids(good: str) -> None:
    assert check_observer_id(good) == good


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "a b", "--", "_", "ö1", "a.b", "x\n"])
def test_bad_observer_ids_one_line(bad: str) -> None:
    with pytest.raises(LabInputError) as err:
        check_observer_id(bad)
    assert "letters, digits, '-' and '_' only" in str(err.value)
    assert len(str(err.value).splitlines()) == 1


@pytest.mark.parametrize("bad", ["0", "-1", "one", "1.5", ""])
def test_bad_session(bad: str) -> None:
    with pytest.raises(LabInputError, match="positive whole number"):
        check_session(bad)


def test_paths_follow_bids(tmp_path: Path) -> None:
    p = session_paths(tmp_path, "subject-01", 2, "cue-conflict")
    assert p.trials == (tmp_path / "sub-subject01/ses-2/beh/"
                        "sub-subject01_ses-2_task-cueconflict_beh.tsv")
    assert p.sidecar.name == "sub-subject01_ses-2_task-cueconflict_beh.json"
    assert all(task_label(n).isalnum() for n in list_experiments())


def test_two_ids_with_one_label_refused(tmp_path: Path) -> None:
    first = session_paths(tmp_path, "subject-01", 1, "colour")
    claim_label(first, "subject-01")
    claim_label(first, "subject-01")  # the same observer again is fine
    assert json.loads(first.observer_file.read_text())["observer"] == "subject-01"
    other = session_paths(tmp_path, "subject_01", 1, "colour")
    with pytest.raises(LabInputError, match="belongs to 'subject-01'"):
        claim_label(other, "subject_01")


def test_lab_profile_gives_the_papers_image_sizes() -> None:
    lab = load_profile("lab")
    assert (lab.refresh_hz, lab.resolution, lab.gamma) == (120, (1920, 1200), None)
    assert lab.cm_per_px == pytest.approx(30.2 / 1200, rel=2e-3)
    for name, native in (("contrast", 256), ("rotation", 224)):
        design = load_experiment(name)
        px = deg_to_px(design.image_degrees, design.viewing_distance_cm, lab.cm_per_px)
        assert abs(px - native) <= 2  # Geirhos et al. 2018, Methods: both about 3 deg


def test_make_profile_never_overwrites(tmp_path: Path) -> None:
    prof = DisplayProfile(name="booth2", width_cm=53.1, resolution=(1920, 1080),
                          refresh_hz=60, gamma=2.2)
    path = make_profile(prof, tmp_path)
    assert load_profile("booth2", tmp_path) == prof
    with pytest.raises(LabInputError, match="exists"):
        make_profile(prof, tmp_path)
    assert load_profile(str(path)) == prof
    with pytest.raises(LabInputError, match="not found.*known: booth2"):
        load_profile("booth3", tmp_path)
    with pytest.raises(LabInputError, match="must be positive"):
        make_profile(DisplayProfile("bad", -1, (1, 1), 60), tmp_path)
