"""Refusals of the launcher that need no window: one line, exit 2, nothing overwritten."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from experiment_helpers import REFUSAL_TIMEOUT_S, run_cli

from experiment.files.bids import session_paths


def refuse(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """``run_cli`` with the short limit of a refusal."""
    return run_cli(*args, timeout=REFUSAL_TIMEOUT_S, **kwargs)


def args(stimuli: Path, data: Path, observer: str = "obs-1") -> list[str]:
    return ["--experiment", "cue-conflict", "--stimuli", str(stimuli), "--observer", observer,
            "--session", "1", "--data", str(data), "--trials", "4"]


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("observer", ["../evil", "a b", "x/y"])
def test_bad_observer_id(stimulus_set: Path, tmp_path: Path, observer: str) -> None:
    result = refuse(*args(stimulus_set, tmp_path / "data", observer))
    assert result.returncode == 2
    assert "letters, digits, '-' and '_' only" in one_error_line(result.stderr)
    assert not (tmp_path / "data").exists()


def test_checksum_mismatch_names_the_file(stimulus_set: Path, tmp_path: Path) -> None:
    victim = sorted(stimulus_set.glob("*.png"))[0]
    victim.write_bytes(victim.read_bytes() + b"\0")
    result = refuse(*args(stimulus_set, tmp_path / "data"), "--trials", "48")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert victim.name in line and "sha256 differs" in line


def test_existing_data_without_resume(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    paths = session_paths(data, "obs-1", 1, "cue-conflict")
    paths.beh_dir.mkdir(parents=True)
    paths.trials.write_text("precious\n")
    result = refuse(*args(stimulus_set, data))
    assert result.returncode == 2
    assert "--resume" in one_error_line(result.stderr)
    assert paths.trials.read_text() == "precious\n"


def test_resume_without_data(stimulus_set: Path, tmp_path: Path) -> None:
    result = refuse(*args(stimulus_set, tmp_path / "data"), "--resume")
    assert result.returncode == 2
    assert "nothing to resume" in one_error_line(result.stderr)


def test_other_id_same_label(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    paths = session_paths(data, "obs-1", 1, "cue-conflict")
    paths.subject_dir.mkdir(parents=True)
    paths.observer_file.write_text('{"observer": "obs_1"}\n')
    result = refuse(*args(stimulus_set, data))
    assert result.returncode == 2
    assert "belongs to 'obs_1'" in one_error_line(result.stderr)


def test_missing_flags_and_help() -> None:
    result = refuse("--experiment", "colour")
    assert result.returncode == 2
    assert "missing --stimuli" in one_error_line(result.stderr)
    helptext = refuse("run", "--help")
    assert helptext.returncode == 0 and "example" in helptext.stdout
    assert "--simulate-observer" in helptext.stdout


def test_no_display_is_one_line(stimulus_set: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = refuse(*args(stimulus_set, tmp_path / "data"), env=env)
    assert result.returncode == 2
    assert "cannot open the display" in one_error_line(result.stderr)


def test_list_shows_experiments_and_profiles() -> None:
    result = refuse("list")
    assert result.returncode == 0
    assert "cue-conflict" in result.stdout and "1920x1200 px, 120 Hz" in result.stdout


def test_check_refuses_a_changed_file_before_any_window(stimulus_set: Path) -> None:
    victim = sorted(stimulus_set.glob("*.png"))[-1]
    victim.write_bytes(b"not a png")
    result = refuse("check", "--experiment", "cue-conflict", "--stimuli", str(stimulus_set))
    assert result.returncode == 2
    assert victim.name in one_error_line(result.stderr)
