"""Fixtures for the results tests: the shared reference data and small hand-made files."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from results.schema import (
    DNN_FILE_COLUMNS,
    HUMAN_FILE_COLUMNS,
    DnnTrialRecord,
    HumanTrialRecord,
)
from results.trial_file import TrialFile
from stimuli.categories import CATEGORIES

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ORIGINAL_HEADER = "subj,session,trial,rt,object_response,category,condition,imagename"
DNN_EXTRA = ("entropy_1000,prob_correct_16,rank_correct_16,entropy_16,highest_prob_16,"
             "object_response_sums,prob_correct_16_sums,rank_correct_16_sums,entropy_16_sums,"
             "highest_prob_16_sums")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (skip when this checkout lacks it)."""
    if not (SHARED_DATA / "geirhos2018" / "human-raw-data").is_dir():
        pytest.skip("reference data ../shared/data not present beside the repository")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def geirhos2018_all(shared_data: Path):
    """All 2018 human and DNN trials, read once per test session (sum rule)."""
    from results.readers import read_trials
    return read_trials([shared_data / "geirhos2018" / "human-raw-data",
                        shared_data / "geirhos2018" / "dnn-raw-data"])


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
                 flagged: bool = False) -> HumanTrialRecord:
    return HumanTrialRecord(
        experiment=experiment, observer=observer, session=session, trial=trial, block=1,
        image=image, sha256=fake_sha(image), category=category, condition=condition,
        response=response, correct=response == category,
        rt=math.nan if response == "na" else rt, image_frames_planned=24,
        image_frames_shown=24, mask_frames_planned=24, mask_frames_shown=24,
        image_duration_ms=200.0, max_frame_interval_ms=8.4, dropped_frames=int(flagged),
        flagged=flagged,
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


@pytest.fixture
def lab_records(tmp_path: Path) -> Path:
    """Our own records of a tiny rotation experiment: two humans and one network on the
    same 8 stimulus files (2 conditions x 4 images)."""
    images = [(f"rotation/{c}/img{i}.png", cat, c)
              for c in ("0", "90") for i, cat in enumerate(("dog", "cat", "car", "bird"))]
    answers = {
        "sub-01": ["dog", "cat", "car", "bird", "dog", "dog", "na", "bird"],
        "sub-02": ["dog", "cat", "car", "oven", "dog", "cat", "car", "knife"],
    }
    for observer, responses in answers.items():
        records = [human_record("rotation", observer, t + 1, img, cat, cond, resp,
                                flagged=(t == 3 and observer == "sub-01"))
                   for t, ((img, cat, cond), resp) in enumerate(zip(images, responses,
                                                                    strict=True))]
        write_human_tsv(tmp_path / observer / "ses-1" / "beh" /
                        f"{observer}_ses-1_task-rotation_beh.tsv", records)
    model = ["dog", "cat", "car", "bird", "dog", "dog", "dog", "dog"]
    write_dnn_tsv(tmp_path / "dnn" / "rotation" / "resnet50_sum_ses-1.tsv",
                  [dnn_record("rotation", "resnet50", t + 1, img, cat, cond, resp)
                   for t, ((img, cat, cond), resp) in enumerate(zip(images, model,
                                                                    strict=True))])
    return tmp_path
