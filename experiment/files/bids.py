"""Observer IDs, BIDS labels and where a session's files go.

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
from typing import Any

from experiment.plan.participants import NA, PARTICIPANT_COLUMNS, LabInfo, Participant
from lab.categories import CATEGORIES, NO_RESPONSE
from lab.errors import LabInputError
from lab.lock import SessionLock
from lab.trial_file import write_json_atomic, write_text_atomic

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


def label_owner(paths: SessionPaths) -> str | None:
    """The observer ID that owns ``sub-<label>`` (None if unclaimed); reads only."""
    path = paths.observer_file
    if not path.is_file():
        return None
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["observer"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise LabInputError(f"{path}: unreadable ({err}); restore it from a backup") from err


def check_label(paths: SessionPaths, observer: str) -> None:
    """Refuse (writing nothing) if a different ID owns ``observer``'s ``sub-<label>``
    folder (``subject_01`` vs ``subject-01``)."""
    owner = label_owner(paths)
    if owner is not None and owner != observer:
        raise LabInputError(
            f"observer ID {observer!r} maps to {paths.subject_dir.name}, which belongs to "
            f"{owner!r}: choose an ID that differs in letters or digits"
        )


def claim_label(paths: SessionPaths, observer: str) -> None:
    """Record ``observer`` as the owner of its ``sub-<label>`` folder (atomically), or
    refuse if a different ID already owns it."""
    check_label(paths, observer)
    if paths.observer_file.is_file():
        return
    paths.subject_dir.mkdir(parents=True, exist_ok=True)
    if not _create(paths.observer_file, json.dumps({"observer": observer}) + "\n"):
        check_label(paths, observer)  # claimed concurrently: check again


# -- dataset-level files -------------------------------------------------------------------
BIDS_VERSION = "1.10.0"
#: Our own files inside the subject folders, which BIDS does not define.
BIDS_IGNORE = ("*_trials.tsv", "*_log.txt", "*.torn", "*.lock", ".participants.lock",
               f"sub-*/{OBSERVER_FILE}")

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
    """Write ``text`` to ``path`` unless it exists (never overwrite); True if written.

    The text goes to a temporary file first and is linked into place complete, so a crash
    never leaves half a file behind."""
    if path.exists():
        return False
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def ensure_dataset_files(data_dir: str | Path, observer: str, software: str,
                         participant: Participant | None = None,
                         lab: LabInfo | None = None) -> None:
    """Make ``data_dir`` a valid BIDS dataset and list ``observer`` in participants.tsv.

    Existing files are never rewritten: ``dataset_description.json``, ``README`` and
    ``.bidsignore`` are created once (``dataset_description.json`` only gains keys of
    ``lab`` it lacks, e.g. ``Authors`` given at a later session); a participant row is
    appended when the observer's ``sub-<label>`` is not listed yet, and an existing row
    only gains values where it has ``n/a``. A participants table written before the
    optional columns existed gets them (``n/a``), with every value kept.
    """
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    lab = lab or LabInfo()
    description = {
        "Name": "Object recognition under image degradations (Geirhos et al. 2018 paradigm)",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "vision-generalisation-lab", "Version": software}],
        "HowToAcknowledge": "Cite Geirhos et al. (2018), NeurIPS 31, arXiv:1808.08750.",
        **lab.description(),
    }
    path = root / "dataset_description.json"
    if not _create(path, json.dumps(description, indent=2) + "\n"):
        _add_missing_keys(path, lab.description())
    _create(root / "README", _README)
    _create(root / ".bidsignore", "\n".join(BIDS_IGNORE) + "\n")
    _ensure_participants_json(root / "participants.json")
    _add_participant(root / "participants.tsv", observer, participant or Participant())


_PARTICIPANT_HEADER = ("participant_id", "observer", *PARTICIPANT_COLUMNS)


def _add_missing_keys(path: Path, values: dict[str, Any]) -> None:
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise LabInputError(f"{path}: unreadable ({err}); restore it from a backup") from err
    missing = {k: v for k, v in values.items() if k not in current}
    if missing:
        write_json_atomic(path, {**current, **missing})


def _ensure_participants_json(path: Path) -> None:
    described = {
        "participant_id": {"Description": "BIDS subject label (observer ID without - and _)"},
        "observer": {"Description": "observer ID as typed at the session start"},
        **PARTICIPANT_COLUMNS,
    }
    if _create(path, json.dumps(described, indent=2) + "\n"):
        return
    _add_missing_keys(path, described)


def _add_participant(path: Path, observer: str, participant: Participant) -> None:
    """List ``observer`` (with what is known of them) in participants.tsv, or fill cells
    of their row that were n/a. One writer at a time (a short lock); the file is rewritten
    whole and replaced atomically (a torn row left by an older version is dropped)."""
    _create(path, "\t".join(_PARTICIPANT_HEADER) + "\n")
    with SessionLock(path.parent / ".participants.lock", wait_s=10):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if text and not text.endswith("\n"):
            lines = lines[:-1]  # a torn last row
        header = lines[0].split("\t")
        rows = [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]
                if line]
        label = f"sub-{subject_label(observer)}"
        cells = participant.cells()
        row = next((r for r in rows if r.get("participant_id") == label), None)
        columns = header + [c for c in _PARTICIPANT_HEADER if c not in header]
        if row is None:
            rows.append({"participant_id": label, "observer": observer, **cells})
        else:
            filled = {k: v for k, v in cells.items()
                      if v != NA and row.get(k, NA) in ("", NA)}
            if not filled and columns == header:
                return
            row.update(filled)
        write_text_atomic(path, "\t".join(columns) + "\n" + "".join(
            "\t".join(r.get(c, NA) or NA for c in columns) + "\n" for r in rows))


def dataset_path(path: str | Path, data_dir: str | Path) -> str:
    """``path`` relative to the dataset ``data_dir`` (POSIX separators) when it lies inside
    it, so that the dataset can move; else absolute."""
    target, root = Path(path).resolve(), Path(data_dir).resolve()
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        return str(target)


#: Levels of the categorical columns of the trial files, for their BIDS descriptions.
COLUMN_LEVELS: dict[str, dict[str, str]] = {
    "category": {c: f"the image shows a {c}" for c in CATEGORIES},
    "response": {**{c: f"the observer clicked the {c} icon" for c in CATEGORIES},
                 NO_RESPONSE: "no answer within the response window"},
    "correct": {"1": "response equals category", "0": "it does not (na counts as wrong)"},
    "flagged": {"1": "a frame was dropped while image or mask was on screen",
                "0": "no frame dropped during image or mask"},
}


def bids_column_entries(descriptions: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Sidecar entries ``{column: {"Description": ...}}`` as BIDS defines them (``rt``
    also gets its unit, categorical columns their ``Levels``)."""
    entries: dict[str, dict[str, Any]] = {name: {"Description": text}
                                          for name, text in descriptions.items()}
    if "rt" in entries:
        entries["rt"]["Units"] = "s"
    for name, levels in COLUMN_LEVELS.items():
        if name in entries:
            entries[name]["Levels"] = levels
    return entries
