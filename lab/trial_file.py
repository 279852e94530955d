"""Crash-safe trial files: append one TSV row per trial, flushed and fsynced at once.

Rules that protect recorded data:

* :meth:`TrialFile.create` refuses an existing path (``open(..., 'x')``): nothing is ever
  overwritten.
* every :meth:`TrialFile.write` is a single ``os.write`` of a whole line followed by
  ``os.fsync``: after a crash, Ctrl-C or ``kill -9`` every completed trial is on disk.
* :meth:`TrialFile.resume` reopens a file for appending after checking its header. A
  torn last line (the process died inside a write) is not a completed trial; it is moved
  to ``<file>.torn`` (appended, never overwritten) before appending goes on.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from lab.errors import LabInputError
from lab.schema import TrialRecord, column_descriptions, record_row

log = logging.getLogger(__name__)


def sidecar_path(path: str | Path) -> Path:
    """``x.tsv`` -> ``x.json``."""
    return Path(path).with_suffix(".json")


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` through a temporary file and ``os.replace``, so readers never see
    half a file. Use it for metadata and reports only, never for trial data."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk or an interrupt leaves no temporary file behind
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, data: Mapping[str, Any]) -> None:
    """:func:`write_text_atomic` of ``data`` as indented JSON."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not supported (e.g. Windows)
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TrialFile:
    """An open trial TSV. Use :meth:`create` or :meth:`resume`, then :meth:`write`."""

    def __init__(self, path: Path, columns: Sequence[str], fd: int) -> None:
        self.path = path
        self.columns = tuple(columns)
        self._fd = fd

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        columns: Sequence[str],
        sidecar: Mapping[str, Any] | None = None,
    ) -> TrialFile:
        """Create a new trial file with its header (and JSON sidecar, if given).

        Raises :class:`LabInputError` if the file exists.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError:
            raise LabInputError(
                f"{path}: already exists; resume it (--resume) or use a new session number"
            ) from None
        trial_file = cls(path, columns, fd)
        trial_file._write_line("\t".join(trial_file.columns))
        _fsync_dir(path.parent)
        if sidecar is not None:
            meta = dict(sidecar)
            meta.setdefault("columns", column_descriptions(trial_file.columns))
            write_json_atomic(sidecar_path(path), meta)
        return trial_file

    @classmethod
    def resume(cls, path: str | Path, columns: Sequence[str]) -> TrialFile:
        """Reopen an existing trial file for appending."""
        path = Path(path)
        if not path.is_file():
            raise LabInputError(f"{path}: nothing to resume; start the session without --resume")
        with open(path, "rb") as fh:
            data = fh.read()
        header = data.split(b"\n", 1)[0].decode("utf-8").split("\t")
        if tuple(header) != tuple(columns):
            raise LabInputError(
                f"{path}: its columns differ from this program's; resume with the version "
                "that wrote it, or start a new session number"
            )
        if not data.endswith(b"\n"):
            torn_at = data.rfind(b"\n") + 1
            torn = data[torn_at:]
            with open(path.with_name(path.name + ".torn"), "ab") as fh:
                fh.write(torn + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            with open(path, "r+b") as fh:
                fh.truncate(torn_at)
                os.fsync(fh.fileno())
            log.warning("%s: moved a torn last line (%d bytes) to %s.torn",
                        path, len(torn), path.name)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        return cls(path, columns, fd)

    # -- writing -----------------------------------------------------------------------
    def write(self, record: TrialRecord | Mapping[str, object]) -> None:
        """Append one trial and make it durable before returning."""
        if isinstance(record, TrialRecord):
            row = record_row(record)
        else:
            row = {k: str(v) for k, v in record.items()}
        missing = [c for c in self.columns if c not in row]
        if missing:
            raise ValueError(f"record lacks columns {missing}")
        self._write_line("\t".join(row[c] for c in self.columns))

    def write_many(self, records: Sequence[TrialRecord]) -> None:
        """Append several trials with one ``os.write`` and one ``fsync`` (for networks,
        which finish a batch of trials at once). A crash keeps every earlier batch."""
        if not records:
            return
        lines = []
        for record in records:
            row = record_row(record)
            missing = [c for c in self.columns if c not in row]
            if missing:
                raise ValueError(f"record lacks columns {missing}")
            lines.append("\t".join(row[c] for c in self.columns))
        self._write_line("\n".join(lines))

    def _write_line(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # short writes are rare but legal
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> TrialFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The completed rows of a trial TSV as ``column -> cell`` (a torn last line, if any,
    is skipped)."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as fh:
        text = fh.read()
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    reader = csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    return list(reader)
