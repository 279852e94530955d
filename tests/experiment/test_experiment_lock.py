"""One process per session: the lock file, stale locks, and two runs at once."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from experiment_helpers import REPO, check_exactly_once, fork_cli, headless_args

from experiment.files.bids import session_paths
from experiment.files.creation import lock_path
from experiment.files.summary import summarise
from experiment.plan.checkpoints import HOLD_ENV, KILL_ENV
from lab.errors import LabInputError
from lab.lock import SessionLock
from lab.trial_file import read_rows


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_holder_refused_naming_pid_and_host(tmp_path: Path) -> None:
    path = tmp_path / "beh" / "s.lock"
    with SessionLock(path):
        info = json.loads(path.read_text())
        assert info["host"] == socket.gethostname()
        with pytest.raises(LabInputError) as err:
            SessionLock(path).acquire()
        message = str(err.value)
        assert str(path) in message and f"process {info['pid']} on {info['host']}" in message
    assert not path.exists()


def test_stale_lock_is_taken_over_with_a_log_line(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "s.lock"
    gone = dead_pid()
    path.write_text(json.dumps({"pid": gone, "host": socket.gethostname()}))
    with caplog.at_level(logging.WARNING), SessionLock(path):
        assert json.loads(path.read_text())["pid"] != gone
    assert f"stale lock of process {gone}" in caplog.text


def test_lock_of_another_host_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "s.lock"
    path.write_text(json.dumps({"pid": dead_pid(), "host": "booth-pc-2"}))
    with pytest.raises(LabInputError, match="on booth-pc-2"):
        SessionLock(path).acquire()
    assert "booth-pc-2" in path.read_text()


def test_two_resumes_at_once_one_refuses(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = headless_args(stimulus_set, data, observer="twice-01", trials=12)
    paths = session_paths(data, "twice-01", 1, "cue-conflict")
    rc, out = fork_cli(args, {KILL_ENV: "saved@3"})
    assert rc == -9
    killed = paths.trials.read_bytes()
    go = tmp_path / "go"
    first = subprocess.Popen(
        [sys.executable, str(REPO / "run_experiment.py"), *args, "--resume"], cwd=REPO,
        env={**os.environ, HOLD_ENV: f"trial@2:{go}"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = lock_path(paths)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the first run holds the lock, mid-session
            if lock.exists() and f'"pid": {first.pid}' in lock.read_text() and \
                    len(read_rows(paths.trials)) >= 4:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the first resume never got going")
        state = {x.observer: x.state for x in summarise(data)}["twice-01"]
        assert state == f"running (process {first.pid} on {socket.gethostname()})"
        for extra in (["--resume"], []):  # a second resume, and a plain start beside it
            rc, out = fork_cli([*args, *extra])
            assert rc == 2, out
            errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
            assert len(errors) == 1 and "Traceback" not in out
            assert str(lock) in errors[0] and f"process {first.pid} on " in errors[0]
        go.touch()
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    rows = read_rows(paths.trials)
    assert paths.trials.read_bytes().startswith(killed)
    check_exactly_once(rows, paths.trial_list)
    assert not lock.exists()
