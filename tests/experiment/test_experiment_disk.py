"""OS errors end in one line naming the path and the fix; nothing recorded is lost and the
session goes on once the cause is gone. A full disk is a small tmpfs (needs root to
mount; skipped with the reason otherwise)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from experiment_helpers import REPO, check_exactly_once, fork_cli, headless_args

from experiment.files.bids import session_paths
from experiment.files.creation import NONE, session_state
from experiment.plan.checkpoints import HOLD_ENV
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import read_rows


def one_error(out: str) -> str:
    assert "Traceback" not in out, out
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, out
    return errors[0]


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                             str(folder)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill ({result.stderr.strip() or 'no root'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte; the filler's path."""
    filler = folder / f"filler-{uuid.uuid4().hex[:6]}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_full_disk_at_start_then_freed(stimulus_set: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "256k") as disk:
        data = disk / "data"
        data.mkdir()
        filler = fill(disk)
        args = headless_args(stimulus_set, data, observer="full-01")
        paths = session_paths(data, "full-01", 1, "cue-conflict")
        rc, out = fork_cli(args)
        assert rc == 2
        line = one_error(out)
        assert "the disk is full" in line and str(data) in line
        assert session_state(paths, HUMAN_FILE_COLUMNS) == NONE
        assert sorted(p.name for p in data.rglob("*")) == []  # nothing left behind
        filler.unlink()
        rc, out = fork_cli(args)
        assert rc == 0, out
        check_exactly_once(read_rows(paths.trials), paths.trial_list)


def test_full_disk_mid_session_keeps_every_trial_and_resumes(stimulus_set: Path,
                                                             tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "256k") as disk:
        data = disk / "data"
        go = tmp_path / "go"
        args = headless_args(stimulus_set, data, observer="full-02", trials=40)
        paths = session_paths(data, "full-02", 1, "cue-conflict")
        proc = subprocess.Popen([sys.executable, str(REPO / "run_experiment.py"), *args],
                                cwd=REPO, env={**os.environ, HOLD_ENV: f"trial@4:{go}"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not (paths.trials.exists() and len(read_rows(paths.trials)) == 3):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            filler = fill(disk)
            go.touch()
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 2, err
        line = one_error(err)
        assert str(paths.trials) in line and "the disk is full" in line
        assert "continue with --resume" in line
        saved = paths.trials.read_bytes()
        kept = saved[: saved.rfind(b"\n") + 1]
        assert len(read_rows(paths.trials)) >= 3
        rc, out = fork_cli([*args, "--resume"])  # still full: refused again, one line
        assert rc == 2 and "the disk is full" in one_error(out)
        assert paths.trials.read_bytes().startswith(kept)
        filler.unlink()
        rc, out = fork_cli([*args, "--resume"])
        assert rc == 0, out
        assert paths.trials.read_bytes().startswith(kept)
        check_exactly_once(read_rows(paths.trials), paths.trial_list)


def test_read_only_file_system(stimulus_set: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        rc, out = fork_cli(headless_args(stimulus_set, disk / "data"))
        assert rc == 2
        line = one_error(out)
        assert "read-only" in line and str(disk / "data") in line


def test_data_folder_that_is_a_file(stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder\n")
    rc, out = fork_cli(headless_args(stimulus_set, data))
    assert rc == 2
    line = one_error(out)
    assert str(data) in line and "a file" in line
    assert data.read_text() == "not a folder\n"


def test_observer_id_too_long_for_a_file_name(stimulus_set: Path, tmp_path: Path) -> None:
    rc, out = fork_cli(headless_args(stimulus_set, tmp_path / "data", observer="x" * 300))
    assert rc == 2
    assert "too long" in one_error(out)
    assert not (tmp_path / "data").exists()
