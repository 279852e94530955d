"""What every record table has: its columns, the observer types, the 16-way head's rule
name, and the image keys that match the same image across observers and formats."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lab.accounting import SUPERSEDED_COLUMN
from lab.schema import BASE_COLUMNS, HUMAN_COLUMNS

#: Columns every record table has.
RECORD_COLUMNS: tuple[str, ...] = BASE_COLUMNS + (
    "observer_type", "rule", "source_format", "texture", "image_key", "file", "simulated",
    SUPERSEDED_COLUMN,
)


#: Optional numeric columns kept when a file has them.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "prob_correct_16", "entropy_16", "entropy_1000", "rank_correct_16",
) + HUMAN_COLUMNS


HUMAN = "human"


DNN = "dnn"


@dataclass(frozen=True)
class TrialFileKind:
    """What :func:`detect_format` found out about one file."""

    source_format: str  #: ``lab``, ``geirhos2018`` or ``model-vs-human``
    observer_type: str  #: ``human`` or ``dnn``


TRIAL_PREFIX = re.compile(r"^\d+_[^_]+_[^_]+_")


_CUE_CONFLICT = re.compile(r"(?:^|[_/])(?P<shape>[a-z]+)\d+-(?P<texture>[a-z]+)\d+\.\w+$")


def image_key(image: str) -> str:
    """The part of an original image name that identifies the image across observers:
    ``0001_cop_s01_c50_oven_10_n04111531_23046.png`` -> ``c50_oven_10_n04111531_23046.png``
    (trial number, experiment code and subject/``dnn`` stripped)."""
    return TRIAL_PREFIX.sub("", image.rsplit("/", 1)[-1])


def texture_of(image: str) -> str:
    """The texture class of a cue-conflict image name (``...dog10-bird2.png`` -> ``bird``),
    or ``""`` when the name has no ``<shape><n>-<texture><m>`` part."""
    match = _CUE_CONFLICT.search(image)
    return match["texture"] if match else ""
