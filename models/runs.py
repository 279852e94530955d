"""A scoring run's files on disk: written under a ``.partial`` name, published whole,
resumable (torch-free).

* While a run scores, each experiment's rows go to ``<name>.tsv.partial`` (appended and
  fsynced per batch) and its sidecar ``<name>.json`` says ``"complete": false``.
* When every row is written, the sidecar is rewritten with ``"complete": true`` and the
  number of trials, then the TSV is published under ``<name>.tsv`` with a link (never
  replacing a file) and the partial name removed. Readers therefore never see an
  incomplete run under a ``.tsv`` name, and :mod:`lab.readers` leaves out, with one
  warning line, a ``.tsv`` whose sidecar says it is incomplete or that holds fewer rows
  than ``n_images`` (files of older versions).
* ``--resume`` reopens the partial files after checking that the sidecar was written by
  the same options and that every written row is the manifest's file at that position
  (name and sha256), and continues at the first unscored file.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import LabInputError
from lab.manifest import ManifestEntry
from lab.trial_file import read_rows, sidecar_path, write_json_atomic

PARTIAL_SUFFIX = ".partial"
#: Sidecar fields that must be equal for ``--resume`` to continue a run.
RESUME_KEYS = ("kind", "experiment", "model", "weights_option", "rule", "session",
               "preprocessing", "seed", "n_images", "manifest_sha256")


def partial_path(path: Path) -> Path:
    """``x.tsv`` -> ``x.tsv.partial``: where a run writes until it is complete."""
    return path.with_name(path.name + PARTIAL_SUFFIX)


def lock_path(path: Path) -> Path:
    """``x.tsv`` -> ``x.tsv.lock``: held (:mod:`lab.lock`) while a run writes ``x.tsv``, so
    a second run of the same output (a second ``--resume`` too) refuses naming the holder."""
    return path.with_name(path.name + ".lock")


def resume_hint() -> str:
    return "continue it with the same command and --resume"


def check_out_folder(out: Path) -> None:
    """``--out`` must be a folder (or not exist yet) on a writable file system."""
    if out.exists() and not out.is_dir():
        raise LabInputError(f"--out {out}: is a file, not a folder; give a folder")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise LabInputError(f"--out {out}: {probe} is a file, not a folder; give a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise LabInputError(f"--out {out}: {probe} is not writable (read-only file system or "
                            "no permission); choose another --out")


def refuse_existing(paths: Sequence[Path]) -> None:
    """One-line :class:`LabInputError` if an output, or an interrupted run, exists."""
    for path in paths:
        if path.exists():
            raise LabInputError(
                f"{path}: already exists and is never overwritten; score into a new "
                "--session number or another --out folder"
            )
        partial = partial_path(path)
        if partial.exists():
            raise LabInputError(
                f"{partial}: an interrupted run of these options; {resume_hint()}, or score "
                "into a new --session number or another --out folder"
            )


@dataclass
class ResumeState:
    """What is on disk already, per experiment."""

    done: dict[str, int] = field(default_factory=dict)  #: experiment -> rows written
    correct: dict[str, int] = field(default_factory=dict)  #: experiment -> correct rows
    sidecars: dict[str, dict[str, Any]] = field(default_factory=dict)
    start: int = 0  #: first manifest position not yet scored in every file


def resume_state(paths: Mapping[str, Path], entries: Sequence[ManifestEntry],
                 identity: Mapping[str, Mapping[str, Any]]) -> ResumeState:
    """Check the partial files of an interrupted run against its options (``identity``:
    the sidecar fields of :data:`RESUME_KEYS` per experiment) and the manifest; return where
    to continue. One-line :class:`LabInputError` naming the first difference."""
    state = ResumeState()
    found = False
    identity = json.loads(json.dumps(identity, default=str))  # as the sidecar stores it
    for experiment, path in paths.items():
        own = [e for e in entries if e.experiment == experiment]
        partial = partial_path(path)
        if path.exists():
            raise LabInputError(f"{path}: this run is complete already; nothing to resume")
        if not partial.exists():
            state.done[experiment], state.correct[experiment] = 0, 0
            continue
        found = True
        meta = read_run_sidecar(path)
        for key in RESUME_KEYS:
            if meta.get(key) != identity[experiment].get(key):
                raise LabInputError(
                    f"{partial}: was started with {key} {meta.get(key)!r}, not "
                    f"{identity[experiment].get(key)!r}; resume with the options it was "
                    "started with, or score into a new --session number"
                )
        rows = read_rows(partial)
        if len(rows) > len(own):
            raise LabInputError(f"{partial}: holds {len(rows)} trials, more than the "
                                f"{len(own)} files of {experiment}; score into a new --session")
        for i, (row, entry) in enumerate(zip(rows, own, strict=False)):
            if (row.get("image"), row.get("sha256"), row.get("trial")) != (
                    entry.file, entry.sha256, str(i + 1)):
                raise LabInputError(
                    f"{partial}: trial {i + 1} is {row.get('image')!r}, but the manifest's "
                    f"file there is {entry.file!r} (sha256 {entry.sha256[:12]}...); resume "
                    "with the stimulus set the run started with"
                )
        state.done[experiment] = len(rows)
        state.correct[experiment] = sum(r.get("correct") in ("1", "True", "true")
                                        for r in rows)
        state.sidecars[experiment] = meta
    if not found:
        names = ", ".join(str(partial_path(p)) for p in paths.values())
        raise LabInputError(f"nothing to resume: no interrupted run at {names}; start "
                            "without --resume")
    seen: dict[str, int] = {}
    state.start = len(entries)
    for position, entry in enumerate(entries):
        seen[entry.experiment] = seen.get(entry.experiment, 0) + 1
        if seen[entry.experiment] > state.done[entry.experiment]:
            state.start = position
            break
    return state


def read_run_sidecar(path: Path, instead: str = "score into a new --session number"
                     ) -> dict[str, Any]:
    """The sidecar of the interrupted run writing ``path``; one error line naming it and
    what to do ``instead`` when it is missing, damaged or not an object."""
    side = sidecar_path(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise LabInputError(f"{side}: the sidecar of the interrupted run is missing or "
                            f"damaged ({err}); {instead}") from err
    if not isinstance(meta, dict):
        raise LabInputError(f"{side}: not a sidecar object; {instead}")
    return meta


def publish(path: Path, sidecar: Mapping[str, Any], n_trials: int) -> None:
    """Mark the run complete in its sidecar, then give the TSV its final name (a hard
    link, which never replaces a file, then the partial name removed)."""
    meta = dict(sidecar, complete=True, n_trials=n_trials,
                finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    write_json_atomic(sidecar_path(path), meta)
    partial = partial_path(path)
    try:
        os.link(partial, path)
    except FileExistsError:
        raise LabInputError(f"{path}: appeared while this run scored (another run?); this "
                            f"run's trials stay in {partial}") from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP):
            raise
        if path.exists():  # no hard links here: rename, after checking
            raise LabInputError(f"{path}: appeared while this run scored") from None
        os.rename(partial, path)
        return
    partial.unlink()
