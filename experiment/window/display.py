"""The window: a display profile made into a PsychoPy Monitor and Window, the refresh
rate measured, a virtual display (Xvfb) recognised, and flips that count frames.

On a virtual display there is no vsync and no gamma ramp: the window is opened without
gamma (with a warning) and :class:`FrameClock` paces flips to the profile's nominal
virtual rate, so frame counts stay exact and time stamps stay meaningful.
"""

from __future__ import annotations

import datetime as _dt
import logging
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psychopy import monitors, visual

from experiment.files.calibration import calibration_provenance
from experiment.files.profiles import DisplayProfile
from lab.errors import LabInputError

log = logging.getLogger(__name__)

#: GL renderers of software rasterisers (no real display behind them).
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software rasterizer")
#: No monitor refreshes faster than this: a faster "rate" means flips are not locked.
MAX_REAL_RATE_HZ = 500.0
#: Window size when ``--windowed`` (px, capped at the screen).
WINDOWED_SIZE = (1000, 800)


@dataclass
class DisplayInfo:
    """What the pre-flight learnt about the display (goes into the sidecar)."""

    renderer: str
    window_size: tuple[int, int]
    measured_rate_hz: float
    virtual: bool
    rate_hz: float  #: the rate durations are counted at (nominal on a virtual display)
    gamma_requested: float | None
    gamma_loaded: bool | None  #: None: no calibration asked for
    warnings: list[str] = field(default_factory=list)


class ProfileMonitor(monitors.Monitor):
    """A Monitor Center monitor built in memory from a display profile.

    PsychoPy looks a monitor up in its Monitor Center folder (``~/.psychopy3/monitors``)
    and, finding none, warns "Monitor specification not found. Creating a temporary one"
    on every session. This one holds a single calibration made from the profile (the
    profile is the record of the display), so PsychoPy has a real specification: nothing
    is read from or written to the Monitor Center folder, and nothing stale can come
    from it.
    """

    CALIBRATION = "display-profile"

    def _loadAll(self) -> None:  # noqa: N802 (PsychoPy's name)
        self.calibs, self.calibNames = {}, []
        self.newCalib(self.CALIBRATION)


def make_monitor(profile: DisplayProfile, distance_cm: float, *, gamma: bool = True
                 ) -> monitors.Monitor:
    """A Monitor Center monitor for ``profile`` (a saved calibration if it names one);
    ``gamma=False``: the same geometry with no gamma or calibration at all."""
    width, size_pix = profile.width_cm, list(profile.resolution)
    if profile.psychopy_monitor:
        if profile.psychopy_monitor not in monitors.getAllMonitors():
            raise LabInputError(
                f"profile {profile.name!r} names Monitor Center calibration "
                f"{profile.psychopy_monitor!r}, which does not exist: save it in Monitor "
                "Center or set psychopy_monitor to null"
            )
        saved = monitors.Monitor(profile.psychopy_monitor)
        if gamma:
            saved.setDistance(distance_cm)
            return saved
        width, size_pix = saved.getWidth() or width, saved.getSizePix() or size_pix
    monitor = ProfileMonitor(f"profile-{profile.name}", width=width, distance=distance_cm,
                             autoLog=False)
    monitor.setSizePix(list(size_pix))
    if gamma and profile.gamma is not None:
        monitor.setGamma(profile.gamma)
    if gamma and profile.calibration:
        apply_calibration(monitor, profile.calibration)
    return monitor


def apply_calibration(monitor: monitors.Monitor, calibration: dict[str, Any]) -> None:
    """A profile's photometer calibration as Monitor Center holds one: the gamma grid
    (min, max, gamma for luminance and each gun), the readings and the date."""
    row = [calibration["min_cd_m2"], calibration["max_cd_m2"], calibration["gamma"]]
    monitor.setGammaGrid(np.array([row] * 4, dtype=float))
    monitor.setLevelsPre(list(calibration["levels"]))
    monitor.setLumsPre(list(calibration["luminance_cd_m2"]))
    try:
        monitor.setCalibDate(_dt.datetime.fromisoformat(calibration["date"]))
    except (TypeError, ValueError):
        log.warning("calibration date %r is not ISO 8601", calibration.get("date"))


def calibration_record(profile: DisplayProfile) -> dict[str, Any]:
    """Which calibration a session runs under (sidecar ``calibration``), with its date;
    for a Monitor Center calibration the date saved there."""
    record = calibration_provenance(profile.as_dict())
    if record["kind"] == "monitor-center" and profile.psychopy_monitor in (
            monitors.getAllMonitors()):
        date = monitors.Monitor(profile.psychopy_monitor).getCalibDate()
        record["date"] = date.isoformat() if hasattr(date, "isoformat") else str(date)
    return record


def renderer_name() -> str:
    try:
        from pyglet.gl import gl_info
        return str(gl_info.get_renderer())
    except Exception:  # no GL context info: not decisive
        return "unknown"


def screen_size(screen: int) -> tuple[int, int] | None:
    """Width and height in px of screen number ``screen`` as pyglet sees it (None when it
    cannot tell; PsychoPy then reports the screen itself)."""
    try:
        import pyglet
        screens = pyglet.canvas.get_display().get_screens()
    except Exception:  # no canvas API or no display: let PsychoPy say so
        return None
    if not 0 <= screen < len(screens):
        return None
    return int(screens[screen].width), int(screens[screen].height)


def open_window(profile: DisplayProfile, *, distance_cm: float, background: float,
                windowed: bool = False) -> tuple[visual.Window, list[str]]:
    """Open the session window (``pix`` units, background grey in [0, 1]).

    If the display cannot take a gamma table (Xvfb, some drivers), the window is opened
    again without gamma and a warning is returned.
    """
    warnings: list[str] = []
    kwargs = dict(units="pix", color=[background * 2 - 1] * 3, colorSpace="rgb",
                  fullscr=not windowed, screen=profile.screen, allowGUI=windowed,
                  waitBlanking=True, checkTiming=False)
    # fullscreen takes the screen's own size: asking PsychoPy for the profile's (when the
    # screen differs) only makes it print "User requested fullscreen with size ..."; the
    # pre-flight says which size is used and what that means for sizes in degrees
    size = WINDOWED_SIZE if windowed else (screen_size(profile.screen)
                                           or tuple(profile.resolution))
    wants_gamma = profile.gamma is not None or bool(profile.psychopy_monitor)
    try:
        win = visual.Window(size=size, monitor=make_monitor(profile, distance_cm), **kwargs)
    except (OSError, RuntimeError) as err:
        if not wants_gamma:
            raise LabInputError(
                f"cannot open a window on this display ({str(err).splitlines()[0]}); check "
                "the profile's screen number and the display connection"
            ) from err
        msg = ("display cannot take a gamma table; running WITHOUT gamma correction "
               f"({str(err).splitlines()[0]})")
        log.warning(msg)
        warnings.append(msg)
        win = visual.Window(size=size, monitor=make_monitor(profile, distance_cm, gamma=False),
                            **kwargs)
    win.mouseVisible = True
    return win, warnings


def gamma_loaded(win: visual.Window) -> bool:
    """True when the display's gamma ramp is something other than the identity."""
    try:
        ramp = win.backend.getGammaRamp()
    except Exception:  # backend or display without a readable ramp
        return False
    if ramp is None:
        return False
    ramp = np.asarray(ramp, dtype=float)
    identity = np.linspace(0.0, 1.0, ramp.shape[-1])
    return bool(np.abs(ramp - identity).max() > 1e-3)


def measure_rate(win: visual.Window, frames: int = 60, warmup: int = 10) -> float:
    """Median flip rate in Hz over ``frames`` flips (after ``warmup``)."""
    for _ in range(warmup):
        win.flip()
    stamps = [win.flip() for _ in range(frames + 1)]
    intervals = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return 1.0 / statistics.median(intervals)


def looks_virtual(renderer: str, measured_rate_hz: float) -> bool:
    """A software GL renderer, an Xvfb display, or flips faster than any monitor."""
    name = renderer.lower()
    return (any(s in name for s in SOFTWARE_RENDERERS)
            or measured_rate_hz > MAX_REAL_RATE_HZ)


class FrameClock:
    """Flips the window and keeps every flip's time stamp.

    On a real display each flip waits for the vertical blank and its stamp is the flip's
    return value. On a virtual display (``pace_hz`` given) a flip waits for the next tick
    of a virtual vsync at that rate and its stamp is that tick, like a real display: a
    frame drawn too late for a tick is shown on a later one, and the interval shows it.
    """

    def __init__(self, win: visual.Window, pace_hz: float | None = None) -> None:
        self.win = win
        self.pace_period = 1.0 / pace_hz if pace_hz else None
        self._anchor: float | None = None
        self.stamps: list[float] = []

    def flip(self) -> float:
        if self.pace_period is not None:
            now = time.perf_counter()
            if self._anchor is None:
                self._anchor = now
            ticks = max(1, -int(-(now - self._anchor) // self.pace_period))
            deadline = self._anchor + ticks * self.pace_period
            if deadline - now > 0.002:
                time.sleep(deadline - now - 0.0015)
            while time.perf_counter() < deadline:
                pass
            self.win.flip()
            stamp = deadline
        else:
            stamp = self.win.flip()
        self.stamps.append(stamp)
        return stamp

    def stall(self, seconds: float) -> None:
        """Hold the next flip back by ``seconds`` (a test hook: a forced dropped frame)."""
        time.sleep(seconds)
