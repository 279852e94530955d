"""Display profiles: the lab's calibrated displays, stored as JSON in ``experiment/profiles``.

A profile holds what PsychoPy's Monitor Center needs (width, resolution, distance, gamma or
the name of a saved Monitor Center calibration) plus the refresh rate the pre-flight
checks against. :mod:`experiment.window.display` turns a profile into a
``psychopy.monitors.Monitor``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lab.errors import LabInputError

PROFILES_DIR = Path(__file__).resolve().parents[1] / "profiles"
#: What a stored calibration must hold (more is kept as it is).
CALIBRATION_KEYS = ("date", "gamma", "min_cd_m2", "max_cd_m2", "rms_cd_m2", "levels",
                    "luminance_cd_m2")
#: Nominal rate on a virtual display (Xvfb) unless the profile says otherwise.
VIRTUAL_RATE_HZ = 60.0


@dataclass(frozen=True)
class DisplayProfile:
    name: str
    width_cm: float  #: visible width of the screen
    resolution: tuple[int, int]  #: (width, height) px
    refresh_hz: float
    description: str = ""
    distance_cm: float | None = None  #: None: the design's viewing distance
    gamma: float | None = None  #: None: no linearisation (as in the original lab)
    psychopy_monitor: str | None = None  #: a saved Monitor Center calibration to load
    screen: int = 0
    virtual_rate_hz: float = VIRTUAL_RATE_HZ
    #: A photometer calibration (``run_experiment.py calibrate``): date, gamma, min/max
    #: luminance, fit rms, the readings; see :class:`experiment.files.calibration.Calibration`.
    calibration: dict[str, Any] | None = None

    @property
    def cm_per_px(self) -> float:
        return self.width_cm / self.resolution[0]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def deg_to_px(degrees: float, distance_cm: float, cm_per_px: float) -> int:
    """Size in whole pixels of ``degrees`` of visual angle (centred on the line of sight)."""
    size_cm = 2.0 * distance_cm * math.tan(math.radians(degrees) / 2.0)
    return round(size_cm / cm_per_px)


def profile_path(name_or_path: str, directory: Path = PROFILES_DIR) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".json":
        return candidate
    return directory / f"{name_or_path}.json"


def list_profiles(directory: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def load_profile(name_or_path: str, directory: Path = PROFILES_DIR) -> DisplayProfile:
    """A stored profile by name (``lab``) or JSON path; one-line error otherwise."""
    path = profile_path(name_or_path, directory)
    if not path.is_file():
        raise LabInputError(
            f"display profile {name_or_path!r} not found ({path}); known: "
            f"{', '.join(list_profiles(directory))}, or make one with "
            "'run_experiment.py profile'"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise LabInputError(f"{path}: not a valid display profile ({err}); fix the JSON") from err
    profile = DisplayProfile(**_typed_fields(data, path))
    _check(profile, path)
    return profile


#: JSON type of each profile field: "number", "int", "str", "object", or "resolution";
#: a trailing "?" allows null.
_FIELD_TYPES = {
    "name": "str", "width_cm": "number", "resolution": "resolution", "refresh_hz": "number",
    "description": "str", "distance_cm": "number?", "gamma": "number?",
    "psychopy_monitor": "str?", "screen": "int", "virtual_rate_hz": "number",
    "calibration": "object?",
}
_REQUIRED_FIELDS = ("name", "width_cm", "resolution", "refresh_hz")
#: Numeric entries of a stored calibration (lists: every item a number).
_CALIBRATION_NUMBERS = ("gamma", "min_cd_m2", "max_cd_m2", "rms_cd_m2")
_CALIBRATION_LISTS = ("levels", "luminance_cd_m2")


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _typed_fields(data: object, path: Path) -> dict[str, Any]:
    """The profile's fields, each of its JSON type; one line naming the field otherwise."""
    if not isinstance(data, dict):
        raise LabInputError(f"{path}: a display profile is a JSON object with "
                            f"{', '.join(_REQUIRED_FIELDS)}; fix the JSON")
    unknown = sorted(set(data) - set(_FIELD_TYPES))
    if unknown:
        raise LabInputError(f"{path}: unknown field {unknown[0]!r}; known: "
                            f"{', '.join(_FIELD_TYPES)}; remove it")
    missing = [k for k in _REQUIRED_FIELDS if k not in data]
    if missing:
        raise LabInputError(f"{path}: missing {', '.join(missing)}; add them "
                            "(see experiment/profiles/lab.json)")
    out = dict(data)
    for key, kind in _FIELD_TYPES.items():
        if key not in data or (kind.endswith("?") and data[key] is None):
            continue
        value, base = data[key], kind.rstrip("?")
        ok = {"number": _is_number(value),
              "int": isinstance(value, int) and not isinstance(value, bool),
              "str": isinstance(value, str),
              "object": isinstance(value, dict),
              "resolution": isinstance(value, list) and len(value) == 2 and all(
                  isinstance(v, int) and not isinstance(v, bool) for v in value)}[base]
        if not ok:
            wanted = {"number": "a number", "int": "a whole number", "str": "a string",
                      "object": "an object", "resolution": "[width, height] in whole px"}[base]
            null = " or null" if kind.endswith("?") else ""
            raise LabInputError(f"{path}: {key} must be {wanted}{null}, not "
                                f"{json.dumps(value)}; fix the JSON")
    out["resolution"] = tuple(data["resolution"])
    cal = data.get("calibration")
    if isinstance(cal, dict):
        for key in _CALIBRATION_NUMBERS:
            if key in cal and not _is_number(cal[key]):
                raise LabInputError(f"{path}: calibration {key} must be a number, not "
                                    f"{json.dumps(cal[key])}; run 'run_experiment.py "
                                    "calibrate' again or set calibration to null")
        for key in _CALIBRATION_LISTS:
            if key in cal and not (isinstance(cal[key], list)
                                   and all(_is_number(v) for v in cal[key])):
                raise LabInputError(f"{path}: calibration {key} must be a list of numbers; "
                                    "run 'run_experiment.py calibrate' again or set "
                                    "calibration to null")
    return out


def _check(profile: DisplayProfile, where: Path | str) -> None:
    if not (profile.width_cm > 0 and min(profile.resolution) > 0 and profile.refresh_hz > 0
            and profile.virtual_rate_hz > 0):
        raise LabInputError(f"{where}: width, resolution and refresh rates must be positive")
    if profile.distance_cm is not None and not profile.distance_cm > 0:
        raise LabInputError(f"{where}: distance_cm must be positive or null")
    if profile.gamma is not None and not profile.gamma > 0:
        raise LabInputError(f"{where}: gamma must be positive or null")
    cal = profile.calibration
    if cal is not None:
        if not isinstance(cal, dict) or not all(
                k in cal for k in CALIBRATION_KEYS):
            raise LabInputError(
                f"{where}: calibration must be an object with {', '.join(CALIBRATION_KEYS)}; "
                "run 'run_experiment.py calibrate' again or set it to null")
        if profile.gamma is None or abs(float(cal["gamma"]) - profile.gamma) > 1e-3:
            raise LabInputError(
                f"{where}: gamma {profile.gamma} differs from the calibration's "
                f"{cal['gamma']}; run 'run_experiment.py calibrate' again or set "
                "calibration to null")


def make_profile(profile: DisplayProfile, directory: Path = PROFILES_DIR) -> Path:
    """Store a new profile as ``<directory>/<name>.json``; refuses to overwrite one."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", profile.name):
        raise LabInputError(
            f"profile name {profile.name!r}: use letters, digits, '-' and '_' only"
        )
    _check(profile, profile.name)
    path = directory / f"{profile.name}.json"
    directory.mkdir(parents=True, exist_ok=True)
    data = profile.as_dict()
    data["resolution"] = list(profile.resolution)
    try:
        with open(path, "x", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
    except FileExistsError:
        raise LabInputError(f"{path}: a profile of that name exists; choose another name") from None
    return path
