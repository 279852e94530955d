"""The progress lines a person watching a session reads (experiment/run/progress.py), on
a clock the test sets: how often they come, and the time left they promise."""

from __future__ import annotations

import logging
import re

import pytest

from experiment.run import progress as progress_module
from experiment.run.progress import SessionProgress, closing_line


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_session(monkeypatch, caplog, *, planned: int, setup_s: float, trial_s: float
                ) -> list[tuple[int, str]]:
    """``planned`` trials of ``trial_s`` each after ``setup_s`` of window, instructions
    and practice; the progress lines as (trials done, line)."""
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    rows: list[dict[str, str]] = []
    session = SessionProgress(planned=planned, blocks=1, rows=rows)
    caplog.set_level(logging.INFO, logger="experiment.progress")
    session.start()
    clock.now += setup_s
    lines = []
    for trial in range(1, planned + 1):
        clock.now += trial_s
        rows.append({"trial": str(trial), "block": "1", "attempt": "1", "flagged": "0",
                     "dropped_frames": "0"})
        caplog.clear()
        session.trial_saved(1, rerun=False, trial=trial, flagged=False)
        lines += [(trial, r.getMessage()) for r in caplog.records]
    return lines


def test_lines_at_every_eighth_and_every_20_s_but_not_in_pairs(monkeypatch, caplog):
    lines = run_session(monkeypatch, caplog, planned=128, setup_s=40.0, trial_s=1.5)
    done = [k for k, _ in lines]
    assert done[0] == 1 and done[-1] == 128
    assert {16, 32, 48, 64, 80, 96, 112} <= set(done)  # every eighth of the plan
    # a line due by time (20 s = 13.3 trials) does not come 1-3 trials before a share line
    gaps = [b - a for a, b in zip(done, done[1:], strict=False)]
    assert min(gaps) > progress_module.NEAR_SHARE
    # and the lines are never further apart than the 20 s rule and a share line allow
    assert max(gaps) <= 16


def test_time_left_counts_trials_not_the_set_up(monkeypatch, caplog):
    """40 s of window and practice before the first trial: the first line promises
    nothing (one trial is no rate); later lines are (trials left) x 1.5 s."""
    lines = dict(run_session(monkeypatch, caplog, planned=128, setup_s=40.0, trial_s=1.5))
    assert lines[1] == "trial 1 of 128 (block 1 of 1)"
    assert lines[16] == "trial 16 of 128 (block 1 of 1), about 3 min left"  # 112 x 1.5 s
    assert lines[112] == "trial 112 of 128 (block 1 of 1), about 24 s left"
    assert lines[128] == "trial 128 of 128 (block 1 of 1)"
    for k, line in lines.items():
        match = re.search(r"about (\d+) s left", line)
        if match:
            assert int(match.group(1)) == pytest.approx((128 - k) * 1.5, abs=1)


def test_closing_line_agrees_with_the_plan():
    rows = [{"trial": str(t), "block": "1", "attempt": "1", "flagged": "0"}
            for t in range(1, 5)]
    rows.append({"trial": "2", "block": "1", "attempt": "2", "flagged": "1"})
    line = closing_line(4, rows, progress_module.Path("ses.log"), completed=True)
    assert line == ("4 planned trials done; 1 re-run after a dropped frame, 1 still "
                    "flagged: see ses.log")
