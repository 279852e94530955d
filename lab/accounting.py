"""Trial accounting: which records of a trial file count. One rule, used by the booth, the
session summary and every analysis.

**The rule.** A planned trial may be recorded more than once: a trial flagged for a
dropped frame during image or mask is re-run at the end of its block with the same trial
number, and each showing is a record with its ``attempt`` (1, 2, ...). The *effective*
record of a trial is its last attempt (the highest ``attempt``; between equal attempts the
later row). Every other record of that trial is *superseded*: kept in the file, set aside
by the analysis and counted per observer.

Files written before the ``attempt`` column existed (and network files, which have none)
get it from row order: the n-th record of a trial number in a file is attempt n. A torn
last line (a write cut by a crash) is no record at all (:func:`lab.trial_file.read_rows`
and :func:`lab.readers.read_trials` skip it).

The original data formats (the 2018 CSVs, model-vs-human) have no re-runs; readers leave
them as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab.schema import ATTEMPT_COLUMN

SUPERSEDED_COLUMN = "superseded"  #: per effective record: records of its trial set aside


@dataclass(frozen=True)
class Selection:
    """The effective records among ``n`` rows (arrays aligned with each other, in row
    order)."""

    rows: np.ndarray  #: index of each effective record
    attempt: np.ndarray  #: its attempt (recorded, or its rank in row order)
    superseded: np.ndarray  #: records of the same trial set aside


def select_last_attempts(keys: Sequence[int] | np.ndarray,
                         attempts: Sequence[float] | np.ndarray | None = None) -> Selection:
    """**The accounting rule**, on one integer key per row (one key per planned trial:
    the trial number within one file) and the recorded attempts (NaN where not recorded,
    then the row's rank among the rows of its key, in row order, stands in)."""
    keys = np.asarray(keys, dtype=np.int64)
    n = len(keys)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Selection(empty, empty, empty)
    position = np.arange(n)
    by_key = np.lexsort((position, keys))
    sorted_keys = keys[by_key]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    first = np.maximum.accumulate(np.where(starts, position, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[by_key] = position - first + 1
    attempt = rank.astype(float)
    if attempts is not None:
        recorded = np.asarray(attempts, dtype=float)
        attempt = np.where(np.isnan(recorded), attempt, recorded)
    order = np.lexsort((position, attempt, keys))
    ordered_keys = keys[order]
    last = np.r_[ordered_keys[1:] != ordered_keys[:-1], True]
    group_starts = np.flatnonzero(np.r_[True, ordered_keys[1:] != ordered_keys[:-1]])
    sizes = np.diff(np.r_[group_starts, n])
    kept = order[last]
    in_file_order = np.argsort(kept, kind="stable")
    kept = kept[in_file_order]
    return Selection(kept, attempt[kept].astype(np.int64), (sizes - 1)[in_file_order])


# -- the booth's and the summary's view: rows of one trial file as dicts ------------------
@dataclass(frozen=True)
class EffectiveRecord:
    """A planned trial's record that counts."""

    trial: int
    row: Mapping[str, str]
    attempt: int
    superseded: int  #: earlier records of this trial set aside

    @property
    def flagged(self) -> bool:
        return self.row.get("flagged") == "1"

    @property
    def correct(self) -> bool:
        return self.row.get("correct") == "1"


def _attempt_cell(row: Mapping[str, str]) -> float:
    try:
        return float(row[ATTEMPT_COLUMN])
    except (KeyError, TypeError, ValueError):  # an older file, or n/a
        return math.nan


def effective_rows(rows: Sequence[Mapping[str, str]]) -> dict[int, EffectiveRecord]:
    """Trial number -> its effective record, for the rows of one trial file (as read by
    :func:`lab.trial_file.read_rows`), in file order."""
    trials = [int(r["trial"]) for r in rows]
    chosen = select_last_attempts(trials, [_attempt_cell(r) for r in rows])
    return {trials[i]: EffectiveRecord(trials[i], rows[i], int(a), int(s))
            for i, a, s in zip(chosen.rows, chosen.attempt, chosen.superseded, strict=True)}


def next_attempt(rows: Sequence[Mapping[str, str]], trial: int) -> int:
    """The ``attempt`` of the next record of ``trial`` (1 if it has none)."""
    found = effective_rows(rows).get(trial)
    return 1 if found is None else found.attempt + 1


# -- the analysis view: a record table -------------------------------------------------------
def effective_table(table: pd.DataFrame, *, lab: pd.Series | np.ndarray) -> pd.DataFrame:
    """The effective trials of a record table: where ``lab`` is true (our own trial
    files) only the last attempt of each trial of each file (and decision rule) is kept;
    the other rows are left as they are. Adds ``attempt`` (NaN where not recorded and not
    ours) and ``superseded`` (records of that trial set aside)."""
    lab = np.asarray(lab, dtype=bool)
    attempt = np.full(len(table), np.nan)
    superseded = np.zeros(len(table), dtype=np.int64)
    keep = ~lab
    if lab.any():
        ours = table[lab]
        keys = ["file", "trial"] + (["rule"] if "rule" in ours.columns else [])
        codes = ours.groupby(keys, sort=False, observed=True, dropna=False).ngroup()
        recorded = (pd.to_numeric(ours[ATTEMPT_COLUMN], errors="coerce").to_numpy(float)
                    if ATTEMPT_COLUMN in ours.columns else None)
        chosen = select_last_attempts(codes.to_numpy(), recorded)
        lab_rows = np.flatnonzero(lab)[chosen.rows]
        keep[lab_rows] = True
        attempt[lab_rows] = chosen.attempt
        superseded[lab_rows] = chosen.superseded
    out = table.assign(**{ATTEMPT_COLUMN: attempt, SUPERSEDED_COLUMN: superseded})
    return out[keep].reset_index(drop=True)


def superseded_by_observer(table: pd.DataFrame) -> pd.DataFrame:
    """Superseded records set aside per experiment and observer (columns ``experiment,
    observer, observer_type, superseded``; only observers with any)."""
    columns = ["experiment", "observer", "observer_type", SUPERSEDED_COLUMN]
    if SUPERSEDED_COLUMN not in table.columns:
        return pd.DataFrame(columns=columns)
    counts = table.groupby(columns[:3], sort=True, observed=True)[SUPERSEDED_COLUMN].sum()
    counts = counts[counts > 0].astype(int)
    return counts.reset_index()[columns]
