"""One frame-locked trial: fixation, image, blank, mask, blank, response (feedback), and
the inter-trial interval (ITI) after it.

Every phase is a counted number of flips; onsets are the flips' time stamps. Garbage
collection is off from fixation onset to the end of the response screen. The ITI
(:func:`run_iti`) is where the next trial is prepared and the last record made durable:
its onset is flipped first, the work runs while the fixation screen stays up, and the
remaining flips bring the next trial's fixation onset to the ITI's planned frames (later
only if the work took longer; ``preceding_iti_ms`` then shows it).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from psychopy import event

from experiment.plan.frames import FramePlan
from experiment.plan.layout import hit_test
from experiment.run.trial_result import FlipStamps, TrialResult, timed_result
from experiment.window.display import FrameClock
from experiment.window.screens import Screens
from lab.categories import NO_RESPONSE

__all__ = ["ResponseCollector", "TrialResult", "run_trial"]


class ResponseCollector:
    """Polls the mouse once per frame; a new press on an icon is a valid click."""

    def __init__(self, mouse: event.Mouse, screens: Screens) -> None:
        self.mouse = mouse
        self.screens = screens
        self._was_down = False
        self._last_time = 0.0

    def hide(self) -> None:
        """From fixation to response onset the pointer is hidden (never over the image)."""
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
    stall_s: float = 0.0,
) -> TrialResult:
    """Run one trial whose image and mask are already prepared on ``screens`` (the ITI
    after it is :func:`run_iti`).

    ``feedback_for`` (practice only): after the response screen, the icon of that class
    is highlighted for 300 ms (``plan.feedback`` frames) and ``on_feedback`` is called.
    ``iti_onset``: the stamp :func:`run_iti` returned when the ITI directly preceded this
    trial. ``stall_s`` (a test hook, see :mod:`experiment.plan.hooks`): sleep this long before
    the flip that ends the image, which forces a dropped frame while the image is shown.
    """
    flip = clock.flip
    event.clearEvents("mouse")  # keys stay: an Escape during the trial is seen below
    collector.hide()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        fixation = []
        for _ in range(plan.fixation):
            screens.draw_fixation()
            fixation.append(flip())
        image = []
        for _ in range(plan.image):
            screens.draw_image()
            image.append(flip())
        if stall_s > 0:  # test hook: the last image frame stays up too long
            time.sleep(stall_s)
        blank1 = flip()
        mask = []
        for _ in range(plan.mask):
            screens.draw_mask()
            mask.append(flip())
        blank2 = flip()

        response, rt, clicks, escape = NO_RESPONSE, float("nan"), [], False
        screens.draw_response()
        onset = flip()
        collector.reset()
        if on_response_onset is not None:
            on_response_onset()
        for frame in range(1, plan.response + 1):
            click = collector.poll()
            if click is not None:
                category, x, y, t = click
                clicks.append((x, y, t))
                if category:
                    response, rt = category, t
                    if click_to_continue:
                        break
            if event.getKeys(keyList=["escape"]):
                escape = True
            if frame == plan.response:
                break
            screens.draw_response()
            flip()
    finally:
        if gc_was_enabled:
            gc.enable()

    if feedback_for is not None:
        if on_feedback is not None:
            on_feedback()
        for _ in range(plan.feedback):
            screens.draw_response(highlight=feedback_for)
            flip()

    stamps = FlipStamps(fixation, image, blank1, mask, blank2, onset)
    return timed_result(plan, stamps, response=response, rt=rt, iti_onset=iti_onset,
                        escape=escape, clicks=clicks)


def run_iti(clock: FrameClock, screens: Screens, plan: FramePlan,
            work: Callable[[], None] | None = None) -> float:
    """The inter-trial interval: flip the fixation screen (its onset), run ``work`` (save
    the record, prepare the next trial) while it stays up, then flip on until the next
    flip, the next trial's first fixation frame, lands ``plan.iti`` frames after the
    onset. Returns the onset stamp (pass it to the next :func:`run_trial`)."""
    screens.draw_fixation()
    onset = clock.flip()
    if work is not None:
        work()
    period = plan.period_s
    last = onset
    while round((last - onset) / period) < plan.iti - 1:
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
        budget = (plan.iti - 1) * plan.period_s * 1000.0
        return {
            "n": len(values), "worst_ms": round(worst, 3), "worst_before_trial": worst_trial,
            "median_ms": round(values[len(values) // 2], 3),
            "iti_budget_ms": round(budget, 3),
            "over_budget": sum(ms > budget for ms in values), **outside,
        }
