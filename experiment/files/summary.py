"""``run_experiment.py summary``: each observer's sessions so far, read from the data
folder and never written to.

A session is found by its trial list or trial file under
``<data>/sub-*/ses-*/beh/``. Trials done are the planned trial numbers with a record;
accuracy counts the effective record of each trial (the last attempt; a flagged attempt
that was re-run is superseded: :mod:`lab.accounting`, the rule every analysis uses);
the state follows the booth's own schedule
(:func:`experiment.plan.trial_list.remaining_schedule`): complete when nothing is left to run,
otherwise resumable with ``--resume``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiment.files.bids import OBSERVER_FILE, SessionPaths
from experiment.files.creation import HALF_CREATED, lock_path, session_state
from experiment.plan.trial_list import read_trial_list, work_left
from lab.accounting import effective_rows
from lab.errors import LabInputError
from lab.lock import holder
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import read_rows

_STEM = re.compile(r"(sub-[A-Za-z0-9]+_ses-(\d+)_task-[A-Za-z0-9]+)_(?:beh|trials)\.tsv$")

COMPLETE = "complete"
RESUMABLE = "resumable (--resume)"
NOT_STARTED = "not started (run it again without --resume)"


@dataclass
class SessionSummary:
    observer: str
    subject: str  #: ``sub-<label>``
    experiment: str
    session: int
    done: int  #: planned trials with a record
    planned: int | None
    records: int  #: rows in the trial file (re-runs included)
    correct: int  #: among the effective record of each done trial
    flagged: int  #: records with flagged=1
    started: str | None
    runs: int  #: 1 + the number of times it was resumed
    last_trial: str | None  #: time of the trial file's last write
    state: str
    folder: Path
    problem: str | None = None
    superseded: int = 0  #: records set aside by the accounting rule

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.done if self.done else None


def summarise(data: str | Path, observer: str | None = None) -> list[SessionSummary]:
    """Every session under ``data`` (of ``observer`` if given), by observer then
    experiment and session; :class:`LabInputError` if there is nothing to look at."""
    data = Path(data)
    if not data.is_dir():
        raise LabInputError(f"data folder {data} does not exist; give the folder the "
                            "sessions were run with (--data)")
    out: list[SessionSummary] = []
    owners: dict[str, str] = {}
    for subject in sorted(p for p in data.glob("sub-*") if p.is_dir()):
        owner = _owner(subject)
        owners[subject.name] = owner
        if observer is not None and observer not in (owner, subject.name[4:]):
            continue
        for beh in sorted(subject.glob("ses-*/beh")):
            stems = sorted({m.group(1) for p in beh.iterdir()
                            if (m := _STEM.match(p.name))})
            out += [_session(beh, stem, owner, subject.name) for stem in stems]
    if observer is not None and not out:
        known = ", ".join(sorted(set(owners.values()))) or "none"
        raise LabInputError(f"no sessions of observer {observer!r} in {data}; observers "
                            f"there: {known}")
    out.sort(key=lambda s: (s.observer, s.experiment, s.session))
    return out


def _owner(subject: Path) -> str:
    try:
        return str(json.loads((subject / OBSERVER_FILE).read_text(encoding="utf-8"))
                   ["observer"])
    except (OSError, ValueError, KeyError, TypeError):
        return subject.name[4:]


def _session(beh: Path, stem: str, owner: str, subject: str) -> SessionSummary:
    trials_path = beh / f"{stem}_beh.tsv"
    list_path = beh / f"{stem}_trials.tsv"
    sidecar_path = beh / f"{stem}_beh.json"
    session = int(stem.split("_ses-")[1].split("_")[0])
    s = SessionSummary(observer=owner, subject=subject, experiment=stem.split("_task-")[1],
                       session=session, done=0, planned=None, records=0, correct=0,
                       flagged=0, started=None, runs=0, last_trial=None, state=NOT_STARTED,
                       folder=beh)
    problems: list[str] = []
    sidecar: dict[str, Any] = {}
    if sidecar_path.is_file():
        try:
            loaded = json.loads(sidecar_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            problems.append(f"{sidecar_path.name} unreadable ({err})")
        else:
            if isinstance(loaded, dict):
                sidecar = loaded
            else:
                problems.append(f"{sidecar_path.name} is not a JSON object")
    s.experiment = str(sidecar.get("experiment", s.experiment))
    s.started = sidecar.get("started")
    s.runs = 1 + len(sidecar.get("resumed", [])) if sidecar else 0
    trials = []
    try:
        trials = read_trial_list(list_path) if list_path.is_file() else []
    except (OSError, ValueError, KeyError, TypeError, LabInputError) as err:
        problems.append(f"{list_path.name} unreadable ({err})")
    if trials:
        s.planned = len(trials)
    elif isinstance(sidecar.get("n_trials"), int):
        s.planned = sidecar["n_trials"]
    rows: list[dict[str, str]] = []
    if trials_path.is_file():
        try:
            rows = read_rows(trials_path)
        except (OSError, ValueError) as err:
            problems.append(f"{trials_path.name} unreadable ({err})")
        s.last_trial = (_mtime(trials_path) if rows else None)
        s.records = len(rows)
        s.flagged = sum(r.get("flagged") == "1" for r in rows)
        try:
            last = effective_rows(rows)
        except (KeyError, ValueError, TypeError):
            last = {}  # reported below, where the state is worked out
        s.done = len(last)
        s.correct = sum(e.correct for e in last.values())
        s.superseded = sum(e.superseded for e in last.values())
        if trials:
            rerun = bool(sidecar.get("rerun_flagged", True))
            try:
                s.state = _state(trials, rows, rerun)
            except (KeyError, ValueError, TypeError) as err:
                problems.append(f"{trials_path.name}: not a trial file of this program "
                                f"({err!r})")
                s.state = RESUMABLE
        else:
            s.state = RESUMABLE if s.planned is None or s.done < s.planned else COMPLETE
    paths = SessionPaths(subject_dir=beh.parent.parent, beh_dir=beh, stem=stem)
    if session_state(paths, HUMAN_FILE_COLUMNS) == HALF_CREATED:
        s.state = NOT_STARTED  # stopped while being created: the booth starts it anew
    running = holder(lock_path(paths))
    if running is not None:
        s.state = f"running (process {running.get('pid')} on {running.get('host')})"
    if problems:
        s.problem = "; ".join(problems)
    return s


def _state(trials: list[Any], rows: list[dict[str, str]], rerun_flagged: bool) -> str:
    return RESUMABLE if work_left(trials, rows, rerun_flagged) else COMPLETE


def _mtime(path: Path) -> str:
    stamp = _dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return stamp.isoformat(timespec="seconds")


def _time(text: str | None) -> str:
    """``2026-11-22T21:10:05+00:00`` -> ``2026-11-22 21:10``."""
    return "-" if not text else text[:16].replace("T", " ")


def format_summary(sessions: list[SessionSummary], data: Path) -> list[str]:
    """Lines for the terminal: one block per observer, one line per session."""
    if not sessions:
        return [f"no sessions in {data}"]
    lines: list[str] = []
    header = (f"  {'experiment':<20} {'ses':>3} {'trials':>11} {'accuracy':>8} "
              f"{'flagged':>7}  {'started':<16}  {'last trial':<16}  state")
    by_observer: dict[str, list[SessionSummary]] = {}
    for s in sessions:
        by_observer.setdefault(s.observer, []).append(s)
    for observer, group in by_observer.items():
        done = sum(s.done for s in group)
        complete = sum(s.state == COMPLETE for s in group)
        if lines:
            lines.append("")
        lines.append(f"observer {observer} ({group[0].subject}): {len(group)} session"
                     f"{'s' if len(group) != 1 else ''}, {complete} complete, "
                     f"{done} trials done")
        lines.append(header)
        for s in group:
            planned = "?" if s.planned is None else str(s.planned)
            acc = "-" if s.accuracy is None else f"{100 * s.accuracy:.1f}%"
            lines.append(
                f"  {s.experiment:<20} {s.session:>3} {f'{s.done}/{planned}':>11} "
                f"{acc:>8} {s.flagged:>7}  {_time(s.started):<16}  "
                f"{_time(s.last_trial):<16}  {s.state}"
                f"{f', {s.runs} runs' if s.runs > 1 else ''}")
            if s.problem:
                lines.append(f"      problem: {s.problem}")
    return lines

