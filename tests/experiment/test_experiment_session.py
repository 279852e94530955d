"""Whole sessions in a real PsychoPy window under Xvfb, clicked by the simulated observer
(real X mouse events through xdotool), run through the real launcher in a subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from experiment_helpers import REPO, TEST_DURATIONS, needs_display, needs_xdotool, run_cli

from experiment.files.bids import session_paths
from experiment.plan.trial_list import read_trial_list
from lab.manifest import MANIFEST_NAME, sha256_file
from lab.provenance import PROVENANCE_KEYS
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import read_rows

pytestmark = [needs_display, needs_xdotool, pytest.mark.display, pytest.mark.slow]


def session_args(stimuli: Path, data: Path, *extra: str, observer: str = "sim-01",
                 trials: int = 16) -> list[str]:
    return ["--experiment", "cue-conflict", "--stimuli", str(stimuli), "--observer",
            observer, "--session", "1", "--data", str(data), "--trials", str(trials),
            "--block-size", "8", "--simulate-observer", "0.5", "--seed", "3",
            "--durations", TEST_DURATIONS, "--windowed", *extra]


def check_rows(rows: list[dict[str, str]], plan_path: Path) -> None:
    """Row by row: each planned trial recorded once unflagged (a flagged record is
    followed by its re-run), frames shown = planned, response = the planned click."""
    plan = {t.trial: t for t in read_trial_list(plan_path)}
    by_trial: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        by_trial.setdefault(int(row["trial"]), []).append(row)
    assert sorted(by_trial) == sorted(plan), "a trial was lost"
    for trial, records in by_trial.items():
        assert len(records) <= 2, f"trial {trial} repeated"
        if len(records) == 2:
            assert records[0]["flagged"] == "1", f"trial {trial} repeated without a flag"
        for row in records:
            t = plan[trial]
            assert (row["image"], row["sha256"], row["category"]) == (
                t.image, t.sha256, t.category)
            assert row["block"] == str(t.block)
            assert row["correct"] == ("1" if row["response"] == row["category"] else "0")
            assert row["response"] == t.simulated_response, f"trial {trial}: click lost"
            if row["response"] == "na":
                assert row["rt"] == "n/a"
            else:
                assert 0.1 < float(row["rt"]) < 0.6
            assert row["image_frames_planned"] == row["mask_frames_planned"] == "3"
            if row["flagged"] == "0":
                assert row["image_frames_shown"] == row["mask_frames_shown"] == "3"
                # 3 image frames, 3 mask frames, SOA + 1 blank at (virtual) 60 Hz
                assert abs(float(row["image_duration_ms"]) - 3000 / 60) < 0.01
                assert abs(float(row["mask_duration_ms"]) - 3000 / 60) < 0.01
                assert abs(float(row["soa_ms"]) - 4000 / 60) < 0.01
            late = float(row["max_frame_interval_ms"]) > 1.5 * 1000 / 60
            assert late == (int(row["dropped_frames"]) > 0)


def test_full_session_row_by_row(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run_cli(*session_args(stimulus_set, data, "--practice", "1"))
    assert result.returncode == 0, result.stderr[-2000:]
    paths = session_paths(data, "sim-01", 1, "cue-conflict")
    rows = read_rows(paths.trials)
    assert tuple(rows[0]) == HUMAN_FILE_COLUMNS
    assert all(r["observer"] == "sim-01" and r["session"] == "1" for r in rows)
    assert all(r["block"] in ("1", "2") for r in rows)  # the practice trial is not saved
    check_rows(rows, paths.trial_list)
    responses = {r["response"] for r in rows}
    assert "na" in responses and any(r["correct"] == "0" and r["response"] != "na"
                                     for r in rows)  # seed 3: wrong clicks and no click
    meta = json.loads(paths.sidecar.read_text())
    assert meta["virtual_display"] is True and meta["refresh_rate_hz"] == 60
    assert meta["measured_refresh_rate_hz"] > 60  # Xvfb flips are not locked
    assert meta["seed"] == 3 and meta["simulated"]["accuracy"] == 0.5
    assert meta["simulated"]["kind"] == "constant-accuracy"
    assert meta["manifest_sha256"] == sha256_file(stimulus_set / MANIFEST_NAME)
    assert set(PROVENANCE_KEYS) <= set(meta) and meta["started"].endswith("+00:00")
    assert meta["software"]["psychopy"].startswith("20")
    assert meta["frames"]["image"] == 3 and meta["image_px"] == 224
    assert set(meta["columns"]) == set(HUMAN_FILE_COLUMNS)
    log = paths.log.read_text()
    assert "pre-flight passed" in log and "virtual display" in log
    assert "block 1 done" in log and "session complete" in log
    # the terminal: progress against the plan, and a closing line that agrees with it
    planned = len(read_rows(paths.trial_list))
    out = result.stdout
    assert f"{planned} planned trials in 2 blocks" in out
    assert re.search(rf"trial \d+ of {planned} \(block [12] of 2\).*, about .* left", out)
    reruns = len(rows) - planned
    assert re.search(rf"session complete: {planned} planned trials done; {reruns} "
                     "re-runs? after a dropped frame", out), out[-800:]
    assert f"planned trials done; {reruns} re-run" in log  # the log file says the same


def test_first_session_on_a_new_machine_prints_no_psychopy_monitor_warning(
        stimulus_set: Path, tmp_path: Path) -> None:
    """Where PsychoPy has never run (a fresh home folder), its first import saves its
    default monitor and used to print "Monitor specification not found" under the last
    progress line, about a monitor the session does not use."""
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli(*session_args(stimulus_set, tmp_path / "data", trials=4),
                     env={**os.environ, "HOME": str(home)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert (home / ".psychopy3" / "monitors" / "testMonitor.json").is_file()  # first run
    output = result.stdout + result.stderr
    assert "Monitor specification not found" not in output, output[-1500:]
    assert "session complete: 4 planned trials done" in result.stdout


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_kill_then_resume_loses_and_repeats_nothing(stimulus_set: Path, tmp_path: Path,
                                                    how: signal.Signals) -> None:
    data = tmp_path / "data"
    args = session_args(stimulus_set, data, trials=16)
    paths = session_paths(data, "sim-01", 1, "cue-conflict")
    proc = subprocess.Popen([sys.executable, str(REPO / "run_experiment.py"), *args],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if paths.trials.is_file() and len(read_rows(paths.trials)) >= 5:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the session ended before it could be killed"
        os.kill(proc.pid, how)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "continue with --resume" in err
        assert "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    killed = read_rows(paths.trials)
    assert 5 <= len(killed) < 16
    plan_bytes = paths.trial_list.read_bytes()

    again = run_cli(*args)
    assert again.returncode == 2 and "--resume" in again.stderr  # never overwritten
    assert read_rows(paths.trials) == killed

    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    rows = read_rows(paths.trials)
    assert rows[: len(killed)] == killed  # nothing recorded was touched
    assert paths.trial_list.read_bytes() == plan_bytes
    check_rows(rows, paths.trial_list)
    assert len(json.loads(paths.sidecar.read_text())["resumed"]) == 1


def test_rate_without_whole_frames_refused_before_any_trial(stimulus_set: Path,
                                                            tmp_path: Path) -> None:
    profile = json.loads((REPO / "experiment/profiles/lab.json").read_text())
    profile.update(name="fast144", refresh_hz=144, virtual_rate_hz=144)
    path = tmp_path / "fast144.json"
    path.write_text(json.dumps(profile))
    data = tmp_path / "data"
    result = run_cli(*session_args(stimulus_set, data, "--display", str(path)))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "at 144 Hz" in errors[0] and "image 50 ms is 7.20 frames" in errors[0]
    assert "Traceback" not in result.stderr
    paths = session_paths(data, "sim-01", 1, "cue-conflict")
    assert not paths.trials.exists() and not paths.trial_list.exists()


def test_escape_confirm_saves_and_exits_then_resume(stimulus_set: Path, tmp_path: Path
                                                     ) -> None:
    data = tmp_path / "data"
    args = session_args(stimulus_set, data, observer="esc-01")
    paths = session_paths(data, "esc-01", 1, "cue-conflict")
    proc = subprocess.Popen([sys.executable, str(REPO / "run_experiment.py"), *args],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
                paths.trials.is_file() and len(read_rows(paths.trials)) >= 3):
            time.sleep(0.05)
        subprocess.run(["xdotool", "key", "Escape"], check=True)
        while proc.poll() is None and time.monotonic() < deadline:
            subprocess.run(["xdotool", "key", "y"], check=True)
            time.sleep(0.3)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "stopped (continue with --resume)" in out
    stopped = read_rows(paths.trials)
    assert 3 <= len(stopped) < 16
    assert "escape pressed" in paths.log.read_text()
    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    check_rows(read_rows(paths.trials), paths.trial_list)


def test_gamma_profile_on_a_display_without_gamma_ramp_degrades(stimulus_set: Path,
                                                                 tmp_path: Path) -> None:
    profile = json.loads((REPO / "experiment/profiles/lab.json").read_text())
    profile.update(name="gamma22", gamma=2.2)
    path = tmp_path / "gamma22.json"
    path.write_text(json.dumps(profile))
    data = tmp_path / "data"
    result = run_cli(*session_args(stimulus_set, data, "--display", str(path), trials=2))
    assert result.returncode == 0, result.stderr[-2000:]
    meta = json.loads(session_paths(data, "sim-01", 1, "cue-conflict").sidecar.read_text())
    assert meta["gamma_requested"] == 2.2 and meta["gamma_loaded"] is False
    assert any("WITHOUT gamma correction" in w for w in meta["warnings"])


def test_check_command_runs_the_preflight_and_writes_nothing(stimulus_set: Path) -> None:
    before = sorted(p.name for p in stimulus_set.iterdir())
    result = run_cli("check", "--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                     "--windowed")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout.splitlines()
    assert any(line.startswith("stimuli: 48 files") for line in out)
    assert out[-1] == "pre-flight passed"
    # every phase of the design's [phases], in order
    assert ("frames: fixation 18, image 12, blank_after_image 1, mask 12, blank_after_mask 1, "
            "response 90, feedback 18, iti 18") in out
    assert any(line.startswith("warning: virtual display") for line in out)
    assert sorted(p.name for p in stimulus_set.iterdir()) == before


@pytest.mark.parametrize("instant", ["created-trial-list", "resume"])
def test_real_window_kill_at_an_instant_then_carry_on(stimulus_set: Path, tmp_path: Path,
                                                      instant: str) -> None:
    """``kill -9`` of a real-window session at a named instant (a test hook: the process
    sends itself SIGKILL there); then a plain start where the session was not created,
    else ``--resume``: every planned trial once, nothing recorded changed."""
    from experiment.files.creation import CREATED, session_state
    from experiment.plan.checkpoints import KILL_ENV

    data = tmp_path / "data"
    args = session_args(stimulus_set, data, "--practice", "1", trials=8)
    args[args.index("--block-size") + 1] = "4"
    paths = session_paths(data, "sim-01", 1, "cue-conflict")
    env = {**os.environ}
    if instant == "resume":  # killed in trial 2, then again while resuming
        env[KILL_ENV] = "saved@2"
        assert run_cli(*args, env=env).returncode == -signal.SIGKILL
        instant = "resume-sidecar"
    env[KILL_ENV] = instant
    resume = ["--resume"] if session_state(paths, HUMAN_FILE_COLUMNS) == CREATED else []
    killed = run_cli(*args, *resume, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    before = paths.trials.read_bytes() if paths.trials.exists() else b""
    resume = ["--resume"] if session_state(paths, HUMAN_FILE_COLUMNS) == CREATED else []
    assert bool(resume) == (instant != "created-trial-list")
    done = run_cli(*args, *resume)
    assert done.returncode == 0, done.stderr[-2000:]
    assert paths.trials.read_bytes().startswith(before)
    check_rows(read_rows(paths.trials), paths.trial_list)
