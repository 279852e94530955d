"""Bad inputs to the launcher that need no window: a display profile with fields of the
wrong type, a negative --seed or --practice, a manifest leading out of its set. One line
naming the file or option and the fix, exit 2, nothing written."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from experiment_helpers import REFUSAL_TIMEOUT_S, run_cli

from experiment.files.profiles import PROFILES_DIR, load_profile
from lab.errors import LabInputError
from lab.manifest import MANIFEST_NAME

LAB = json.loads((PROFILES_DIR / "lab.json").read_text(encoding="utf-8"))


def refuse(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """``run_cli`` with the short limit of a refusal."""
    return run_cli(*args, timeout=REFUSAL_TIMEOUT_S, **kwargs)


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("field,value,match", [
    ("width_cm", "48.3", "width_cm must be a number, not \"48.3\""),
    ("width_cm", True, "width_cm must be a number"),
    ("resolution", "1920x1200", r"resolution must be \[width, height\]"),
    ("resolution", [1920.5, 1200], r"resolution must be \[width, height\]"),
    ("resolution", [1920], r"resolution must be \[width, height\]"),
    ("refresh_hz", None, "refresh_hz must be a number, not null"),
    ("screen", "0", "screen must be a whole number"),
    ("gamma", "2.2", "gamma must be a number or null"),
    ("distance_cm", -3, "distance_cm must be positive"),
    ("description", 5, "description must be a string"),
    ("calibration", [1, 2], "calibration must be an object or null"),
    ("colour", "red", "unknown field 'colour'"),
])
def test_profile_fields_of_the_wrong_type(tmp_path, field, value, match):
    data = dict(LAB, **{field: value})
    path = tmp_path / "booth.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LabInputError, match=match) as err:
        load_profile(str(path))
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_profile_calibration_with_wrong_types(tmp_path):
    cal = {"date": "2026-01-01", "gamma": "2.2", "min_cd_m2": 0.1, "max_cd_m2": 100.0,
           "rms_cd_m2": 0.5, "levels": [0, 1], "luminance_cd_m2": [0.1, 100.0]}
    path = tmp_path / "booth.json"
    path.write_text(json.dumps(dict(LAB, gamma=2.2, calibration=cal)), encoding="utf-8")
    with pytest.raises(LabInputError, match="calibration gamma must be a number"):
        load_profile(str(path))
    cal.update(gamma=2.2, levels=[0, "x"])
    path.write_text(json.dumps(dict(LAB, gamma=2.2, calibration=cal)), encoding="utf-8")
    with pytest.raises(LabInputError, match="calibration levels must be a list of numbers"):
        load_profile(str(path))


@pytest.mark.parametrize("text,match", [("[1, 2]", "a JSON object"), ("{", "fix the JSON"),
                                        ('{"name": "x"}', "missing width_cm")])
def test_profile_that_is_not_an_object(tmp_path, text, match):
    path = tmp_path / "booth.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabInputError, match=match):
        load_profile(str(path))


def test_check_names_a_mistyped_profile(stimulus_set: Path, tmp_path: Path) -> None:
    path = tmp_path / "booth.json"
    path.write_text(json.dumps(dict(LAB, refresh_hz="120")), encoding="utf-8")
    result = refuse("check", "--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                     "--display", str(path))
    assert result.returncode == 2
    assert "refresh_hz must be a number" in one_error_line(result.stderr)


@pytest.mark.parametrize("option,value,match", [
    ("--seed", "-1", "--seed -1: must be a whole number, 0 or more"),
    ("--practice", "-5", "--practice -5: must be 0 (none) or more"),
])
def test_negative_seed_or_practice(stimulus_set: Path, tmp_path: Path, option, value, match):
    data = tmp_path / "data"
    result = refuse("--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                     "--observer", "obs-1", "--session", "1", "--data", str(data),
                     "--trials", "4", option, value)
    assert result.returncode == 2
    assert match in one_error_line(result.stderr)
    assert not data.exists()


def test_a_manifest_leading_out_of_its_set_is_refused(stimulus_set: Path) -> None:
    manifest = stimulus_set / MANIFEST_NAME
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    row = lines[1].split(",")
    row[0] = "../../../../../etc/passwd"
    row[1] = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    lines[1] = ",".join(row)
    manifest.write_text("".join(lines), encoding="utf-8")
    result = refuse("check", "--experiment", "cue-conflict", "--stimuli", str(stimulus_set))
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "manifest.csv:2" in line and "not a path inside the set" in line
