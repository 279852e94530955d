"""``run_experiment.py summary``: sessions read from the data folder, never written.

Real session output: sessions run through the launcher under Xvfb (one complete, one
killed with ``kill -9`` part way), and, without a display, session files written by the
session's own writers (trial list, trial file, sidecar) for the states a booth run
cannot be made to reach on demand (flagged trials awaiting their re-run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from experiment_helpers import (
    REPO,
    TEST_DURATIONS,
    make_cue_conflict_set,
    needs_display,
    needs_xdotool,
    run_cli,
)

from experiment.files.bids import claim_label, session_paths
from experiment.files.summary import COMPLETE, NOT_STARTED, RESUMABLE, summarise
from experiment.plan.trial_list import PlannedTrial, build_trial_list, write_trial_list
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.schema import HUMAN_FILE_COLUMNS, HumanTrialRecord
from lab.trial_file import TrialFile, read_rows


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def record(observer: str, t: PlannedTrial, *, correct: bool, flagged: bool = False,
           attempt: int = 1) -> HumanTrialRecord:
    response = t.category if correct else "na"
    return HumanTrialRecord(
        experiment="cue-conflict", observer=observer, session=1, trial=t.trial,
        block=t.block, image=t.image, sha256=t.sha256, category=t.category,
        condition=t.condition, response=response, correct=correct,
        rt=0.4 if correct else float("nan"), attempt=attempt, image_frames_planned=12,
        image_frames_shown=12 if not flagged else 13, mask_frames_planned=12,
        mask_frames_shown=12, image_duration_ms=200.0 if not flagged else 216.7,
        mask_duration_ms=200.0, soa_ms=216.7 if not flagged else 233.3,
        preceding_iti_ms=300.0, preparation_ms=10.0, max_frame_interval_ms=16.7,
        dropped_frames=int(flagged), flagged=flagged)


def write_session(data: Path, observer: str, session: int, n_trials: int,
                  answers: list[tuple[int, bool, bool]], *, rerun_flagged: bool = True,
                  stimuli: Path) -> list[PlannedTrial]:
    """A session on disk as the booth writes it: ``answers`` are (trial, correct,
    flagged) records in the order they were made."""
    entries = make_cue_conflict_set(stimuli)
    design = load_experiment("cue-conflict")
    paths = session_paths(data, observer, session, "cue-conflict")
    claim_label(paths, observer)
    trials = build_trial_list(entries, design, seed=session, n_trials=n_trials,
                              block_size=4)
    write_trial_list(paths.trial_list, trials)
    sidecar = {"experiment": "cue-conflict", "observer": observer, "session": session,
               "n_trials": n_trials, "rerun_flagged": rerun_flagged,
               "started": "2026-11-20T10:15:00+01:00"}
    by_number = {t.trial: t for t in trials}
    with TrialFile.create(paths.trials, HUMAN_FILE_COLUMNS, sidecar=sidecar) as fh:
        made: dict[int, int] = {}
        for trial, correct, flagged in answers:
            made[trial] = made.get(trial, 0) + 1
            fh.write(record(observer, by_number[trial], correct=correct, flagged=flagged,
                            attempt=made[trial]))
    return trials


def test_states_from_the_session_files(tmp_path: Path) -> None:
    data, stimuli = tmp_path / "data", tmp_path / "stimuli"
    done = [(t, t % 2 == 1, False) for t in range(1, 9)]  # 8 of 8, half correct
    write_session(data, "obs-a", 1, 8, done, stimuli=stimuli)
    # trial 3 flagged and not yet re-run (the block's re-run is still due)
    flagged = [(t, True, t == 3) for t in range(1, 5)]
    write_session(data, "obs-a", 2, 4, flagged, stimuli=stimuli)
    # ... and the same with re-runs off: nothing is left
    write_session(data, "obs-a", 3, 4, flagged, rerun_flagged=False, stimuli=stimuli)
    # flagged trial 2 re-run (wrong the second time): the last record counts
    rerun = [(1, True, False), (2, True, True), (3, True, False), (4, True, False),
             (2, False, False)]
    write_session(data, "obs-b", 1, 4, rerun, stimuli=stimuli)
    # a trial list but no trial yet (stopped before trial 1)
    paths = session_paths(data, "obs-b", 2, "cue-conflict")
    write_trial_list(paths.trial_list, build_trial_list(
        make_cue_conflict_set(stimuli), load_experiment("cue-conflict"), 1, n_trials=4))
    before = snapshot(data)

    sessions = summarise(data)
    assert snapshot(data) == before
    got = {(s.observer, s.session): s for s in sessions}
    a1, a2, a3 = got["obs-a", 1], got["obs-a", 2], got["obs-a", 3]
    b1, b2 = got["obs-b", 1], got["obs-b", 2]
    assert (a1.done, a1.planned, a1.accuracy, a1.state) == (8, 8, 0.5, COMPLETE)
    assert a1.experiment == "cue-conflict" and a1.started == "2026-11-20T10:15:00+01:00"
    assert a1.last_trial is not None and a1.flagged == 0 and a1.runs == 1
    assert (a2.done, a2.flagged, a2.state) == (4, 1, RESUMABLE)
    assert (a3.done, a3.flagged, a3.state) == (4, 1, COMPLETE)
    assert (b1.done, b1.records, b1.correct, b1.flagged, b1.state) == (4, 5, 3, 1, COMPLETE)
    assert (b2.done, b2.planned, b2.state, b2.last_trial) == (0, 4, NOT_STARTED, None)
    assert [s.subject for s in sessions] == ["sub-obsa"] * 3 + ["sub-obsb"] * 2

    assert [s.session for s in summarise(data, "obs-b")] == [1, 2]
    assert [s.session for s in summarise(data, "obsb")] == [1, 2]  # the sub- label
    with pytest.raises(LabInputError, match="no sessions of observer 'obs-c' in .*"
                       "observers there: obs-a, obs-b"):
        summarise(data, "obs-c")

    result = run_cli("summary", "--data", str(data))
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "observer obs-a (sub-obsa): 3 sessions, 2 complete, 16 trials done"
    assert any("cue-conflict" in ln and "8/8" in ln and "50.0%" in ln
               and ln.endswith(COMPLETE) for ln in out)
    assert any("4/4" in ln and ln.endswith(RESUMABLE) for ln in out)
    assert any("0/4" in ln and ln.endswith(NOT_STARTED) for ln in out)
    assert "2026-11-20 10:15" in result.stdout
    assert snapshot(data) == before


def test_unreadable_sidecar_is_shown_not_fatal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_session(data, "obs-a", 1, 4, [(1, True, False)], stimuli=tmp_path / "s")
    paths = session_paths(data, "obs-a", 1, "cue-conflict")
    paths.sidecar.write_text("{not json")
    [s] = summarise(data)
    assert s.done == 1 and s.state == RESUMABLE
    assert s.problem is not None and s.problem.startswith(paths.sidecar.name)
    assert "problem: " in run_cli("summary", "--data", str(data)).stdout


def test_summary_refusals_and_help(tmp_path: Path) -> None:
    missing = run_cli("summary", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert missing.stderr.startswith(f"error: data folder {tmp_path / 'nowhere'} does "
                                     "not exist")
    empty = run_cli("summary", "--data", str(tmp_path))
    assert empty.returncode == 0 and empty.stdout == f"no sessions in {tmp_path}\n"
    helped = run_cli("summary", "--help")
    assert "run_experiment.py summary --data data --observer subject-01" in helped.stdout


@needs_display
@needs_xdotool
@pytest.mark.display
@pytest.mark.slow
def test_summary_of_real_sessions_complete_and_killed(stimulus_set: Path,
                                                      tmp_path: Path) -> None:
    data = tmp_path / "data"

    def args(observer: str, trials: int) -> list[str]:
        return ["--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                "--observer", observer, "--session", "1", "--data", str(data),
                "--trials", str(trials), "--block-size", "4", "--simulate-observer",
                "0.5", "--seed", "2", "--durations", TEST_DURATIONS, "--windowed"]

    full = run_cli(*args("real-01", 4))
    assert full.returncode == 0, full.stderr[-2000:]
    paths = session_paths(data, "real-02", 1, "cue-conflict")
    proc = subprocess.Popen([sys.executable, str(REPO / "run_experiment.py"),
                             *args("real-02", 12)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if paths.trials.is_file() and len(read_rows(paths.trials)) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the session ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = snapshot(data)

    result = run_cli("summary", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert snapshot(data) == before
    done, partial = summarise(data)
    rows = read_rows(session_paths(data, "real-01", 1, "cue-conflict").trials)
    last = {r["trial"]: r for r in rows}
    assert (done.observer, done.done, done.planned, done.state) == ("real-01", 4, 4,
                                                                     COMPLETE)
    assert done.accuracy == sum(r["correct"] == "1" for r in last.values()) / 4
    assert done.flagged == sum(r["flagged"] == "1" for r in rows)
    killed = read_rows(paths.trials)
    assert partial.observer == "real-02" and partial.planned == 12
    assert partial.done == len({r["trial"] for r in killed}) and 2 <= partial.done < 12
    assert partial.state == RESUMABLE
    line = next(ln for ln in result.stdout.splitlines() if f"{partial.done}/12" in ln)
    assert line.endswith(RESUMABLE)

    only = run_cli("summary", "--data", str(data), "--observer", "real-02")
    assert only.returncode == 0 and "real-01" not in only.stdout
    assert only.stdout.startswith("observer real-02 (sub-real02): 1 session, 0 complete")
