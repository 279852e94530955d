"""Operating-system errors as one line naming the path and the fix (no PsychoPy).

A full disk, a read-only file system, a name too long or a path that is a file must not
end a session in a traceback: the launcher prints one ``error:`` line. Every completed
trial is already on disk (each is fsynced when it ends), so the line also says how to go
on once the cause is gone.
"""

from __future__ import annotations

import errno
from pathlib import Path

from lab.errors import LabInputError

_FIXES: dict[int, str] = {
    errno.ENOSPC: "the disk is full: free space on it",
    errno.EDQUOT: "the disk quota is exceeded: free space or raise the quota",
    errno.EROFS: "the file system is read-only: give a writable --data folder (or "
                 "remount it read-write)",
    errno.ENAMETOOLONG: "a file name is too long: use a shorter --data path or observer ID",
    errno.ENOTDIR: "a part of the path is a file, not a folder: move that file away or "
                   "give another --data folder",
    errno.EISDIR: "the path is a folder where a file is expected: move it away",
    errno.EEXIST: "the path exists and is in the way: move it away",
    errno.EACCES: "permission denied: give a folder you may write to",
    errno.EPERM: "operation not permitted: give a folder you may write to",
    errno.EIO: "an input/output error (failing disk or network share): check the disk",
}


def fix_for(err: OSError) -> str:
    return _FIXES.get(err.errno or 0, err.strerror or str(err))


def os_error_line(err: OSError, path: str | Path | None = None) -> str:
    """``<path>: <what is wrong and the fix>`` for ``err``."""
    where = err.filename if err.filename is not None else path
    return f"{where if where is not None else '(unknown path)'}: {fix_for(err)}"


def write_error(err: OSError, path: str | Path, *, saved: int) -> LabInputError:
    """A failed write during a session: every earlier trial is kept; resume later."""
    return LabInputError(
        f"{os_error_line(err, path)}; the {saved} trial record(s) saved before are kept: "
        "then continue with --resume"
    )


def setup_error(err: OSError, path: str | Path | None = None) -> LabInputError:
    """A failure while creating or opening the session's files."""
    return LabInputError(f"{os_error_line(err, path)}; then run the same command again")
