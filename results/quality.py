"""Data quality per observer and the provenance of the stimuli humans and networks saw.

Quality (humans): trials, sessions, share of ``na`` (no response within the response
window), response times (median and 10th/90th percentile of answered trials, and answers
faster than 200 ms, which are unlikely to be considered responses), and, for our own
records with frame accounting, trials flagged for a dropped frame during image or mask and
the number of dropped frames. Like every analysis it counts the effective trials (the last
attempt of each trial, :mod:`lab.accounting`); ``superseded_records`` says how many
earlier attempts (flagged trials that were re-run) were set aside.

Provenance: per experiment, how many distinct stimulus files humans and networks saw and
how many of them both saw. Our records identify a file by its sha256 (the manifest's
proof of identity); the original CSVs only by image name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.accounting import SUPERSEDED_COLUMN
from lab.categories import NO_RESPONSE
from lab.readers import DNN, HUMAN

FAST_RT_S = 0.2  #: answers faster than this are counted as suspiciously fast

QUALITY_COLUMNS: tuple[str, ...] = (
    "experiment", "observer", "source_format", "sessions", "n_trials", "na_rate",
    "accuracy", "rt_median", "rt_p10", "rt_p90", "fast_answers", "flagged_trials",
    "dropped_frames", "superseded_records",
)
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "experiment", "identified_by", "human_stimuli", "dnn_stimuli", "shared", "human_only",
    "dnn_only",
)


def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per human observer and experiment (columns :data:`QUALITY_COLUMNS`);
    ``flagged_trials``/``dropped_frames`` are NaN where the files lack those columns.
    ``flagged_trials`` counts effective trials still flagged (the re-run dropped a frame
    too, or re-runs were off); ``superseded_records`` the attempts set aside."""
    humans = table[table["observer_type"] == HUMAN]
    if humans.empty:
        return pd.DataFrame(columns=list(QUALITY_COLUMNS))
    answered_rt = humans["rt"].where(humans["response"] != NO_RESPONSE)
    work = humans.assign(
        _na=(humans["response"] == NO_RESPONSE).astype(float),
        _rt=answered_rt,
        _fast=(answered_rt < FAST_RT_S).astype(int),
        _flagged=humans["flagged"] if "flagged" in humans.columns else np.nan,
        _dropped=humans["dropped_frames"] if "dropped_frames" in humans.columns else np.nan,
        _superseded=(humans[SUPERSEDED_COLUMN] if SUPERSEDED_COLUMN in humans.columns
                     else 0),
    )
    keys = ["experiment", "observer", "source_format"]
    grouped = work.groupby(keys, sort=True)
    out = grouped.agg(
        sessions=("session", "nunique"), n_trials=("trial", "size"), na_rate=("_na", "mean"),
        accuracy=("correct", "mean"), rt_median=("_rt", "median"),
        fast_answers=("_fast", "sum"),
        flagged_trials=("_flagged", lambda v: v.sum() if v.notna().any() else np.nan),
        dropped_frames=("_dropped", lambda v: v.sum() if v.notna().any() else np.nan),
        superseded_records=("_superseded", "sum"),
    )
    out["rt_p10"] = grouped["_rt"].quantile(0.1)
    out["rt_p90"] = grouped["_rt"].quantile(0.9)
    return out.reset_index()[list(QUALITY_COLUMNS)]


def provenance_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per experiment: distinct stimulus files seen by humans, by networks, and by both
    (columns :data:`PROVENANCE_COLUMNS`), plus a final ``all`` row."""
    rows = []
    table = table[["experiment", "sha256", "image_key", "observer_type"]]  # rows taken below
    for experiment, trials in table.groupby("experiment", sort=True):
        rows.append(_provenance_row(experiment, trials))
    if rows:
        rows.append(_provenance_row("all", table))
    return pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS))


def _provenance_row(experiment: str, trials: pd.DataFrame) -> tuple:
    by_sha = trials["sha256"] != ""
    kinds = []
    if by_sha.any():
        kinds.append("sha256")
    if (~by_sha).any():
        kinds.append("image name")
    keys = trials["image_key"]
    # distinct keys as indexes (hashed in C; a Python set of 343k keys is not)
    human = pd.Index(keys[trials["observer_type"] == HUMAN].unique())
    dnn = pd.Index(keys[trials["observer_type"] == DNN].unique())
    shared = len(human.intersection(dnn))
    return (experiment, " + ".join(kinds), len(human), len(dnn), shared,
            len(human) - shared, len(dnn) - shared)


def shared_sha256(table: pd.DataFrame) -> set[str]:
    """sha256s of the stimulus files that both humans and networks saw."""
    known = table[table["sha256"] != ""]
    human = set(known.loc[known["observer_type"] == HUMAN, "sha256"])
    dnn = set(known.loc[known["observer_type"] == DNN, "sha256"])
    return human & dnn


def sources_table(table: pd.DataFrame) -> pd.DataFrame:
    """Trials and files read per data format and observer type."""
    return table.groupby(["source_format", "observer_type"]).agg(
        files=("file", "nunique"), observers=("observer", "nunique"),
        trials=("trial", "size")).reset_index()
