"""One frame-locked trial: the design's phases (fixation, image, blank, mask, blank in the
paper's design), the response screen (and practice feedback), and the inter-trial interval
(ITI) after it.

Every phase is a counted number of flips (:mod:`experiment.run.frame_loop`, one loop for
all); onsets are the flips' time stamps; :data:`DRAWING` says how each phase before the
response screen is drawn. Garbage
collection is off from fixation onset to the end of the response screen. The ITI
(:func:`run_iti`) is where the next trial is prepared and the last record made durable:
its onset is flipped first, the work runs while the fixation screen stays up, and the
remaining flips bring the next trial's fixation onset to the ITI's planned frames (later
only if the work took longer; ``preceding_iti_ms`` then shows it).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from psychopy import event

from experiment.plan.frames import FramePlan
from experiment.plan.layout import hit_test
from experiment.run.frame_loop import run_phases, show_phase
from experiment.run.trial_result import TrialResult, timed_result
from experiment.window.display import FrameClock
from experiment.window.screens import Screens
from lab.categories import NO_RESPONSE

__all__ = ["DRAWING", "ResponseCollector", "TrialResult", "run_trial"]


#: How each phase before the response screen is drawn, by name (the design file's
#: ``[phases]`` gives the order and the durations). A design phase missing here cannot run
#: in a window: the booth refuses it before the first trial (:func:`undrawable`).
DRAWING: dict[str, Callable[[Screens], None]] = {
    "fixation": lambda screens: screens.draw_fixation(),
    "image": lambda screens: screens.draw_image(),
    "blank_after_image": lambda screens: None,  # the background alone
    "mask": lambda screens: screens.draw_mask(),
    "blank_after_mask": lambda screens: None,
}


def undrawable(plan: FramePlan) -> list[str]:
    """Phases before the response screen that :data:`DRAWING` does not know."""
    return [name for name, _ in plan.before("response") if name not in DRAWING]


class ResponseCollector:
    """Polls the mouse once per frame; a new press on an icon is a valid click."""

    def __init__(self, mouse: event.Mouse, screens: Screens) -> None:
        self.mouse = mouse
        self.screens = screens
        self._was_down = False
        self._last_time = 0.0

    def hide(self) -> None:
        """From fixation to response onset the pointer is hidden (never over the image);
        mouse events from before the trial are dropped (keys stay: an Escape pressed
        during the trial is seen at the response screen)."""
        event.clearEvents("mouse")
        self.mouse.setVisible(False)

    def reset(self) -> None:
        """At response onset: pointer to the centre and shown, press clocks to zero."""
        self.mouse.setPos((0, 0))
        self.mouse.setVisible(True)
        self.mouse.clickReset()
        self._was_down = bool(self.mouse.getPressed()[0])
        self._last_time = float(self.mouse.getPressed(getTime=True)[1][0])

    def poll(self) -> tuple[str, float, float, float] | None:
        """(category or '', x, y, seconds since reset) of a new left press, else None.

        A press is new when the button went down since the last poll, or when its press
        time changed: a click whose press and release both fall between two polls (a
        quick click during a slow frame) leaves the button up but its time stamped."""
        pressed, times = self.mouse.getPressed(getTime=True)
        down = bool(pressed[0])
        stamped = float(times[0]) != self._last_time
        new = (down and not self._was_down) or stamped
        self._was_down = down
        self._last_time = float(times[0])
        if not new:
            return None
        x, y = (float(v) for v in self.mouse.getPos())
        return hit_test(self.screens.cells, x, y) or "", x, y, float(times[0])

    def escape_pressed(self) -> bool:
        """True if Escape was pressed since the last look."""
        return bool(event.getKeys(keyList=["escape"]))


def run_trial(
    clock: FrameClock,
    screens: Screens,
    plan: FramePlan,
    collector: ResponseCollector,
    *,
    click_to_continue: bool = False,
    on_response_onset: Callable[[], None] | None = None,
    feedback_for: str | None = None,
    on_feedback: Callable[[], None] | None = None,
    iti_onset: float | None = None,
    stall: tuple[str, float] | None = None,
) -> TrialResult:
    """Run one trial whose image and mask are already prepared on ``screens`` (the ITI
    after it is :func:`run_iti`): each phase before the response screen as
    :data:`DRAWING` draws it, then the response screen.

    ``feedback_for`` (practice only): after the response screen, the icon of that class
    is highlighted for the ``feedback`` phase and ``on_feedback`` is called.
    ``iti_onset``: the stamp :func:`run_iti` returned when the ITI directly preceded this
    trial. ``stall`` (a test hook, see :mod:`experiment.plan.hooks`): ``(phase, seconds)``,
    sleep that long before the flip that ends that phase, which forces a dropped frame
    while its last frame is shown.
    """
    collector.hide()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    response, rt, clicks, escape = NO_RESPONSE, float("nan"), [], False

    def respond(k: int) -> bool:
        nonlocal response, rt, escape
        if k == 0:
            collector.reset()
            if on_response_onset is not None:
                on_response_onset()
        click = collector.poll()
        if click is not None:
            category, x, y, t = click
            clicks.append((x, y, t))
            if category:
                response, rt = category, t
                if click_to_continue:
                    return True
        if collector.escape_pressed():
            escape = True
        return False

    draw = {name: (lambda d=d: d(screens)) for name, d in DRAWING.items()}
    draw["response"] = screens.draw_response
    try:
        stamps = run_phases(clock, plan, draw, respond, stall=stall)
    finally:
        if gc_was_enabled:
            gc.enable()

    if feedback_for is not None:
        if on_feedback is not None:
            on_feedback()
        show_phase(clock, lambda: screens.draw_response(highlight=feedback_for),
                   plan["feedback"])

    return timed_result(plan, stamps, response=response, rt=rt, iti_onset=iti_onset,
                        escape=escape, clicks=clicks)


def run_iti(clock: FrameClock, screens: Screens, plan: FramePlan,
            work: Callable[[], None] | None = None) -> float:
    """The inter-trial interval: flip the fixation screen (its onset), run ``work`` (save
    the record, prepare the next trial) while it stays up, then flip on until the next
    flip, the next trial's first frame, lands ``plan["iti"]`` frames after the onset.
    Returns the onset stamp (pass it to the next :func:`run_trial`)."""
    screens.draw_fixation()
    onset = clock.flip()
    if work is not None:
        work()
    period = plan.period_s
    last = onset
    while round((last - onset) / period) < plan["iti"] - 1:
        screens.draw_fixation()
        last = clock.flip()
    return onset


@dataclass
class Pacing:
    """What the booth keeps between trials: the last ITI's onset (None after a prompt),
    the trial prepared for next, and how long each preparation took."""

    iti_onset: float | None = None
    next_trial: object = None
    last_ms: float = math.nan  #: the latest preparation of a trial
    times_ms: list[tuple[int | None, float]] = field(default_factory=list)  #: in ITIs
    outside_ms: float = 0.0  #: the longest preparation outside an ITI

    def prepared(self, trial: object, seconds: float, *, in_iti: bool) -> None:
        """Record one preparation (``trial`` None: the ITI only saved a record); one
        outside an ITI (first trial, after a prompt) is not held to the ITI's budget."""
        self.next_trial = trial
        if trial is not None:
            self.last_ms = seconds * 1000.0
        if in_iti:
            self.times_ms.append((getattr(trial, "trial", None), seconds * 1000.0))
        else:
            self.outside_ms = max(self.outside_ms, seconds * 1000.0)

    def reset(self) -> None:
        """Forget everything (after practice: practice times are no session data)."""
        self.iti_onset = None
        self.next_trial = None
        self.last_ms = math.nan
        self.times_ms.clear()
        self.outside_ms = 0.0

    def summary(self, plan: FramePlan) -> dict[str, object]:
        """For the sidecar: the worst and median preparation done in an ITI in this run
        (saving the last record, preparing the next trial), how often it took longer than
        the ITI leaves (its planned frames less the first one), and the longest one
        outside an ITI (before the first trial, after a prompt)."""
        outside = {"worst_outside_iti_ms": round(self.outside_ms, 3)}
        if not self.times_ms:
            return {"n": 0, **outside}
        values = sorted(ms for _, ms in self.times_ms)
        worst_trial, worst = max(self.times_ms, key=lambda item: item[1])
        budget = (plan["iti"] - 1) * plan.period_s * 1000.0
        return {
            "n": len(values), "worst_ms": round(worst, 3), "worst_before_trial": worst_trial,
            "median_ms": round(values[len(values) // 2], 3),
            "iti_budget_ms": round(budget, 3),
            "over_budget": sum(ms > budget for ms in values), **outside,
        }
