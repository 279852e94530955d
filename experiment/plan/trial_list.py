"""The session's trial list: a pure function of manifest + design + seed.

STYLE: "the design is data; running it is a loop". :func:`build_trial_list` orders the
manifest entries with a recorded seed (balanced, each source image once:
:mod:`experiment.plan.planning`), cuts them into blocks and gives every trial its
mask seed (and, for a simulated observer, its planned click and click time, from a policy
of :mod:`experiment.plan.policies`). The list is saved beside
the data before the first flip (:func:`write_trial_list`); resuming walks it on from the
first trial without a record (:func:`remaining_schedule`).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from experiment.plan.planning import balanced_order, refuse_other_experiment, too_few_message
from experiment.plan.policies import (
    ConstantAccuracy,
    ObserverPolicy,
    simulated_choice,  # noqa: F401 (its former home; tests and callers import it here)
)
from lab.accounting import effective_rows
from lab.categories import CATEGORIES
from lab.design import ExperimentDesign
from lab.errors import LabInputError
from lab.manifest import ManifestEntry

#: How many times a flagged trial is re-run (at the end of its block).
MAX_RERUNS = 1


@dataclass(frozen=True)
class PlannedTrial:
    """One row of the trial list."""

    trial: int  #: 1-based position in the session
    block: int  #: 1-based block
    image: str  #: file relative to the stimulus set
    sha256: str
    category: str
    condition: str
    mask_seed: int  #: seed of this trial's 1/f mask
    simulated_response: str = ""  #: simulated observer's planned click ('' if none planned)
    simulated_rt: float | None = None  #: its planned click time (s); None: the default


TRIAL_LIST_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(PlannedTrial))
#: Trial lists written before ``simulated_rt`` existed are still read (and resumed).
_OLD_COLUMNS = TRIAL_LIST_COLUMNS[:-1]


def _child_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed derived from ``seed`` and ``keys`` (stable across numpy versions)."""
    state = np.random.SeedSequence([seed, *keys]).generate_state(1, dtype=np.uint64)
    return int(state[0]) & ((1 << 63) - 1)


def _policy(policy: ObserverPolicy | None, accuracy: float | None) -> ObserverPolicy | None:
    if policy is not None and accuracy is not None:
        raise ValueError("give a policy or an accuracy, not both")
    return ConstantAccuracy(accuracy) if accuracy is not None else policy


def build_trial_list(
    entries: Sequence[ManifestEntry],
    design: ExperimentDesign,
    seed: int,
    *,
    n_trials: int | None = None,
    block_size: int | None = None,
    simulate_accuracy: float | None = None,
    policy: ObserverPolicy | None = None,
    per_condition: int | None = None,
    exclude_sources: Collection[str] = (),
    seen_in_sessions: Sequence[int] = (),
    distinct_sources: bool = True,
) -> list[PlannedTrial]:
    """Plan the session: ``entries`` in a balanced random order (seeded), each source
    image at most once and none of ``exclude_sources`` (those an observer saw in the
    sessions ``seen_in_sessions``), see :func:`experiment.plan.planning.balanced_order`.

    ``n_trials`` keeps the first N of that order, balanced over conditions and classes
    (default: every entry); a set without enough unseen source images is refused with
    the numbers. ``per_condition`` instead keeps, in that order, ``per_condition / 16``
    trials of every class in every condition;
    ``block_size`` defaults to the design's. With a ``policy`` (or ``simulate_accuracy``,
    short for :class:`~experiment.plan.policies.ConstantAccuracy`) each trial gets the simulated
    observer's planned click and click time, drawn from its own seeded generator.
    """
    if not entries:
        raise LabInputError("the stimulus set has no images; rebuild it")
    refuse_other_experiment(entries, design.name)
    block_size = design.block_size if block_size is None else block_size
    if block_size < 1:
        raise LabInputError(f"block size must be at least 1, not {block_size}")
    if n_trials is not None and not 1 <= n_trials <= len(entries):
        raise LabInputError(
            f"--trials {n_trials}: the stimulus set has {len(entries)} images; "
            f"use 1 to {len(entries)}"
        )
    policy = _policy(policy, simulate_accuracy)
    rng = np.random.default_rng(_child_seed(seed, 0))
    if n_trials is not None and per_condition is not None:
        raise LabInputError("--trials and --per-condition: give one of them")
    order = balanced_order(entries, rng, exclude_sources,
                           distinct_sources=distinct_sources)
    if per_condition is not None:
        order = _balanced(entries, order, per_condition)
    else:
        needed = len(entries) if n_trials is None else n_trials
        if len(order) < needed:
            raise LabInputError(too_few_message(
                needed, len(order), entries, exclude_sources, seen_in_sessions,
                "the stimulus set" if n_trials is None else f"--trials {n_trials}"))
        order = order[:needed]
    trials = []
    for position, entry in enumerate(order, start=1):
        planned, planned_rt = "", None
        if policy is not None:
            sim_rng = np.random.default_rng(_child_seed(seed, 2, position))
            answer = policy.answer(entry.category, entry.condition, sim_rng)
            planned, planned_rt = answer.response, answer.rt_s
        trials.append(PlannedTrial(
            trial=position,
            block=(position - 1) // block_size + 1,
            image=entry.file,
            sha256=entry.sha256,
            category=entry.category,
            condition=entry.condition,
            mask_seed=_child_seed(seed, 1, position),
            simulated_response=planned,
            simulated_rt=planned_rt,
        ))
    return trials


def _balanced(entries: Sequence[ManifestEntry], order: Sequence[ManifestEntry],
              per_condition: int) -> list[ManifestEntry]:
    """The first ``per_condition / 16`` entries of every (condition, class) in ``order``
    (which holds no source image twice)."""
    if per_condition < 1 or per_condition % len(CATEGORIES):
        raise LabInputError(f"--per-condition {per_condition}: use a multiple of "
                            f"{len(CATEGORIES)} (one trial per class is {len(CATEGORIES)})")
    quota = per_condition // len(CATEGORIES)
    cells: dict[tuple[str, str], int] = {
        (e.condition, c): 0 for e in entries for c in CATEGORIES}
    kept = []
    for entry in order:
        key = (entry.condition, entry.category)
        if cells[key] < quota:
            cells[key] += 1
            kept.append(entry)
    short = sorted(k for k, n in cells.items() if n < quota)
    if short:
        condition, category = short[0]
        available = sum(1 for e in order if (e.condition, e.category) == short[0])
        raise LabInputError(
            f"--per-condition {per_condition}: condition {condition!r} has "
            f"{available} {category} image(s), {quota} needed; lower --per-condition or "
            "build the set with more")
    return kept


def practice_list(
    entries: Sequence[ManifestEntry], seed: int, n: int, *,
    simulate_accuracy: float | None = None,
    policy: ObserverPolicy | None = None,
) -> list[PlannedTrial]:
    """``n`` practice trials drawn (with replacement past the set size) from ``entries``.

    Practice uses its own generator, so it never changes the main trial order.
    """
    policy = _policy(policy, simulate_accuracy)
    rng = np.random.default_rng(_child_seed(seed, 3))
    picks = rng.choice(len(entries), size=n, replace=n > len(entries))
    out = []
    for i, index in enumerate(picks, start=1):
        entry = entries[int(index)]
        answer = None
        if policy is not None:
            answer = policy.answer(entry.category, entry.condition,
                                   np.random.default_rng(_child_seed(seed, 4, i)))
        out.append(PlannedTrial(i, 0, entry.file, entry.sha256, entry.category,
                                entry.condition, _child_seed(seed, 5, i),
                                answer.response if answer else "",
                                answer.rt_s if answer else None))
    return out


def write_trial_list(path: str | Path, trials: Iterable[PlannedTrial]) -> None:
    """Write the list as TSV; refuses an existing file (never overwrite)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise LabInputError(f"{path}: already exists; resume with --resume")
    with open(path, "x", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=TRIAL_LIST_COLUMNS, delimiter="\t",
                                lineterminator="\n")
        writer.writeheader()
        for t in trials:
            row = asdict(t)
            row["simulated_rt"] = "" if t.simulated_rt is None else repr(t.simulated_rt)
            writer.writerow(row)


def read_trial_list(path: str | Path) -> list[PlannedTrial]:
    """Read a list written by :func:`write_trial_list`."""
    path = Path(path)
    if not path.is_file():
        raise LabInputError(f"{path}: no trial list to resume; start without --resume")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if tuple(reader.fieldnames or ()) not in (TRIAL_LIST_COLUMNS, _OLD_COLUMNS):
            raise LabInputError(f"{path}: not a trial list of this program")
        return [PlannedTrial(
            trial=int(r["trial"]), block=int(r["block"]), image=r["image"],
            sha256=r["sha256"], category=r["category"], condition=r["condition"],
            mask_seed=int(r["mask_seed"]), simulated_response=r["simulated_response"] or "",
            simulated_rt=float(r["simulated_rt"]) if r.get("simulated_rt") else None,
        ) for r in reader]


@dataclass(frozen=True)
class ScheduledTrial:
    """A trial to run: the planned trial, whether this run is a re-run, and the
    ``attempt`` its record will carry."""

    planned: PlannedTrial
    rerun: bool = False
    attempt: int = 1


def reruns_due(
    block_trials: Sequence[PlannedTrial], rows: Sequence[Mapping[str, str]]
) -> list[ScheduledTrial]:
    """Re-runs of a block's trials whose effective record (:mod:`lab.accounting`) is
    flagged and that have re-runs left."""
    effective = effective_rows(rows)
    due = []
    for t in block_trials:
        last = effective.get(t.trial)
        if last is not None and last.flagged and last.attempt <= MAX_RERUNS:
            due.append(ScheduledTrial(t, rerun=True, attempt=last.attempt + 1))
    return due


def remaining_schedule(
    trials: Sequence[PlannedTrial], rows: Sequence[Mapping[str, str]], block: int
) -> list[ScheduledTrial]:
    """What is left to run of ``block`` given the recorded ``rows``.

    The block's trials without any record come first, in list order, then re-runs of its
    flagged trials (a re-run that was recorded is not repeated). Pure: the session calls
    it at the start of every block and again for the re-runs, so a resumed session does
    exactly what the interrupted one had left.
    """
    done = effective_rows(rows)
    block_trials = [t for t in trials if t.block == block]
    todo = [ScheduledTrial(t) for t in block_trials if t.trial not in done]
    if todo:
        return todo
    return reruns_due(block_trials, rows)


def blocks_of(trials: Sequence[PlannedTrial]) -> list[int]:
    """The block numbers in order."""
    return sorted({t.block for t in trials})


def work_left(trials: Sequence[PlannedTrial], rows: Sequence[Mapping[str, str]],
              rerun_flagged: bool) -> bool:
    """True while a planned trial has no record, or (with ``rerun_flagged``) a flagged
    trial still awaits its re-run."""
    for block in blocks_of(trials):
        left = remaining_schedule(trials, rows, block)
        if any(not item.rerun for item in left) or (left and rerun_flagged):
            return True
    return False
