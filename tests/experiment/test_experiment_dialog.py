"""The interactive info dialog (Qt, under Xvfb), typed into with xdotool."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from experiment_helpers import REPO, TEST_DURATIONS, needs_display, needs_xdotool

from experiment.files.bids import session_paths
from lab.trial_file import read_rows

pytestmark = [needs_display, needs_xdotool, pytest.mark.display, pytest.mark.slow]


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True)


def wait_for_dialog(proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        found = subprocess.run(["xdotool", "search", "--name", "Run a session"],
                               capture_output=True, text=True)
        if found.stdout.strip():
            time.sleep(0.5)  # let it take focus
            return
        time.sleep(0.2)
    raise AssertionError("the info dialog did not appear")


def test_dialog_validates_then_runs(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "run_experiment.py"), "--windowed", "--trials", "2",
         "--simulate-observer", "1", "--durations", TEST_DURATIONS],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ})
    try:
        wait_for_dialog(proc)
        xdotool("type", "--delay", "20", "dlg 01")  # a space: refused, dialog again
        xdotool("key", "Tab", "Tab")
        xdotool("type", "--delay", "50", "cue")  # the experiment combo box
        xdotool("key", "Tab", "Tab")
        xdotool("type", "--delay", "10", str(stimulus_set))
        xdotool("key", "Tab", "ctrl+a")
        xdotool("type", "--delay", "10", str(data))
        xdotool("key", "Tab")  # the optional participant fields follow
        xdotool("type", "--delay", "20", "27")
        xdotool("key", "Return")
        time.sleep(1.0)
        wait_for_dialog(proc)
        xdotool("key", "ctrl+a")
        xdotool("type", "--delay", "20", "dlg-01")
        xdotool("key", "Return")
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out[-2000:]
    rows = read_rows(session_paths(data, "dlg-01", 1, "cue-conflict").trials)
    # every trial once, plus a re-run of any trial flagged for a dropped frame (a busy
    # machine drops frames under Xvfb)
    assert sorted({r["trial"] for r in rows}) == ["1", "2"]
    reruns = [r for i, r in enumerate(rows) if r["trial"] in {x["trial"] for x in rows[i + 1:]}]
    assert all(r["flagged"] == "1" for r in reruns), rows
    assert all(r["observer"] == "dlg-01" for r in rows)
    participants = (data / "participants.tsv").read_text().splitlines()
    assert participants[1].split("\t")[:3] == ["sub-dlg01", "dlg-01", "27"]
