"""``--resume`` runs with the saved settings; a differing flag is refused in one line; a
refused run writes nothing. Without a window (the in-process simulated observer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from experiment_helpers import REPO, check_exactly_once, fork_cli, make_cue_conflict_set

from experiment.files.bids import session_paths
from experiment.plan.checkpoints import KILL_ENV
from experiment.plan.hooks import DROP_FRAMES_VARIABLE
from lab.trial_file import read_rows


def base(stimuli: Path, data: Path) -> list[str]:
    return ["--experiment", "cue-conflict", "--stimuli", str(stimuli), "--observer",
            "res-01", "--session", "1", "--data", str(data), "--no-window"]


STARTED = ["--trials", "12", "--block-size", "4", "--durations", "response=600,iti=100",
           "--click-to-continue", "--practice", "1", "--seed", "7",
           "--simulate-observer", "0.5", "--no-rerun"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; the killed run's stale lock aside (a later run removes it)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".lock"}


@pytest.fixture
def killed(stimulus_set: Path, tmp_path: Path) -> tuple[list[str], Path]:
    data = tmp_path / "data"
    rc, out = fork_cli([*base(stimulus_set, data), *STARTED],
                       {KILL_ENV: "saved@5", DROP_FRAMES_VARIABLE: "2"})
    assert rc == -9, out
    return base(stimulus_set, data), data


@pytest.mark.parametrize("flag, value, saved", [
    (["--trials", "16"], "--trials 16", "--trials 12"),
    (["--block-size", "6"], "--block-size 6", "--block-size 4"),
    (["--durations", "response=900"], "--durations 'fixation=300,image=200,mask=200,"
     "response=900,feedback=300,iti=300'", "response=600,feedback=300,iti=100"),
    (["--practice", "3"], "--practice 3", "--practice 1"),
    (["--seed", "8"], "--seed 8", "--seed 7"),
    (["--simulate-observer", "0.9"], "--simulate-observer 0.9", "--simulate-observer 0.5"),
    (["--display", str(REPO / "experiment/profiles/lab.json")], None, None),
    (["--image-units", "px"], "--image-units px", "--image-units deg"),
])
def test_a_differing_flag_is_refused_naming_both_values(
        killed: tuple[list[str], Path], flag: list[str], value: str | None,
        saved: str | None) -> None:
    args, data = killed
    before = snapshot(data)
    rc, out = fork_cli([*args, *flag, "--resume"])
    if value is None:  # the same profile given by its path: not a difference
        assert rc == 0, out
        return
    assert rc == 2, out
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in out
    assert value in errors[0] and saved in errors[0], errors[0]
    assert f"resume without {flag[0]}" in errors[0]
    assert snapshot(data) == before  # refused: not even a log line


def test_resume_takes_the_saved_settings(killed: tuple[list[str], Path],
                                         stimulus_set: Path) -> None:
    args, data = killed
    paths = session_paths(data, "res-01", 1, "cue-conflict")
    for flag in (["--click-to-continue"], ["--no-rerun"]):  # the same values: fine
        assert flag[0] in STARTED
    rc, out = fork_cli([*args, "--click-to-continue", "--resume"], {DROP_FRAMES_VARIABLE: "2"})
    assert rc == 0, out
    rows = read_rows(paths.trials)
    meta = json.loads(paths.sidecar.read_text())
    run = meta["resumed"][0]
    assert run["durations_ms"]["response"] == 600 and run["durations_ms"]["iti"] == 100
    assert meta["settings"]["trials"] == 12 and meta["settings"]["block_size"] == 4
    assert sorted(int(r["trial"]) for r in rows) == list(range(1, 13))  # no re-run
    assert [r["flagged"] for r in rows if r["trial"] == "2"] == ["1"]  # --no-rerun kept
    assert {r["block"] for r in rows} == {"1", "2", "3"}
    assert all(r["response"] in ("na", r["response"]) for r in rows)


def test_refused_and_failed_runs_write_nothing(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    other = tmp_path / "other"
    make_cue_conflict_set(other)
    manifest = other / "manifest.csv"
    manifest.write_text(manifest.read_text().replace(",cue-conflict,", ",contrast,"))
    attempts = [
        ["--stimuli", str(other)],                                   # another experiment's
        ["--trials", "49"],                                          # more than the set
        ["--durations", "image=7"],                                  # not whole frames
        ["--display", "no-such-profile"],
    ]
    for extra in attempts:
        args = ["--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                "--observer", "ref-01", "--session", "1", "--data", str(data),
                "--simulate-observer", "1", "--no-window", "--trials", "4", *extra]
        rc, out = fork_cli(args)
        assert rc == 2, (extra, out)
        assert len([ln for ln in out.splitlines() if ln.startswith("error:")]) == 1
        assert list(data.iterdir()) == [], extra  # no participants.tsv, observer.json


def test_check_refuses_a_set_of_another_experiment(stimulus_set: Path) -> None:
    rc, out = fork_cli(["check", "--experiment", "contrast", "--stimuli",
                        str(stimulus_set)])
    assert rc == 2
    assert "the stimulus set is for 'cue-conflict', not 'contrast'" in out


def test_re_runs_and_breaks_without_a_window(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ["--experiment", "cue-conflict", "--stimuli", str(stimulus_set), "--observer",
            "rr-01", "--session", "1", "--data", str(data), "--trials", "8",
            "--block-size", "4", "--simulate-observer", "0.5", "--no-window"]
    rc, out = fork_cli(args, {DROP_FRAMES_VARIABLE: "2,7"})
    assert rc == 0, out
    paths = session_paths(data, "rr-01", 1, "cue-conflict")
    rows = read_rows(paths.trials)
    # trial 2 re-run at the end of block 1, trial 7 at the end of block 2
    assert [r["trial"] for r in rows] == ["1", "2", "3", "4", "2", "5", "6", "7", "8", "7"]
    check_exactly_once(rows, paths.trial_list)
    meta = json.loads(paths.sidecar.read_text())
    assert meta["presentation"] == "no-window" and meta["observer_delivery"] == "in-process"
    # the terminal follows the plan: trial k of n, the re-runs, a closing line that agrees
    assert "8 planned trials in 2 blocks" in out
    assert "re-ran trial 2 (block 1) after a dropped frame" in out
    assert "trial 8 of 8 (block 2 of 2), 1 re-run" in out, out  # trial 7 re-runs after it
    assert "re-ran trial 7 (block 2) after a dropped frame" in out
    assert (f"session complete: 8 planned trials done; 2 re-runs after a dropped frame: "
            f"see {paths.log}") in out
    assert "8 planned trials done; 2 re-runs" in paths.log.read_text()


def test_ctrl_c_during_start_up_says_interrupted(stimulus_set: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from experiment.files.creation import lock_path
    from experiment.plan.checkpoints import HOLD_ENV

    data = tmp_path / "data"
    args = [*base(stimulus_set, data), "--simulate-observer", "1", "--trials", "4"]
    paths = session_paths(data, "res-01", 1, "cue-conflict")
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "run_experiment.py"), *args], cwd=REPO,
        env={**os.environ, HOLD_ENV: f"verified:{tmp_path / 'never'}"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not lock_path(paths).exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.strip() == ("interrupted before the session's files were created: nothing "
                           "was written; run the same command again")
    assert list(data.rglob("*")) == []
