"""The one frame loop of a trial: walk the design's phases, each a counted number of flips.

No PsychoPy here: the window (:func:`experiment.window.trial.run_trial`) hands in its frame
clock and how each phase is drawn (:data:`experiment.window.trial.DRAWING`); the tests
hand in a clock that counts frames. The stamps it returns go to
:func:`experiment.run.trial_result.timed_result`, the one record builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from experiment.plan.frames import FramePlan
from experiment.run.trial_result import FlipStamps


class Clock(Protocol):
    """What the loop needs of a display: a flip that returns its time stamp (seconds)."""

    def flip(self) -> float: ...

    def stall(self, seconds: float) -> None: ...


def show_phase(clock: Clock, draw: Callable[[], None], frames: int,
               after_flip: Callable[[int], bool] | None = None) -> list[float]:
    """``frames`` times draw and flip; the flips' stamps. ``after_flip(k)`` runs after flip
    ``k`` (0 = the phase's onset); True ends the phase early. The phase stays on screen
    until the next phase's first flip."""
    stamps = []
    for k in range(frames):
        draw()
        stamps.append(clock.flip())
        if after_flip is not None and after_flip(k):
            break
    return stamps


def run_phases(clock: Clock, plan: FramePlan, draw: Mapping[str, Callable[[], None]],
               respond: Callable[[int], bool] | None = None, *,
               stall: tuple[str, float] | None = None) -> FlipStamps:
    """Every phase before the response screen (``draw[name]`` draws it), then the response
    screen (``draw["response"]``; ``respond(k)`` after each of its flips, True ends it).

    ``stall`` (a test hook, :mod:`experiment.plan.hooks`): ``(phase, seconds)``, hold back
    the flip that ends that phase, which forces a dropped frame while it is on screen."""
    stamps: FlipStamps = {}
    for name, frames in plan.before("response"):
        stamps[name] = show_phase(clock, draw[name], frames)
        if stall is not None and stall[0] == name:
            clock.stall(stall[1])
    stamps["response"] = show_phase(clock, draw["response"], plan["response"], respond)
    return stamps
