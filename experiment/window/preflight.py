"""Pre-flight: everything checked before the first trial (one summary, one log entry).

* the stimulus files of the session: sha256 of every file against the manifest
  (:mod:`experiment.files.stimulus_check`, before any window opens);
* the display: refresh rate measured, a virtual display recognised, every duration a
  whole number of frames at the rate used, the rate within 1% of the profile's (unless
  overridden), the gamma table loaded when a calibration is given.
"""

from __future__ import annotations

import logging

from psychopy import visual

from experiment.files.profiles import DisplayProfile
from experiment.plan.frames import FramePlan, check_rate, plan_frames
from experiment.window.display import (
    DisplayInfo,
    gamma_loaded,
    looks_virtual,
    measure_rate,
    renderer_name,
)
from experiment.window.trial import undrawable
from lab.errors import LabInputError
from lab.phases import TrialPhases

log = logging.getLogger(__name__)


def window_size_note(profile: DisplayProfile, windowed: bool = False) -> str:
    """Which window size is used and why (one home for the sentence)."""
    if windowed:
        return "--windowed: a window of its own size; sizes in degrees follow the profile"
    return ("a fullscreen window takes the size of the screen it is on; image sizes in "
            f"degrees follow the profile's geometry ({profile.cm_per_px:.4f} cm per px)")


def check_display(win: visual.Window, profile: DisplayProfile, phases: TrialPhases, *,
                  allow_rate_mismatch: bool, warnings: list[str]
                  ) -> tuple[DisplayInfo, FramePlan]:
    """Measure and check the display and plan the phases' frames at its rate;
    :class:`LabInputError` on a refusal (also for a phase no entry of
    :data:`experiment.window.trial.DRAWING` draws)."""
    renderer = renderer_name()
    measured = measure_rate(win)
    virtual = looks_virtual(renderer, measured)
    warnings = list(warnings)
    if virtual:
        rate = profile.virtual_rate_hz
        msg = (f"virtual display (renderer {renderer!r}, flips at {measured:.0f} Hz): no "
               f"vsync, flips paced to a nominal {rate:g} Hz; timing is not a real display's")
        log.warning(msg)
        warnings.append(msg)
    else:
        rate = measured
    plan = plan_frames(phases, rate)
    missing = undrawable(plan)
    if missing:
        raise LabInputError(
            f"phase {', '.join(missing)} of the design's [phases] has no drawing in "
            "experiment/window/trial.py DRAWING: add one (docs/contributing.md, 'Adding a "
            "trial phase') or remove the phase")
    if not virtual and not check_rate(measured, profile.refresh_hz,
                                      allow_rate_mismatch=allow_rate_mismatch):
        msg = (f"measured {measured:.2f} Hz differs from profile {profile.name!r} "
               f"({profile.refresh_hz:g} Hz) by more than 1%: overridden "
               "(--allow-rate-mismatch)")
        log.warning(msg)
        warnings.append(msg)
    wants_gamma = profile.gamma is not None or bool(profile.psychopy_monitor)
    loaded = gamma_loaded(win) if wants_gamma else None
    if wants_gamma and not loaded:
        msg = "a calibration was given but the display's gamma table is the identity"
        log.warning(msg)
        warnings.append(msg)
    size = (int(win.size[0]), int(win.size[1]))
    if not virtual and size != tuple(profile.resolution):
        msg = (f"window is {size[0]}x{size[1]} px, profile {profile.name!r} says "
               f"{profile.resolution[0]}x{profile.resolution[1]}: {window_size_note(profile)}; "
               "sizes in degrees are off on this screen")
        log.warning(msg)
        warnings.append(msg)
    info = DisplayInfo(renderer=renderer, window_size=size, measured_rate_hz=measured,
                       virtual=virtual, rate_hz=rate,
                       gamma_requested=profile.gamma, gamma_loaded=loaded,
                       warnings=warnings)
    return info, plan
