"""Creating a session's files so that a crash at any instant leaves a session that goes on.

A new session writes, in this order, each file complete under a temporary name in its
own folder and then linked to its final name (``os.link`` never replaces a file):

1. the trial list ``_trials.tsv``,
2. the JSON sidecar ``_beh.json``,
3. the trial file ``_beh.tsv`` with its header: **the commit point**.

A session whose trial file exists (with a readable sidecar) is *created*: ``--resume``
continues it and a plain start refuses it. Anything less (a trial list and/or sidecar,
temporary files, an older version's header-only trial file without a sidecar) is a
*half-created* session: no trial was ever recorded in it, so a plain start removes those
files and creates the session anew (with a log line); ``--resume`` says to do that, and
``run_experiment.py summary`` calls it "not started". Dataset files (``participants.tsv``,
``observer.json``, ``dataset_description.json``, ...) are written just before step 1,
each atomically; nothing is written before the pre-flight has passed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from experiment.files.bids import SessionPaths
from experiment.plan.checkpoints import checkpoint
from experiment.plan.trial_list import PlannedTrial, write_trial_list
from lab.errors import LabInputError
from lab.trial_file import TrialFile, read_rows, write_json_atomic

log = logging.getLogger(__name__)

NONE = "none"
HALF_CREATED = "half-created"
CREATED = "created"


def lock_path(paths: SessionPaths) -> Path:
    return paths.beh_dir / f"{paths.stem}.lock"


def _temporaries(paths: SessionPaths) -> list[Path]:
    if not paths.beh_dir.is_dir():
        return []
    return sorted(paths.beh_dir.glob(f".{paths.stem}_*.tmp-*"))


def _header_only(path: Path, columns: Sequence[str]) -> bool:
    """True if ``path`` holds no more than (a prefix of) the header line."""
    header = ("\t".join(columns) + "\n").encode()
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return header.startswith(data)


def _sidecar_readable(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def session_state(paths: SessionPaths, columns: Sequence[str]) -> str:
    """:data:`NONE`, :data:`HALF_CREATED` or :data:`CREATED` (see the module doc)."""
    if paths.trials.exists():
        if _sidecar_readable(paths.sidecar) or not _header_only(paths.trials, columns):
            return CREATED
        return HALF_CREATED
    if paths.trial_list.exists() or paths.sidecar.exists() or _temporaries(paths):
        return HALF_CREATED
    return NONE


def remove_half_created(paths: SessionPaths, columns: Sequence[str]) -> list[str]:
    """Remove the files of a half-created session (never a trial record); their names."""
    if session_state(paths, columns) != HALF_CREATED:
        return []
    victims = [*_temporaries(paths), paths.trial_list, paths.sidecar]
    if paths.trials.exists() and _header_only(paths.trials, columns):
        victims.append(paths.trials)
    removed = []
    for path in victims:
        if path.exists():
            path.unlink()
            removed.append(path.name)
    if removed:
        _fsync_dir(paths.beh_dir)
        log.warning("%s: removed the files of a session that stopped while it was being "
                    "created (no trial recorded): %s", paths.beh_dir, ", ".join(removed))
    return removed


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _publish(tmp: Path, final: Path, name: str) -> None:
    """Link the complete ``tmp`` to ``final`` (never replacing it), then drop ``tmp``."""
    _fsync_file(tmp)
    checkpoint(f"create-{name}")
    try:
        os.link(tmp, final)
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        raise LabInputError(f"{final}: appeared while the session was being created; "
                            "resume it with --resume") from None
    tmp.unlink()
    _fsync_dir(final.parent)
    checkpoint(f"created-{name}")


def create_session(paths: SessionPaths, trials: Sequence[PlannedTrial],
                   sidecar: Mapping[str, Any], columns: Sequence[str]) -> TrialFile:
    """Write trial list, sidecar and trial header (commit); the open trial file."""
    paths.beh_dir.mkdir(parents=True, exist_ok=True)
    tag = f"tmp-{os.getpid()}"
    tmp_list = paths.beh_dir / f".{paths.trial_list.name}.{tag}"
    write_trial_list(tmp_list, trials)
    _publish(tmp_list, paths.trial_list, "trial-list")
    tmp_sidecar = paths.beh_dir / f".{paths.sidecar.name}.{tag}"
    with open(tmp_sidecar, "x", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(sidecar), indent=2, default=str) + "\n")
    _publish(tmp_sidecar, paths.sidecar, "sidecar")
    tmp_trials = paths.beh_dir / f".{paths.trials.name}.{tag}"
    with open(tmp_trials, "x", encoding="utf-8") as fh:
        fh.write("\t".join(columns) + "\n")
    _publish(tmp_trials, paths.trials, "trial-file")
    return TrialFile.resume(paths.trials, columns)


def open_for_resume(paths: SessionPaths, sidecar: dict[str, Any], run: dict[str, Any],
                    columns: Sequence[str]) -> tuple[TrialFile, list[dict[str, str]]]:
    """Append this run to the sidecar's ``resumed`` list (atomically) and reopen the
    trial file (a torn last line set aside); the file and its rows."""
    sidecar.setdefault("resumed", []).append(run)
    checkpoint("resume-sidecar")
    write_json_atomic(paths.sidecar, sidecar)
    checkpoint("resumed-sidecar")
    trial_file = TrialFile.resume(paths.trials, columns)
    return trial_file, read_rows(paths.trials)
