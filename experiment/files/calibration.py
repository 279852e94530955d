"""Photometer readings and the calibration record a display profile keeps.

A calibration is a set of readings (grey level -> luminance in cd/m²), the gamma fitted
to them (:mod:`experiment.window.gamma_fit`, PsychoPy's ``GammaCalculator``) and when it was
made. :func:`store_calibration` writes it into the profile's JSON (``gamma`` plus a
``calibration`` object) so that every later session opens its window with it and
records which calibration it ran under (:func:`calibration_provenance`).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from experiment.files.profiles import DisplayProfile, load_profile, profile_path
from lab.errors import LabInputError
from lab.trial_file import write_json_atomic

log = logging.getLogger(__name__)

#: Fewest distinct grey levels a fit of min, max and gamma is accepted from.
MIN_LEVELS = 5
#: Levels shown by the interactive calibration unless ``--levels`` says otherwise.
DEFAULT_LEVELS = 9
CSV_COLUMNS = ("level", "luminance")
#: PsychoPy's ``GammaCalculator`` equation 1: ``lum = min + (b * level) ** gamma``.
FIT_METHOD = "psychopy.monitors.GammaCalculator eq=1 (lum = a + (b*x)**gamma), 0..255 inputs"


@dataclass(frozen=True)
class Readings:
    """Photometer readings sorted by level; ``levels`` on the 0..255 scale."""

    levels: tuple[float, ...]
    luminance: tuple[float, ...]  #: cd/m²
    source: str  #: the CSV path, or "typed"
    warnings: tuple[str, ...] = ()

    @property
    def fractions(self) -> tuple[float, ...]:
        return tuple(v / 255.0 for v in self.levels)


@dataclass(frozen=True)
class Calibration:
    """One fitted calibration, as stored in the profile (``calibration`` object)."""

    date: str  #: ISO 8601 with time zone
    gamma: float
    min_cd_m2: float
    max_cd_m2: float
    rms_cd_m2: float  #: root mean square of fitted - measured luminance
    levels: list[float]  #: 0..255
    luminance_cd_m2: list[float]
    source: str
    plot: str | None = None  #: PNG file name, beside the profile
    method: str = FIT_METHOD
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def grey_levels(n: int) -> list[float]:
    """``n`` grey levels evenly spaced on 0..255 (whole DAC values, 0 and 255 included)."""
    if n < MIN_LEVELS:
        raise LabInputError(f"--levels {n}: a gamma fit needs at least {MIN_LEVELS} levels")
    if n > 256:
        raise LabInputError(f"--levels {n}: an 8-bit display has only 256 grey levels")
    return [float(round(255 * i / (n - 1))) for i in range(n)]


def make_readings(levels: Sequence[float], luminance: Sequence[float], source: str,
                  *, scale: float = 255.0) -> Readings:
    """Check and sort readings (``levels`` on 0..``scale``); :class:`LabInputError` when
    a fit is impossible, a warning when luminance does not rise with the level."""
    where = "typed readings" if source == "typed" else source
    if len(levels) != len(luminance):
        raise LabInputError(f"{where}: {len(levels)} levels but {len(luminance)} readings")
    pairs = sorted(zip((v * 255.0 / scale for v in levels), luminance, strict=True))
    seen = [lv for lv, _ in pairs]
    dupes = sorted({lv for lv in seen if seen.count(lv) > 1})
    if dupes:
        raise LabInputError(f"{where}: level {_level_text(dupes[0], scale)} is read twice; "
                            "keep one reading per level (or average them)")
    if len(pairs) < MIN_LEVELS:
        raise LabInputError(f"{where}: {len(pairs)} levels; a gamma fit needs at least "
                            f"{MIN_LEVELS} distinct grey levels from black to white")
    if pairs[0][0] != 0 or pairs[-1][0] != 255:
        raise LabInputError(f"{where}: the readings must include black (level 0) and "
                            "white (level 1, or 255 on the 0..255 scale)")
    lums = [lum for _, lum in pairs]
    if lums[-1] <= lums[0]:
        raise LabInputError(f"{where}: white reads {lums[-1]:g} cd/m², not brighter than "
                            f"black ({lums[0]:g}); check the photometer and the readings")
    warnings = [
        f"{where}: luminance falls from {a:g} to {b:g} cd/m² between levels "
        f"{_level_text(la, scale)} and {_level_text(lb, scale)} (not monotonic): re-measure"
        for (la, a), (lb, b) in zip(pairs, pairs[1:], strict=False) if b < a
    ]
    for w in warnings:
        log.warning(w)
    return Readings(tuple(seen), tuple(lums), source, tuple(warnings))


def _level_text(level_255: float, scale: float) -> str:
    value = level_255 * scale / 255.0
    return f"{value:g}"


def read_readings_csv(path: str | Path) -> Readings:
    """Readings from a CSV with columns ``level,luminance`` (level 0..1 or 0..255,
    luminance in cd/m²); one-line errors naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LabInputError(f"{path}: no such readings file; give a CSV with columns "
                            "level,luminance") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LabInputError(f"{path}: cannot read ({err}); give a UTF-8 CSV with columns "
                            "level,luminance") from err
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise LabInputError(f"{path}: empty; the first line must be the header "
                            "level,luminance")
    header = [h.strip().lower() for h in rows[0]]
    if tuple(header) != CSV_COLUMNS:
        raise LabInputError(f"{path} line 1: header {','.join(rows[0])!r}; it must be "
                            "exactly level,luminance")
    levels: list[float] = []
    lums: list[float] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise LabInputError(f"{path} line {number}: {len(row)} fields; write "
                                "level,luminance (e.g. 0.5,42.1)")
        level = _number(row[0], path, number, "level")
        lum = _number(row[1], path, number, "luminance")
        if level < 0 or level > 255:
            raise LabInputError(f"{path} line {number}: level {row[0].strip()} is outside "
                                "0..1 (or 0..255)")
        if lum < 0:
            raise LabInputError(f"{path} line {number}: luminance {row[1].strip()} is "
                                "negative; write cd/m² as measured")
        levels.append(level)
        lums.append(lum)
    scale = 1.0 if levels and max(levels) <= 1.0 else 255.0
    return make_readings(levels, lums, str(path), scale=scale)


def _number(cell: str, path: Path, line: int, what: str) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        raise LabInputError(f"{path} line {line}: {what} {cell.strip()!r} is not a number"
                            ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise LabInputError(f"{path} line {line}: {what} {cell.strip()!r} is not a number")
    return value


def calibratable_profile(profile: str | Path) -> tuple[Path, DisplayProfile]:
    """The profile's path and contents, or a one-line refusal (before any reading)."""
    path = profile_path(str(profile))
    loaded = load_profile(str(path))
    if loaded.psychopy_monitor:
        raise LabInputError(
            f"{path}: profile uses Monitor Center calibration {loaded.psychopy_monitor!r}; "
            "set psychopy_monitor to null to store a calibration in the profile instead"
        )
    return path, loaded


def plot_path(profile: Path, date: str) -> Path:
    """``<name>-calibration-<date>.png`` beside the profile (one per calibration)."""
    stamp = date[:19].replace(":", "-")
    return profile.with_name(f"{profile.stem}-calibration-{stamp}.png")


def store_calibration(profile: str | Path, calibration: Calibration) -> Path:
    """Write ``calibration`` into the profile's JSON (atomically: the old file stays
    whole until the new one is complete) and append it to the profile's calibration
    history (``<name>-calibrations.jsonl`` beside it, never rewritten), so a replaced
    calibration is never lost. Returns the profile's path."""
    path, _ = calibratable_profile(profile)
    data = json.loads(path.read_text(encoding="utf-8"))
    with open(history_path(path), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(calibration.as_dict()) + "\n")
    data["gamma"] = round(calibration.gamma, 4)
    data["calibration"] = calibration.as_dict()
    write_json_atomic(path, data)
    load_profile(str(path))
    return path


def history_path(profile: Path) -> Path:
    """The append-only calibration history beside a profile JSON."""
    return profile.with_name(f"{profile.stem}-calibrations.jsonl")


def calibration_provenance(profile_dict: dict[str, Any]) -> dict[str, Any]:
    """What a session records about the calibration it ran under (sidecar and log)."""
    cal = profile_dict.get("calibration")
    if cal:
        return {"profile": profile_dict["name"], "kind": "photometer", "date": cal["date"],
                "gamma": cal["gamma"], "min_cd_m2": cal["min_cd_m2"],
                "max_cd_m2": cal["max_cd_m2"], "rms_cd_m2": cal["rms_cd_m2"],
                "levels": len(cal["levels"]), "source": cal["source"],
                "plot": cal.get("plot")}
    if profile_dict.get("psychopy_monitor"):
        return {"profile": profile_dict["name"], "kind": "monitor-center",
                "monitor": profile_dict["psychopy_monitor"], "date": None}
    if profile_dict.get("gamma") is not None:
        return {"profile": profile_dict["name"], "kind": "nominal gamma",
                "gamma": profile_dict["gamma"], "date": None}
    return {"profile": profile_dict["name"], "kind": "none", "date": None}


def describe_provenance(prov: dict[str, Any]) -> str:
    """One log line for :func:`calibration_provenance`."""
    kind = prov["kind"]
    if kind == "photometer":
        return (f"display calibration: profile {prov['profile']!r}, photometer calibration "
                f"of {prov['date']}, gamma {prov['gamma']:.3f}, {prov['min_cd_m2']:g}-"
                f"{prov['max_cd_m2']:g} cd/m², fit rms {prov['rms_cd_m2']:.3g} cd/m²")
    if kind == "monitor-center":
        return (f"display calibration: profile {prov['profile']!r}, Monitor Center "
                f"calibration {prov['monitor']!r} of {prov['date']}")
    if kind == "nominal gamma":
        return (f"display calibration: profile {prov['profile']!r}, nominal gamma "
                f"{prov['gamma']:g} (no photometer calibration)")
    return f"display calibration: profile {prov['profile']!r} has none (no linearisation)"
