"""Observer IDs, BIDS labels and where a session's files go (no PsychoPy).

``<data>/sub-<label>/ses-<n>/beh/sub-<label>_ses-<n>_task-<task>_beh.tsv``: BIDS labels
must be alphanumeric, so ``<label>`` is the observer ID with ``-`` and ``_`` removed (the
original ID stays in the ``observer`` column and in ``sub-<label>/observer.json``), and
``<task>`` is the experiment name with non-alphanumerics removed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from stimuli.errors import LabInputError

_ID = re.compile(r"[A-Za-z0-9_-]+")
OBSERVER_FILE = "observer.json"


def check_observer_id(observer: str) -> str:
    """Return ``observer`` if it is letters, digits, ``-`` and ``_`` with at least one
    letter or digit; otherwise :class:`LabInputError`."""
    if not _ID.fullmatch(observer or "") or not subject_label(observer):
        raise LabInputError(
            f"observer ID {observer!r}: use letters, digits, '-' and '_' only "
            "(e.g. subject-01)"
        )
    return observer


def check_session(session: int | str) -> int:
    """A session number: a positive integer."""
    try:
        value = int(session)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or str(session).strip() != str(value):
        raise LabInputError(f"session {session!r}: use a positive whole number (e.g. 1)")
    return value


def subject_label(observer: str) -> str:
    """BIDS ``sub-`` label: the ID with everything but letters and digits removed."""
    return re.sub(r"[^A-Za-z0-9]", "", observer)


def task_label(experiment: str) -> str:
    """BIDS ``task-`` label, e.g. ``cue-conflict`` -> ``cueconflict``."""
    return re.sub(r"[^A-Za-z0-9]", "", experiment)


@dataclass(frozen=True)
class SessionPaths:
    """Every file of one observer's session."""

    subject_dir: Path
    beh_dir: Path
    stem: str  #: ``sub-<label>_ses-<n>_task-<task>``

    @property
    def trials(self) -> Path:
        return self.beh_dir / f"{self.stem}_beh.tsv"

    @property
    def sidecar(self) -> Path:
        return self.beh_dir / f"{self.stem}_beh.json"

    @property
    def trial_list(self) -> Path:
        return self.beh_dir / f"{self.stem}_trials.tsv"

    @property
    def log(self) -> Path:
        return self.beh_dir / f"{self.stem}_log.txt"

    @property
    def observer_file(self) -> Path:
        return self.subject_dir / OBSERVER_FILE


def session_paths(data_dir: str | Path, observer: str, session: int,
                  experiment: str) -> SessionPaths:
    label = subject_label(check_observer_id(observer))
    subject_dir = Path(data_dir) / f"sub-{label}"
    beh = subject_dir / f"ses-{session}" / "beh"
    stem = f"sub-{label}_ses-{session}_task-{task_label(experiment)}"
    return SessionPaths(subject_dir, beh, stem)


def claim_label(paths: SessionPaths, observer: str) -> None:
    """Record ``observer`` as the owner of its ``sub-<label>`` folder, or refuse if a
    different ID already owns it (``subject_01`` vs ``subject-01``)."""
    path = paths.observer_file
    if path.is_file():
        try:
            owner = json.loads(path.read_text(encoding="utf-8"))["observer"]
        except (OSError, ValueError, KeyError) as err:
            raise LabInputError(f"{path}: unreadable ({err}); restore it from a backup") from err
        if owner != observer:
            raise LabInputError(
                f"observer ID {observer!r} maps to {path.parent.name}, which belongs to "
                f"{owner!r}: choose an ID that differs in letters or digits"
            )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as fh:
            json.dump({"observer": observer}, fh)
            fh.write("\n")
    except FileExistsError:  # claimed concurrently: check again
        claim_label(paths, observer)
