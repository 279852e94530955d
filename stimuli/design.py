"""Experiment designs: the TOML files in ``stimuli/experiments/`` as frozen dataclasses.

A design is data (STYLE: "the design is data; running it is a loop"): the stimulus-set
builder, the session and the analysis all read the same file.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from stimuli.errors import LabInputError

EXPERIMENTS_DIR = Path(__file__).with_name("experiments")


@dataclass(frozen=True)
class ExperimentDesign:
    """One experiment of the paper (SPEC §1 and §3)."""

    name: str  #: model-vs-human dataset name, e.g. ``contrast``
    manipulation: str  #: registered manipulation name, e.g. ``contrast``
    code: str  #: file-name abbreviation of the original stimuli, e.g. ``cop``
    original_experiment: str  #: folder name in the 2018 data, e.g. ``contrast-png-experiment``
    conditions: tuple[str, ...]  #: condition codes, strongest signal first
    levels: tuple[float, ...]  #: numeric signal strength per condition (plot x-axis)
    level_label: str
    image_size: int  #: px, square
    mask_batch: int  #: 1 or 2: which 1/f mask recipe (SPEC §2)
    trials_per_observer: int
    block_size: int
    sessions: int
    observers: int  #: observers in the original experiment
    background_grey: float
    fixation_frame_px: int
    viewing_distance_cm: float
    image_degrees: float

    @property
    def n_blocks(self) -> int:
        return math.ceil(self.trials_per_observer / self.block_size)

    def level_of(self, condition: str) -> float:
        return self.levels[self.conditions.index(condition)]

    def check_condition(self, condition: str) -> str:
        if condition not in self.conditions:
            raise LabInputError(
                f"experiment {self.name!r} has no condition {condition!r}: "
                f"use one of {', '.join(self.conditions)}"
            )
        return condition


def list_experiments(directory: Path = EXPERIMENTS_DIR) -> list[str]:
    """Names of the experiments defined in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_design_file(path: str | Path) -> ExperimentDesign:
    """Read one design TOML file; one-line :class:`LabInputError` on any problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise LabInputError(f"{path}: cannot read the design ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise LabInputError(f"{path}: not valid TOML ({err}); fix the syntax") from err
    fields = ExperimentDesign.__dataclass_fields__
    missing = sorted(set(fields) - set(data))
    if missing:
        raise LabInputError(f"{path}: missing keys {missing}; see stimuli/experiments/*.toml")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise LabInputError(f"{path}: unknown keys {unknown}; remove them")
    data["conditions"] = tuple(str(c) for c in data["conditions"])
    data["levels"] = tuple(float(x) for x in data["levels"])
    if len(data["levels"]) != len(data["conditions"]):
        raise LabInputError(f"{path}: 'levels' needs one value per condition")
    design = ExperimentDesign(**data)
    if design.trials_per_observer % len(design.conditions):
        raise LabInputError(
            f"{path}: trials_per_observer must be a multiple of the number of conditions"
        )
    if design.mask_batch not in (1, 2):
        raise LabInputError(f"{path}: mask_batch must be 1 or 2")
    return design


def load_experiment(name: str, directory: Path = EXPERIMENTS_DIR) -> ExperimentDesign:
    """The design called ``name`` (e.g. ``contrast``); the error lists close matches."""
    path = directory / f"{name}.toml"
    if not path.is_file():
        names = list_experiments(directory)
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise LabInputError(f"unknown experiment {name!r}: {hint}")
    return load_design_file(path)
