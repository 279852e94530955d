"""Helpers of the results tests (a uniquely named module: every test area has a
conftest, and ``from conftest import`` would depend on collection order)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from lab.categories import CATEGORIES
from lab.schema import (
    DNN_FILE_COLUMNS,
    HUMAN_FILE_COLUMNS,
    DnnTrialRecord,
    HumanTrialRecord,
)
from lab.trial_file import TrialFile

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ORIGINAL_HEADER = "subj,session,trial,rt,object_response,category,condition,imagename"
DNN_EXTRA = ("entropy_1000,prob_correct_16,rank_correct_16,entropy_16,highest_prob_16,"
             "object_response_sums,prob_correct_16_sums,rank_correct_16_sums,entropy_16_sums,"
             "highest_prob_16_sums")


def write_original(folder: Path, name: str, rows: Iterable[Sequence[object]],
                   header: str = ORIGINAL_HEADER) -> Path:
    """An original-format CSV: ``rows`` are (subj, session, trial, rt, response, category,
    condition, imagename[, dnn columns...])."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fake_sha(image: str) -> str:
    return hashlib.sha256(image.encode()).hexdigest()


def human_record(experiment: str, observer: str, trial: int, image: str, category: str,
                 condition: str, response: str, *, session: int = 1, rt: float = 0.8,
                 flagged: bool = False, attempt: int = 1) -> HumanTrialRecord:
    return HumanTrialRecord(
        experiment=experiment, observer=observer, session=session, trial=trial, block=1,
        image=image, sha256=fake_sha(image), category=category, condition=condition,
        response=response, correct=response == category,
        rt=math.nan if response == "na" else rt, attempt=attempt, image_frames_planned=24,
        image_frames_shown=24, mask_frames_planned=24, mask_frames_shown=24,
        image_duration_ms=200.0, mask_duration_ms=200.0, soa_ms=200.0 + 1000 / 120,
        preceding_iti_ms=300.0, preparation_ms=12.0, max_frame_interval_ms=8.4,
        dropped_frames=int(flagged), flagged=flagged,
    )


def dnn_record(experiment: str, model: str, trial: int, image: str, category: str,
               condition: str, response: str, *, rule: str = "sum",
               session: int = 1) -> DnnTrialRecord:
    probs = {c: (0.85 if c == response else 0.01) for c in CATEGORIES}
    return DnnTrialRecord(
        experiment=experiment, observer=model, session=session, trial=trial, block=1,
        image=image, sha256=fake_sha(image), category=category, condition=condition,
        response=response, correct=response == category, rt=math.nan, rule=rule,
        prob_correct_16=probs[category], entropy_16=1.0, entropy_1000=5.0,
        rank_correct_16=1 if response == category else 2, probs_16=probs,
    )


def write_human_tsv(path: Path, records: Iterable[HumanTrialRecord]) -> Path:
    with TrialFile.create(path, HUMAN_FILE_COLUMNS, sidecar={"note": "test"}) as fh:
        for record in records:
            fh.write(record)
    return path


def write_dnn_tsv(path: Path, records: Iterable[DnnTrialRecord]) -> Path:
    with TrialFile.create(path, DNN_FILE_COLUMNS, sidecar={"note": "test"}) as fh:
        for record in records:
            fh.write(record)
    return path
