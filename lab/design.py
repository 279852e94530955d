"""Experiment designs: the TOML files in ``stimuli/experiments/`` as frozen dataclasses.

A design is data (STYLE: "the design is data; running it is a loop"): the stimulus-set
builder, the session and the analysis all read the same file. It is the one place where
an experiment's condition codes are declared, each with its signal level (the plot axis)
and the numbers its manipulation is called with::

    [conditions]
    "c100" = { level = 100, contrast = 1.00 }
    "c50"  = { level = 50,  contrast = 0.50 }

What differs between experiments (the figure panel, whether the source file names carry
a texture class, whether the whole image set is taken) is a field here, never a test of
the experiment's name in code.
"""

from __future__ import annotations

import difflib
import functools
import math
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from lab.errors import LabInputError
from lab.phases import PAPER_PHASES, TrialPhases

#: The bundled design files live with the stimuli (``stimuli/experiments/*.toml``).
EXPERIMENTS_DIR = Path(__file__).resolve().parents[1] / "stimuli" / "experiments"


@dataclass(frozen=True)
class ConditionSpec:
    """One condition: its code (as in the human data), level and manipulation parameters."""

    code: str
    level: float  #: numeric signal level (plot x-axis)
    parameters: tuple[tuple[str, Any], ...] = ()  #: keyword arguments of the manipulation


@dataclass(frozen=True)
class ExperimentDesign:
    """One experiment of Geirhos et al. 2018 (Methods and supplementary material)."""

    name: str  #: model-vs-human dataset name, e.g. ``contrast``
    manipulation: str  #: registered manipulation name, e.g. ``contrast``
    code: str  #: file-name abbreviation of the original stimuli, e.g. ``cop``
    original_experiment: str  #: folder name in the 2018 data, e.g. ``contrast-png-experiment``
    condition_specs: tuple[ConditionSpec, ...]  #: strongest signal first (TOML: [conditions])
    level_label: str  #: axis label of the levels, e.g. ``contrast in percent``
    image_size: int  #: px, square
    mask_batch: int  #: 1 or 2: which 1/f mask recipe (Geirhos et al. 2018, Methods)
    trials_per_observer: int
    block_size: int
    sessions: int
    observers: int  #: observers in the original experiment
    background_grey: float
    fixation_frame_px: int
    viewing_distance_cm: float
    image_degrees: float
    #: position of the experiment's panel in the paper's figure 3 (1 = first); 0: none,
    #: drawn after those, in alphabetical order
    figure_panel: int = 0
    #: source files are named ``<shape><n>-<texture><m>``: the texture class is read from
    #: the name (cue-conflict style transfer)
    texture_in_file_name: bool = False
    #: without ``--per-condition`` the build takes every usable source image once per
    #: condition, rather than the balanced draw of the original design
    whole_image_set: bool = False
    #: the set is the source folder itself: every image copied byte for byte (no crop,
    #: resize or re-encoding), and the folder must hold exactly ``trials_per_observer / 16``
    #: images per class at ``image_size`` px (edge, silhouette, sketch, stylized:
    #: model-vs-human's image sets, shown unmanipulated); see stimuli/copyset.py
    copy_sources: bool = False
    #: psychometric fits (results/psychometric.py): the axis the levels are fitted on,
    #: "linear", "log10" or "reciprocal" (1/level; an infinite level is 0); "" = the
    #: experiment is not parametric (no fit)
    psychometric_axis: str = ""
    #: accuracy rises with the level (contrast); false: it falls (noise, blur, ...)
    psychometric_rising: bool = False
    #: the trial's phases in the order shown, in ms or frames (TOML: [phases]; a design
    #: without the table runs the phases of Geirhos et al. 2018, Methods: lab/phases.py)
    phases: TrialPhases = PAPER_PHASES
    #: the file the design was read from (for messages; not a TOML key)
    source_file: str = field(default="", compare=False)

    @property
    def conditions(self) -> tuple[str, ...]:
        """Condition codes, strongest signal first."""
        return tuple(c.code for c in self.condition_specs)

    @property
    def levels(self) -> tuple[float, ...]:
        """Numeric signal level per condition (plot x-axis)."""
        return tuple(c.level for c in self.condition_specs)

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

    def parameters_of(self, condition: str) -> dict[str, Any]:
        """Keyword arguments of the manipulation for ``condition`` (e.g. ``contrast=0.5``)."""
        self.check_condition(condition)
        return dict(self.condition_specs[self.conditions.index(condition)].parameters)


#: Axes a design may ask its psychometric fits to use ("" = no fit).
PSYCHOMETRIC_AXES = ("", "linear", "log10", "reciprocal")

#: TOML keys and the Python type each must have (the dataclass fields but the conditions).
_SCALARS: dict[str, type] = {
    "name": str, "manipulation": str, "code": str, "original_experiment": str,
    "level_label": str, "image_size": int, "mask_batch": int, "trials_per_observer": int,
    "block_size": int, "sessions": int, "observers": int, "background_grey": float,
    "fixation_frame_px": int, "viewing_distance_cm": float, "image_degrees": float,
    "figure_panel": int, "texture_in_file_name": bool, "whole_image_set": bool,
    "copy_sources": bool,
    "psychometric_axis": str, "psychometric_rising": bool,
}
_OPTIONAL = {f.name for f in fields(ExperimentDesign) if f.default is not MISSING}
_POSITIVE = ("image_size", "trials_per_observer", "block_size", "sessions", "observers",
             "fixation_frame_px", "viewing_distance_cm", "image_degrees")


def _check_type(path: Path, key: str, value: object, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise LabInputError(
        f"{path}: {key!r} must be {kind.__name__}, got {value!r} ({type(value).__name__}); "
        "fix the value"
    )


def _conditions(path: Path, table: object) -> tuple[ConditionSpec, ...]:
    if not isinstance(table, dict) or not table:
        raise LabInputError(
            f"{path}: 'conditions' must be a table of condition codes, e.g. "
            '[conditions] "c50" = {{ level = 50, contrast = 0.5 }}'
        )
    specs = []
    for code, entry in table.items():
        where = f"{path}: condition {code!r}"
        if not isinstance(entry, dict) or "level" not in entry:
            raise LabInputError(f"{where}: needs an inline table with a 'level', e.g. "
                                "{ level = 50, contrast = 0.5 }")
        level = _check_type(path, f"conditions.{code}.level", entry["level"], float)
        params = tuple((k, v) for k, v in entry.items() if k != "level")
        for key, value in params:
            if isinstance(value, dict | list | str):
                raise LabInputError(f"{where}: parameter {key!r} must be a number or true/false, "
                                    f"got {value!r}")
        specs.append(ConditionSpec(code=str(code), level=level, parameters=params))
    return tuple(specs)


def load_design_file(path: str | Path) -> ExperimentDesign:
    """Read one design TOML file; one-line :class:`LabInputError` on any problem.

    The conditions' parameters are checked against the manipulation's signature (names and
    types), so a design that loads can be built.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise LabInputError(f"{path}: cannot read the design ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise LabInputError(f"{path}: not UTF-8 text ({err.reason}); fix the file") from err
    except tomllib.TOMLDecodeError as err:
        raise LabInputError(f"{path}: not valid TOML ({err}); fix the syntax") from err
    keys = set(_SCALARS) | {"conditions", "phases"}
    missing = sorted(keys - _OPTIONAL - set(data))
    if missing:
        raise LabInputError(f"{path}: missing keys {missing}; see stimuli/experiments/*.toml")
    unknown = sorted(set(data) - keys)
    if unknown:
        raise LabInputError(f"{path}: unknown keys {unknown}; remove them")
    values = {key: _check_type(path, key, data[key], kind)
              for key, kind in _SCALARS.items() if key in data}
    for key in _POSITIVE:
        if not values[key] > 0:
            raise LabInputError(f"{path}: {key!r} must be more than 0, got {values[key]!r}")
    if "phases" in data:
        values["phases"] = TrialPhases.from_table(str(path), data["phases"])
    design = ExperimentDesign(condition_specs=_conditions(path, data["conditions"]),
                              source_file=str(path), **values)
    if design.trials_per_observer % len(design.conditions):
        raise LabInputError(
            f"{path}: trials_per_observer must be a multiple of the number of conditions"
        )
    if design.mask_batch not in (1, 2):
        raise LabInputError(f"{path}: mask_batch must be 1 or 2")
    if design.copy_sources and not (design.whole_image_set and len(design.conditions) == 1
                                    and design.manipulation == "none"
                                    and design.trials_per_observer % 16 == 0):
        raise LabInputError(f"{path}: copy_sources needs whole_image_set = true, one "
                            'condition, manipulation = "none" and trials_per_observer a multiple '
                            "of 16 (the images are copied as they are, an equal share per class)")
    if design.psychometric_axis not in PSYCHOMETRIC_AXES:
        raise LabInputError(f"{path}: psychometric_axis must be one of "
                            f"{', '.join(repr(a) for a in PSYCHOMETRIC_AXES)}")
    return design


def list_experiments(directory: Path = EXPERIMENTS_DIR) -> list[str]:
    """Names of the experiments defined in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_experiment(name: str, directory: Path = EXPERIMENTS_DIR) -> ExperimentDesign:
    """The design called ``name`` (e.g. ``contrast``); the error lists close matches."""
    path = directory / f"{name}.toml"
    if not path.is_file():
        names = list_experiments(directory)
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise LabInputError(f"unknown experiment {name!r}: {hint}")
    return load_design_file(path)


@functools.cache
def bundled_designs() -> dict[str, ExperimentDesign]:
    """Every design of ``stimuli/experiments/`` by name, read once per process."""
    return {name: load_experiment(name) for name in list_experiments()}


def designs_using(manipulation: str) -> list[ExperimentDesign]:
    """The bundled designs whose manipulation is ``manipulation``."""
    return [d for d in bundled_designs().values() if d.manipulation == manipulation]
