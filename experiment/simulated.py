"""The simulated observer: real mouse events on the window through ``xdotool``.

At response onset it moves the pointer to the planned icon's screen position and presses
the left button for about 80 ms (``mousedown``/``mouseup``; PsychoPy sees these as a real
observer's clicks). What it answers and when comes from an
:class:`~experiment.observers.AnswerPolicy` (by default the seeded click planned in the
trial list); this class only delivers it, as one of the
:class:`~experiment.observers.Observer` kinds.
"""

from __future__ import annotations

import logging
import shutil
import subprocess

from psychopy import visual

from experiment.layout import IconCell
from experiment.observers import (
    CLICK_DELAY_S,
    PROMPT_DELAY_S,
    AnswerPolicy,
    PlannedAnswers,
    ResponseSink,
)
from experiment.trial_list import PlannedTrial
from stimuli.categories import NO_RESPONSE
from stimuli.errors import LabInputError

log = logging.getLogger(__name__)

#: How long the button is held (seconds).
HOLD_S = 0.08


def require_xdotool() -> str:
    path = shutil.which("xdotool")
    if path is None:
        raise LabInputError(
            "--simulate-observer needs xdotool: install it (apt-get install xdotool)"
        )
    return path


class SimulatedObserver:
    """Clicks through xdotool; one click process at a time."""

    kind = "xdotool"

    def __init__(self, win: visual.Window, cells: list[IconCell],
                 policy: AnswerPolicy | None = None) -> None:
        self.xdotool = require_xdotool()
        self.policy = policy or PlannedAnswers()
        self.win = win
        self.cells = {c.category: c for c in cells}
        self._proc: subprocess.Popen[bytes] | None = None

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

    def respond(self, answer: str, delay_s: float = CLICK_DELAY_S) -> None:
        """Click the icon of ``answer`` (nothing for ``na`` or an empty plan)."""
        if answer in ("", NO_RESPONSE):
            return
        cell = self.cells[answer]
        self.click_at(cell.x, cell.y, delay_s)

    # -- the Observer protocol: the click reaches PsychoPy's mouse through X ----------
    def response_onset(self, trial: PlannedTrial, sink: ResponseSink) -> None:
        answer = self.policy.answer(trial)
        self.respond(answer.category, answer.delay_s)

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
