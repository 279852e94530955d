"""The trial record: one schema for human observers and networks.

A trial file is a TSV whose columns are :data:`BASE_COLUMNS`, then the human columns
(:data:`HUMAN_COLUMNS`: ``attempt`` and the timing) or the DNN scoring columns
(:data:`DNN_COLUMNS`). The columns are the fields of the record dataclasses, in order;
each field carries its description (field metadata), and the JSON sidecar beside a file
describes every column from them (:func:`column_descriptions`). Which records count is
:mod:`lab.accounting`; where a file came from, :mod:`lab.provenance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from lab.categories import CATEGORIES, NO_RESPONSE

DESCRIPTION = "description"  #: field-metadata key of a column's description


def _column(description: str, **kwargs: object) -> Any:
    """A record field with its column description (written to the JSON sidecar)."""
    return field(metadata={DESCRIPTION: description}, **kwargs)  # type: ignore[call-overload]


@dataclass(kw_only=True)
class TrialRecord:
    """The columns every trial has, human or network."""

    experiment: str = _column("experiment name (stimuli/experiments/<name>.toml)")
    observer: str = _column("observer ID, or the model name for a network")
    session: int = _column("session number (for networks: the stimulus set / image-set "
                           "number)")
    trial: int = _column("1-based trial number within the session (the planned trial; a "
                         "re-run keeps its number)")
    block: int = _column("1-based block number")
    image: str = _column("stimulus file, relative to the stimulus set folder")
    sha256: str = _column("sha256 of the stimulus file, verified against the manifest")
    category: str = _column("correct class (cue-conflict: the shape class)")
    condition: str = _column("condition code as in the original data (e.g. c10, 0.35, "
                             "8-3-10)")
    response: str = _column(f"chosen class, or '{NO_RESPONSE}' for no response")
    correct: bool = _column("1 if response == category, else 0")
    rt: float = _column("response time in seconds from response-screen onset; n/a for no "
                        "response and for networks")


@dataclass(kw_only=True)
class Attempt:
    """Which showing of a planned trial a human record is (the accounting rule of
    :mod:`lab.accounting`: the last attempt of each trial counts)."""

    attempt: int = _column(
        "1 for the first showing of the trial; 2, 3, ... for re-runs of a flagged trial "
        "(same trial number). The analysis counts the last attempt of each trial; earlier "
        "attempts are superseded")


@dataclass(kw_only=True)
class HumanTiming:
    """Frame accounting and measured timing of one human trial, from flip time stamps."""

    image_frames_planned: int = _column("frames the image should have been shown")
    image_frames_shown: int = _column(
        "display refreshes the image stayed on screen (flip intervals / frame period)")
    mask_frames_planned: int = _column("frames the noise mask should have been shown")
    mask_frames_shown: int = _column("display refreshes the noise mask stayed on screen")
    image_duration_ms: float = _column(
        "measured image duration: image onset to the onset of the first frame after it "
        "(the blank), from flip stamps; planned image frames x frame period")
    mask_duration_ms: float = _column(
        "measured mask duration: mask onset to the onset of the blank after it")
    soa_ms: float = _column(
        "stimulus onset asynchrony: mask onset minus image onset (image + one blank frame)")
    preceding_iti_ms: float = _column(
        "measured inter-trial interval before this trial: onset of the ITI screen after the "
        "previous trial to this trial's fixation onset; n/a for the first trial of a run and "
        "after a break or prompt")
    preparation_ms: float = _column(
        "time spent preparing this trial (decode its image, make its mask, make the "
        "previous record durable), done during the preceding ITI or before the first "
        "trial after a start, break or prompt")
    max_frame_interval_ms: float = _column(
        "longest interval between flips from fixation onset to response-screen onset")
    dropped_frames: int = _column(
        "frame intervals longer than 1.5 nominal frames from fixation onset to "
        "response-screen onset")
    flagged: bool = _column("1 if a frame was dropped while image or mask was on screen; "
                            "the trial is re-run at the end of its block (see attempt)")


@dataclass(kw_only=True)
class HumanTrialRecord(HumanTiming, Attempt, TrialRecord):
    """A human trial: the base columns, the attempt, then timing and frame accounting."""


@dataclass(kw_only=True)
class DnnScores:
    """What a network adds to a trial."""

    rule: str = _column("16-class decision rule: sum, mean or max of the mapped softmax "
                        "probabilities, or 16-way (the network's own 16-way head)")
    prob_correct_16: float = _column("probability of the correct class among the 16")
    entropy_16: float = _column("entropy (bits) of the 16-class distribution")
    entropy_1000: float = _column("entropy (bits) of the 1000-class softmax")
    rank_correct_16: int = _column("rank of the correct class among the 16 (1 = chosen)")
    probs_16: dict[str, float] = _column(  #: written as p_<class>
        "probability of each class under the decision rule", default_factory=dict)
    weights_sha256: str = _column(
        "sha256 of the weights file the network was scored with (empty: the registry's "
        "published weights or seeded random ones; files written before this column have "
        "it in their JSON sidecar only)", default="")


@dataclass(kw_only=True)
class DnnTrialRecord(DnnScores, TrialRecord):
    """A network's trial: the base columns, then the scores."""


PROB_COLUMNS: tuple[str, ...] = tuple(f"p_{c}" for c in CATEGORIES)


def _columns(record_type: type) -> tuple[str, ...]:
    """File columns of a record dataclass (``probs_16`` spread over ``p_<class>``)."""
    out: list[str] = []
    for f in fields(record_type):
        out.extend(PROB_COLUMNS if f.name == "probs_16" else (f.name,))
    return tuple(out)


BASE_COLUMNS: tuple[str, ...] = _columns(TrialRecord)
ATTEMPT_COLUMN = "attempt"
#: Human columns after the base ones: the attempt, then the timing.
HUMAN_COLUMNS: tuple[str, ...] = _columns(Attempt) + _columns(HumanTiming)
DNN_COLUMNS: tuple[str, ...] = _columns(DnnScores)

HUMAN_FILE_COLUMNS = _columns(HumanTrialRecord)
DNN_FILE_COLUMNS = _columns(DnnTrialRecord)

_DESCRIPTIONS: dict[str, str] = {}
for _record in (HumanTrialRecord, DnnTrialRecord):
    for _f in fields(_record):
        if _f.name == "probs_16":
            _DESCRIPTIONS.update({f"p_{c}": f"probability of '{c}' under the decision rule"
                                  for c in CATEGORIES})
        else:
            _DESCRIPTIONS[_f.name] = _f.metadata[DESCRIPTION]


def column_descriptions(columns: tuple[str, ...]) -> dict[str, str]:
    """Column -> description, for the JSON sidecar (from the record dataclasses' field
    metadata)."""
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
