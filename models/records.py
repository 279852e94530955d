"""Network answers as trial records (torch-free): output paths and ``DnnTrialRecord`` rows.

A network's trial file has the human columns (``rt`` is ``n/a``) plus the scores
(:data:`lab.schema.DNN_FILE_COLUMNS`): ``observer`` is the model name, ``block`` 1,
``trial`` the 1-based position of the image among its experiment's files in manifest order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lab.categories import CATEGORIES
from lab.errors import LabInputError
from lab.manifest import ManifestEntry
from lab.schema import DnnTrialRecord
from models.decision import Decisions, rank_of

_SAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def output_path(out_dir: str | Path, experiment: str, model: str, rule: str,
                session: int) -> Path:
    """``<out>/<experiment>/<observer>_<rule>_ses-<n>.tsv`` (``model``: the observer name,
    unique per weights, :func:`models.weights.weights_identity`)."""
    model_part = _SAFE.sub("-", model)
    return Path(out_dir) / experiment / f"{model_part}_{rule}_ses-{session}.tsv"


def correct_indices(entries: Sequence[ManifestEntry]) -> np.ndarray:
    """Column (in :data:`CATEGORIES`) of each entry's correct class."""
    try:
        return np.array([CATEGORIES.index(e.category) for e in entries], dtype=np.intp)
    except ValueError:
        bad = next(e for e in entries if e.category not in CATEGORIES)
        raise LabInputError(
            f"{bad.file}: category {bad.category!r} in the manifest is not one of the 16 "
            "classes; rebuild the set"
        ) from None


def make_records(
    entries: Sequence[ManifestEntry],
    trials: Sequence[int],
    decisions: Decisions,
    *,
    model: str,
    session: int,
) -> list[DnnTrialRecord]:
    """One record per entry (same order as ``decisions``)."""
    correct = correct_indices(entries)
    chosen = decisions.response_index
    ranks = rank_of(decisions.probs_16, correct)
    entropy_16 = decisions.entropy_16
    records = []
    for i, entry in enumerate(entries):
        p = decisions.probs_16[i]
        records.append(DnnTrialRecord(
            experiment=entry.experiment, observer=model, session=session,
            trial=int(trials[i]), block=1, image=entry.file, sha256=entry.sha256,
            category=entry.category, condition=entry.condition,
            response=CATEGORIES[chosen[i]], correct=bool(chosen[i] == correct[i]),
            rt=math.nan, rule=decisions.rule,
            prob_correct_16=float(p[correct[i]]), entropy_16=float(entropy_16[i]),
            entropy_1000=float(decisions.entropy_1000[i]), rank_correct_16=int(ranks[i]),
            probs_16={c: float(p[j]) for j, c in enumerate(CATEGORIES)},
        ))
    return records
