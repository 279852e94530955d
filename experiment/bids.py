"""Observer IDs, BIDS labels and where a session's files go (no PsychoPy).

``<data>/sub-<label>/ses-<n>/beh/sub-<label>_ses-<n>_task-<task>_beh.tsv``: BIDS labels
must be alphanumeric, so ``<label>`` is the observer ID with ``-`` and ``_`` removed (the
original ID stays in the ``observer`` column and in ``sub-<label>/observer.json``), and
``<task>`` is the experiment name with non-alphanumerics removed.
"""

from __future__ import annotations

import json
import os
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


# -- dataset-level files -------------------------------------------------------------------
BIDS_VERSION = "1.10.0"
#: Our own files inside the subject folders, which BIDS does not define.
BIDS_IGNORE = ("*_trials.tsv", "*_log.txt", "*.torn", f"sub-*/{OBSERVER_FILE}")

_README = """\
# Behavioural data: object recognition under image degradations

Trials recorded with vision-generalisation-lab, which runs the experiments of
Geirhos et al. (2018), "Generalisation in humans and deep neural networks"
(NeurIPS 31, arXiv:1808.08750).

Each `sub-<label>/ses-<n>/beh/*_beh.tsv` holds one row per trial, written the moment
the observer answered; the JSON sidecar beside it describes every column and records the
display, the seed, the stimulus set (manifest sha256) and the software versions.
`*_trials.tsv` (the planned trial order) and `*_log.txt` (the session log) are kept
beside the data and listed in `.bidsignore`.
"""


def _create(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it exists (never overwrite); True if written."""
    try:
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except FileExistsError:
        return False
    return True


def ensure_dataset_files(data_dir: str | Path, observer: str, software: str) -> None:
    """Make ``data_dir`` a valid BIDS dataset and list ``observer`` in participants.tsv.

    Existing files are never rewritten: ``dataset_description.json``, ``README`` and
    ``.bidsignore`` are created once; a participant row is appended only when the
    observer's ``sub-<label>`` is not listed yet.
    """
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    description = {
        "Name": "Object recognition under image degradations (Geirhos et al. 2018 paradigm)",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "vision-generalisation-lab", "Version": software}],
        "HowToAcknowledge": "Cite Geirhos et al. (2018), NeurIPS 31, arXiv:1808.08750.",
    }
    _create(root / "dataset_description.json", json.dumps(description, indent=2) + "\n")
    _create(root / "README", _README)
    _create(root / ".bidsignore", "\n".join(BIDS_IGNORE) + "\n")
    _create(root / "participants.json", json.dumps({
        "participant_id": {"Description": "BIDS subject label (observer ID without - and _)"},
        "observer": {"Description": "observer ID as typed at the session start"},
    }, indent=2) + "\n")
    participants = root / "participants.tsv"
    _create(participants, "participant_id\tobserver\n")
    label = f"sub-{subject_label(observer)}"
    listed = {line.split("\t", 1)[0]
              for line in participants.read_text(encoding="utf-8").splitlines()[1:]}
    if label not in listed:
        with open(participants, "a", encoding="utf-8") as fh:
            fh.write(f"{label}\t{observer}\n")
            fh.flush()
            os.fsync(fh.fileno())


def bids_column_entries(descriptions: dict[str, str]) -> dict[str, dict[str, str]]:
    """Sidecar entries ``{column: {"Description": ...}}`` as BIDS defines them (``rt``
    also gets its unit)."""
    entries = {name: {"Description": text} for name, text in descriptions.items()}
    if "rt" in entries:
        entries["rt"]["Units"] = "s"
    return entries
