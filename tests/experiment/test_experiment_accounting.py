"""A real session (PsychoPy window under Xvfb, clicked through xdotool) with dropped frames
forced in chosen trials (the VGL_TEST_DROP_FRAMES hook): the re-runs are recorded with
their attempt, the analysis counts each planned trial exactly once, and the timing
columns agree with the frames counted from flip stamps.

The machine may drop further frames on its own (a loaded CI box): the assertions hold for
any extra flagged trial too; only the forced ones are known in advance."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from pathlib import Path

import pytest
from experiment_helpers import TEST_DURATIONS, needs_display, needs_xdotool, run_cli

from experiment.files.bids import session_paths
from experiment.files.summary import summarise
from experiment.plan.hooks import DROP_FRAMES_VARIABLE, STALL_FRAMES, parse_drop_frames
from experiment.plan.trial_list import MAX_RERUNS, read_trial_list
from lab.errors import LabInputError
from lab.readers import read_trials
from lab.trial_file import read_rows

pytestmark = [needs_display, needs_xdotool, pytest.mark.display, pytest.mark.slow]

PERIOD_MS = 1000 / 60  # the virtual display's refresh (frames in TEST_DURATIONS)
FORCED = "2,5,5:2,9"  # trial 5 drops a frame in its re-run too
PLANNED_TRIALS = 12


def results_cli(*args: str) -> str:
    import subprocess
    done = subprocess.run([sys.executable, "-m", "results", *args, "-q", "--csv"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def whole_frames(ms: float) -> int:
    """``ms`` as a number of frame periods; fails unless it is whole (the virtual vsync's
    stamps are exact multiples of the period)."""
    frames = round(ms / PERIOD_MS)
    assert abs(ms - frames * PERIOD_MS) < 0.01, f"{ms} ms is not a whole number of frames"
    return frames


def test_hook_parses_and_refuses_in_one_line() -> None:
    assert parse_drop_frames(" 2, 5:2 ,") == {(2, 1), (5, 2)}
    with pytest.raises(LabInputError, match=DROP_FRAMES_VARIABLE):
        parse_drop_frames("2,x")


def test_forced_drops_are_rerun_and_each_planned_trial_counts_once(stimulus_set: Path,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, DROP_FRAMES_VARIABLE: FORCED}
    result = run_cli("--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                     "--observer", "drop-01", "--session", "1", "--data", str(data),
                     "--trials", str(PLANNED_TRIALS), "--block-size", "6",
                     "--simulate-observer", "0.75", "--seed", "4", "--durations",
                     TEST_DURATIONS, "--windowed", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    paths = session_paths(data, "drop-01", 1, "cue-conflict")
    plan = {t.trial: t for t in read_trial_list(paths.trial_list)}
    rows = read_rows(paths.trials)
    assert DROP_FRAMES_VARIABLE in paths.log.read_text()

    # -- the booth: attempts 1, 2, ... in file order; every flagged attempt re-run once
    attempts: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        attempts.setdefault(int(row["trial"]), []).append(row)
    assert sorted(attempts) == sorted(plan)
    for trial, records in attempts.items():
        assert [int(r["attempt"]) for r in records] == list(range(1, len(records) + 1))
        assert len(records) <= 1 + MAX_RERUNS
        assert all(r["flagged"] == "1" for r in records[:-1]), f"trial {trial}"
        if records[-1]["flagged"] == "1":
            assert len(records) == 1 + MAX_RERUNS, f"trial {trial}: re-run missing"
        assert all(r["block"] == str(plan[trial].block) for r in records)
    for trial, attempt in parse_drop_frames(FORCED):
        row = attempts[trial][attempt - 1]
        assert row["flagged"] == "1", f"forced drop in trial {trial}:{attempt} not flagged"
        # the image's last frame stayed up at least STALL_FRAMES refreshes
        assert int(row["image_frames_shown"]) >= int(row["image_frames_planned"]) + \
            STALL_FRAMES - 1
    superseded = len(rows) - PLANNED_TRIALS
    assert superseded >= 3  # trials 2, 5 and 9 at least

    # -- the analysis: each planned trial exactly once, superseded records counted
    table = read_trials(data)
    assert len(table) == PLANNED_TRIALS
    assert sorted(table["trial"]) == sorted(plan)
    assert int(table["superseded"].sum()) == superseded
    kept = table.set_index("trial")
    for trial, records in attempts.items():
        assert kept.loc[trial, "attempt"] == len(records)
        assert kept.loc[trial, "response"] == records[-1]["response"]
    counts = list(csv.DictReader(io.StringIO(results_cli("table", str(data)))))
    assert sum(int(r["n_trials"]) for r in counts) == PLANNED_TRIALS
    quality = list(csv.DictReader(io.StringIO(results_cli("quality", str(data)))))
    assert [(q["observer"], int(q["n_trials"]), int(q["superseded_records"]))
            for q in quality] == [("drop-01", PLANNED_TRIALS, superseded)]
    (summary,) = summarise(data)
    assert (summary.done, summary.records, summary.superseded) == (
        PLANNED_TRIALS, len(rows), superseded)

    # -- timing columns against frames counted from flip stamps
    blocks_first = {min(t for t in plan if plan[t].block == b) for b in (1, 2)}
    iti_frames = round(50 / PERIOD_MS)
    for row in rows:
        image = whole_frames(float(row["image_duration_ms"]))
        mask = whole_frames(float(row["mask_duration_ms"]))
        soa = whole_frames(float(row["soa_ms"]))
        assert image == int(row["image_frames_shown"])
        assert mask == int(row["mask_frames_shown"])
        assert soa >= image + 1  # the blank between image and mask: one frame or more
        if row["flagged"] == "0":
            assert (image, mask, soa) == (3, 3, 4)
        iti = row["preceding_iti_ms"]
        first_of_block = int(row["trial"]) in blocks_first and row["attempt"] == "1"
        if first_of_block:  # after the start screen or the break: no ITI before it
            assert iti == "n/a"
        else:
            assert whole_frames(float(iti)) >= iti_frames
        assert float(row["preparation_ms"]) > 0
    meta = json.loads(paths.sidecar.read_text())
    prep = meta["preparation"]
    assert prep["n"] == len(rows)  # one ITI after every trial
    in_iti = [float(r["preparation_ms"]) for r in rows if r["preceding_iti_ms"] != "n/a"]
    assert prep["worst_ms"] >= max(in_iti) - 0.001
    assert math.isclose(prep["iti_budget_ms"], (iti_frames - 1) * PERIOD_MS, abs_tol=0.01)
