"""``run_experiment.py calibrate PROFILE``: readings (typed or a CSV) -> gamma fit ->
plot beside the profile -> calibration stored in the profile.

Nothing is written until every reading is in and the fit is done; the profile is
replaced atomically and its previous calibration stays in the history file.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from experiment.files.calibration import (
    DEFAULT_LEVELS,
    Calibration,
    Readings,
    calibratable_profile,
    grey_levels,
    plot_path,
    read_readings_csv,
    store_calibration,
)
from experiment.files.profiles import DisplayProfile
from experiment.window.photometer import ask_readings

log = logging.getLogger(__name__)

#: ``GammaCalculator`` bounds gamma to [0.8, 5]: a fit at a bound is not a real fit.
GAMMA_BOUNDS = (0.8, 5.0)


@dataclass
class CalibrationOutcome:
    profile: Path
    plot: Path
    calibration: Calibration
    warnings: list[str]


def calibrate(profile: str, *, readings_csv: Path | None = None,
              levels: int | None = None, window: bool = True, windowed: bool = False,
              screen: int | None = None, ask: Callable[[str], str] = input,
              tell: Callable[[str], None] = print) -> CalibrationOutcome:
    """Take the readings, fit, plot and store; :class:`LabInputError` on a refusal."""
    from experiment.window.gamma_fit import fit_gamma, make_calibration, plot_fit

    path, loaded = calibratable_profile(profile)
    warnings: list[str] = []
    if readings_csv is not None:
        readings = read_readings_csv(readings_csv)
    else:
        readings = _typed_readings(loaded, levels, window, windowed, screen, ask, tell,
                                   warnings)
    warnings += readings.warnings
    fit = fit_gamma(readings)
    if not GAMMA_BOUNDS[0] + 1e-3 < fit.gamma < GAMMA_BOUNDS[1] - 1e-3:
        msg = (f"fitted gamma {fit.gamma:.3f} is at the fit's bound {GAMMA_BOUNDS}: the "
               "readings do not look like a display's gamma curve; re-measure")
        log.warning(msg)
        warnings.append(msg)
    when = _dt.datetime.now().astimezone()
    png = plot_path(path, when.isoformat(timespec="seconds"))
    calibration = make_calibration(readings, fit, plot=png.name, when=when,
                                   warnings=warnings)
    plot_fit(readings, fit, png, title=f"display profile {loaded.name}: calibration of "
             f"{calibration.date}")
    store_calibration(path, calibration)
    log.info("profile %s calibrated: gamma %.3f, rms %.3g cd/m²", path, fit.gamma,
             fit.rms_cd_m2)
    return CalibrationOutcome(path, png, calibration, warnings)


def _typed_readings(profile: DisplayProfile, levels: int | None, window: bool,
                    windowed: bool, screen: int | None, ask: Callable[[str], str],
                    tell: Callable[[str], None], warnings: list[str]) -> Readings:
    grey = grey_levels(levels or DEFAULT_LEVELS)
    screen_ = None
    if window:
        if screen is not None:
            profile = dataclasses.replace(profile, screen=screen)
        try:
            from experiment.window.photometer import GreyScreen
            screen_ = GreyScreen(profile, windowed=windowed)
            warnings += screen_.warnings
        except Exception as err:  # no display reachable: prompt only
            msg = ("no grey window, the display cannot be opened "
                   f"({str(err).splitlines()[0] if str(err) else type(err).__name__}): "
                   "set each grey level on the display yourself")
            log.warning(msg)
            warnings.append(msg)
    try:
        return ask_readings(grey, ask, tell, screen_)
    finally:
        if screen_ is not None:
            screen_.close()
