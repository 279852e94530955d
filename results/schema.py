"""The trial record: one schema for human observers and networks.

A trial file is a TSV whose columns are :data:`BASE_COLUMNS`, then the human timing
columns (:data:`HUMAN_COLUMNS`) or the DNN scoring columns (:data:`DNN_COLUMNS`). A JSON
sidecar beside it describes every column (:func:`column_descriptions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from stimuli.categories import CATEGORIES, NO_RESPONSE


@dataclass(kw_only=True)
class TrialRecord:
    """The columns every trial has, human or network."""

    experiment: str
    observer: str  #: observer ID (``subject-01``) or model name (``resnet50``)
    session: int
    trial: int  #: 1-based position in the session
    block: int  #: 1-based block
    image: str  #: file name relative to the stimulus set
    sha256: str  #: sha256 of the file shown (from the manifest, verified)
    category: str  #: correct class
    condition: str
    response: str  #: a class name or ``na``
    correct: bool
    rt: float  #: seconds from response-screen onset; NaN for no response and DNNs


@dataclass(kw_only=True)
class HumanTiming:
    """Frame accounting of one human trial (SPEC §3)."""

    image_frames_planned: int
    image_frames_shown: int
    mask_frames_planned: int
    mask_frames_shown: int
    image_duration_ms: float  #: mask onset - image onset, from flip time stamps
    max_frame_interval_ms: float  #: longest frame interval from fixation to response screen
    dropped_frames: int
    flagged: bool  #: a frame was dropped during image or mask


@dataclass(kw_only=True)
class HumanTrialRecord(HumanTiming, TrialRecord):
    """A human trial: the base columns, then the frame accounting."""


@dataclass(kw_only=True)
class DnnScores:
    """What a network adds to a trial (SPEC §4)."""

    rule: str  #: ``sum``, ``mean``, ``max``, or ``16-way`` (a trained 16-way head)
    prob_correct_16: float
    entropy_16: float  #: bits, of the 16-class distribution
    entropy_1000: float  #: bits, of the 1000-class softmax
    rank_correct_16: int  #: 1 = the correct class has the highest score
    probs_16: dict[str, float] = field(default_factory=dict)  #: written as p_<class>


@dataclass(kw_only=True)
class DnnTrialRecord(DnnScores, TrialRecord):
    """A network's trial: the base columns, then the scores."""


BASE_COLUMNS: tuple[str, ...] = (
    "experiment", "observer", "session", "trial", "block", "image", "sha256",
    "category", "condition", "response", "correct", "rt",
)
HUMAN_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(HumanTiming))
PROB_COLUMNS: tuple[str, ...] = tuple(f"p_{c}" for c in CATEGORIES)
DNN_COLUMNS: tuple[str, ...] = (
    "rule", "prob_correct_16", "entropy_16", "entropy_1000", "rank_correct_16",
) + PROB_COLUMNS

HUMAN_FILE_COLUMNS = BASE_COLUMNS + HUMAN_COLUMNS
DNN_FILE_COLUMNS = BASE_COLUMNS + DNN_COLUMNS

_DESCRIPTIONS: dict[str, str] = {
    "experiment": "experiment name (stimuli/experiments/<name>.toml)",
    "observer": "observer ID, or the model name for a network",
    "session": "session number (for networks: the stimulus set / image-set number)",
    "trial": "1-based trial number within the session",
    "block": "1-based block number",
    "image": "stimulus file, relative to the stimulus set folder",
    "sha256": "sha256 of the stimulus file, verified against the manifest",
    "category": "correct class (cue-conflict: the shape class)",
    "condition": "condition code as in the original data (e.g. c10, 0.35, 8-3-10)",
    "response": f"chosen class, or '{NO_RESPONSE}' for no response",
    "correct": "1 if response == category, else 0",
    "rt": "response time in seconds from response-screen onset; n/a for networks",
    "image_frames_planned": "frames the image should have been shown",
    "image_frames_shown": "frames the image was shown (flips counted)",
    "mask_frames_planned": "frames the noise mask should have been shown",
    "mask_frames_shown": "frames the noise mask was shown",
    "image_duration_ms": "measured image duration: mask onset minus image onset (flip stamps)",
    "max_frame_interval_ms": "longest interval between flips during the timed part",
    "dropped_frames": "frame intervals longer than 1.5 nominal frames during the timed part",
    "flagged": "1 if a frame was dropped while image or mask was on screen",
    "rule": "16-class decision rule: sum, mean or max of the mapped softmax probabilities, "
            "or 16-way (the network's own 16-way head)",
    "prob_correct_16": "probability of the correct class among the 16",
    "entropy_16": "entropy (bits) of the 16-class distribution",
    "entropy_1000": "entropy (bits) of the 1000-class softmax",
    "rank_correct_16": "rank of the correct class among the 16 (1 = chosen)",
}
_DESCRIPTIONS.update({f"p_{c}": f"probability of '{c}' under the decision rule"
                      for c in CATEGORIES})


def column_descriptions(columns: tuple[str, ...]) -> dict[str, str]:
    """Column -> description, for the JSON sidecar."""
    return {c: _DESCRIPTIONS[c] for c in columns}


def format_value(value: object) -> str:
    """One TSV cell: booleans as 0/1, NaN and None as ``n/a``, floats to 6 significant
    digits (probabilities keep their precision)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.6g}"
    text = str(value)
    if "\t" in text or "\n" in text:
        raise ValueError(f"tab or newline in a trial value: {text!r}")
    return text


def record_row(record: TrialRecord) -> dict[str, str]:
    """The record as ``column -> cell`` (``probs_16`` spread over ``p_<class>``)."""
    row: dict[str, str] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name == "probs_16":
            for c in CATEGORIES:
                row[f"p_{c}"] = format_value(float(value.get(c, float("nan"))))
        else:
            row[f.name] = format_value(value)
    return row


def columns_of(record: TrialRecord) -> tuple[str, ...]:
    """The file columns for this kind of record."""
    if isinstance(record, HumanTrialRecord):
        return HUMAN_FILE_COLUMNS
    if isinstance(record, DnnTrialRecord):
        return DNN_FILE_COLUMNS
    return BASE_COLUMNS
