"""The simulated observer: real mouse events on the window through ``xdotool``.

At response onset it moves the pointer to the planned icon's screen position and presses
the left button for about 80 ms (``mousedown``/``mouseup``; PsychoPy sees these as a real
observer's clicks). The planned answers and click times come from a policy
(:mod:`experiment.plan.policies`), are seeded and stored in the trial list; this class only
delivers them, as one of the :class:`~experiment.plan.observers.Observer` kinds.
"""

from __future__ import annotations

import logging
import math
import shutil
import statistics
import subprocess

from psychopy import visual

from experiment.plan.layout import IconCell
from experiment.plan.observers import (
    CLICK_DELAY_S,
    PROMPT_DELAY_S,
    AnswerPolicy,
    PlannedAnswers,
    ResponseSink,
)
from experiment.plan.trial_list import PlannedTrial
from lab.categories import NO_RESPONSE
from lab.errors import LabInputError

log = logging.getLogger(__name__)

#: How long the button is held (seconds).
HOLD_S = 0.08
#: The delivery lag subtracted from planned click times is the median of this many last
#: clicks' lags (recorded response time minus requested delay).
LAG_WINDOW = 10


def require_xdotool() -> str:
    path = shutil.which("xdotool")
    if path is None:
        raise LabInputError(
            "--simulate-observer needs xdotool: install it (apt-get install xdotool)"
        )
    return path


class SimulatedObserver:
    """Clicks through xdotool; one click process at a time."""

    def __init__(self, win: visual.Window, cells: list[IconCell]) -> None:
        self.xdotool = require_xdotool()
        self.win = win
        self.cells = {c.category: c for c in cells}
        self._proc: subprocess.Popen[bytes] | None = None
        self._requested: float | None = None
        self._lags: list[float] = []

    @property
    def lag_s(self) -> float:
        """Estimated delivery lag: starting xdotool, moving, the next frame's poll."""
        return statistics.median(self._lags[-LAG_WINDOW:]) if self._lags else 0.0

    def observed(self, rt: float) -> None:
        """The recorded response time of the last click (NaN: none); updates the lag."""
        if self._requested is not None and not math.isnan(rt):
            self._lags.append(rt - self._requested)
        self._requested = None

    def screen_position(self, x: float, y: float) -> tuple[int, int]:
        """Window pixel (centre origin, y up) -> X screen pixel."""
        left, top = self.win.winHandle.get_location()
        width, height = self.win.winHandle.get_size()
        return round(left + width / 2 + x), round(top + height / 2 - y)

    def click_at(self, x: float, y: float, delay_s: float = CLICK_DELAY_S) -> None:
        """Start (without waiting) a move + press + release at window point (x, y)."""
        self.wait()
        sx, sy = self.screen_position(x, y)
        self._proc = subprocess.Popen(
            [self.xdotool, "sleep", f"{delay_s:.3f}", "mousemove", str(sx), str(sy),
             "mousedown", "1", "sleep", f"{HOLD_S:.3f}", "mouseup", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def respond(self, answer: str, rt_s: float | None = None,
                latest_s: float | None = None) -> None:
        """Click the icon of ``answer`` (nothing for ``na`` or an empty plan) after
        ``rt_s`` seconds (default :data:`CLICK_DELAY_S`), at most ``latest_s``.

        The click arrives later than requested by its delivery (starting xdotool, moving
        the pointer, the next frame's poll: tens of ms, more on a busy machine); a planned
        ``rt_s`` is shortened by the lag measured on the previous clicks
        (:meth:`observed`), so recorded times follow the planned ones."""
        self._requested = None
        if answer in ("", NO_RESPONSE):
            return
        delay = CLICK_DELAY_S if rt_s is None else max(0.0, rt_s - self.lag_s)
        if latest_s is not None:
            delay = min(delay, latest_s)
        cell = self.cells[answer]
        self._requested = max(0.0, delay)
        self.click_at(cell.x, cell.y, delay_s=self._requested)

    # -- the Observer protocol: the click reaches PsychoPy's mouse through X ----------
    kind = "xdotool"
    policy: AnswerPolicy = PlannedAnswers()
    latest_s: float | None = None  #: set by the booth: the latest useful click time

    def response_onset(self, trial: PlannedTrial, sink: ResponseSink) -> None:
        answer = self.policy.answer(trial)
        self.respond(answer.category, answer.delay_s, self.latest_s)

    def prompt(self, sink: ResponseSink) -> None:
        self.click_at(0, -300, delay_s=PROMPT_DELAY_S)

    def settle(self) -> None:
        self.wait()

    def wait(self, timeout_s: float = 5.0) -> None:
        """Let a running click finish (so it never spills into the next screen)."""
        if self._proc is not None:
            try:
                self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("xdotool did not finish in %.1f s; killed", timeout_s)
                self._proc.kill()
                self._proc.wait()
            self._proc = None
