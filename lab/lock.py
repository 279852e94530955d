"""One running process per session, training run or scoring output: a lock file beside
the data it writes (the booth's sessions, ``python -m models train`` and ``score``).

``<stem>.lock`` holds the pid, host and start time of the process that runs the session.
It is created with ``O_CREAT | O_EXCL`` (atomic on local file systems), so of two runs
started at once exactly one gets it; the other is refused naming the lock, pid and host.
A lock whose process is gone (same host, no such pid) was left by a crash (``kill -9``,
power cut): it is taken over, with a log line. A lock of another host is never taken over
automatically, since its process cannot be checked from here.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import logging
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from lab.errors import LabInputError

log = logging.getLogger(__name__)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def holder(path: Path) -> dict[str, object] | None:
    """The pid/host/start of the process holding the lock at ``path``; None if there is
    no lock or it is stale (its process gone from this host). Reads only."""
    info = _read(path) if path.exists() else {}
    pid = info.get("pid")
    if not info or (isinstance(pid, int) and info.get("host") == socket.gethostname()
                    and not _pid_alive(pid)):
        return None
    return info


def remove_if_stale(path: Path) -> bool:
    """Remove the lock at ``path`` if its process is gone from this host (a run killed
    right after taking it); True if removed. A lock being written, or of a live process
    or another host, is kept."""
    info = _read(path)
    pid = info.get("pid")
    if not (isinstance(pid, int) and info.get("host") == socket.gethostname()
            and not _pid_alive(pid)):
        return False
    log.warning("%s: stale lock of process %d (gone, e.g. killed); removed", path, pid)
    SessionLock(path)._remove_stale(pid)
    return not path.exists()


class SessionLock:
    """The lock of one session; :meth:`acquire` then :meth:`release` (or ``with``)."""

    def __init__(self, path: Path, *, wait_s: float = 0.0, what: str = "the session") -> None:
        self.path = path
        self.what = what  #: what the lock guards, for the refusal ("the session", ...)
        self.wait_s = wait_s  #: how long to wait for a live holder before refusing
        self.held = False

    def _create(self) -> bool:
        """Create the lock file with our pid and host; False if it exists."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": _dt.datetime.now(_dt.UTC).isoformat(
                        timespec="seconds")}
            os.write(fd, (json.dumps(info) + "\n").encode())
            os.fsync(fd)
        except OSError:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise
        os.close(fd)
        return True

    def acquire(self) -> SessionLock:
        """Take the lock, taking over a stale one; :class:`LabInputError` if another
        process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_s
        for _ in range(20 + int(self.wait_s / 0.05)):
            if self._create():
                self.held = True
                return self
            info = _read(self.path)
            pid, host = info.get("pid"), info.get("host")
            here = socket.gethostname()
            if isinstance(pid, int) and host == here and not _pid_alive(pid):
                log.warning("%s: stale lock of process %d on %s (gone, e.g. killed); "
                            "taken over", self.path, pid, host)
                self._remove_stale(pid)
                continue
            if not info:  # being written this instant, or emptied by a crash
                if self._empty_for_a_while():
                    log.warning("%s: empty lock (a crash while it was written); taken "
                                "over", self.path)
                    self.path.unlink(missing_ok=True)
                    continue
                info = _read(self.path)
                pid, host = info.get("pid"), info.get("host")
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise LabInputError(
                f"{self.path}: {self.what} is being written by process {pid} on {host} "
                f"(since {info.get('started', '?')}); wait for it to end, or, if that "
                "process is gone, delete this lock file"
            )
        raise LabInputError(f"{self.path}: could not take the lock of {self.what}; try again")

    def _remove_stale(self, pid: int) -> None:
        """Remove the lock of the dead ``pid`` unless someone replaced it meanwhile.

        Two runs may find the same stale lock at once: a second, short-lived lock
        (``.takeover``, also O_EXCL) lets only one of them check and remove it."""
        guard = self.path.with_name(self.path.name + ".takeover")
        try:
            fd = os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:  # a takeover that crashed itself leaves an old guard
                if time.time() - guard.stat().st_mtime > 10:
                    guard.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
            return
        os.close(fd)
        try:
            if _read(self.path).get("pid") == pid:
                self.path.unlink(missing_ok=True)
        finally:
            guard.unlink(missing_ok=True)

    def _empty_for_a_while(self) -> bool:
        time.sleep(0.2)
        return not _read(self.path) and self.path.exists()

    def release(self) -> None:
        if self.held:
            self.held = False
            try:
                if _read(self.path).get("pid") == os.getpid():
                    self.path.unlink()
            except OSError as err:
                if err.errno != errno.ENOENT:
                    log.warning("%s: could not remove the lock (%s)", self.path, err)

    def __enter__(self) -> SessionLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
