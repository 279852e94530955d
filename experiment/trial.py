"""One frame-locked trial (SPEC §3): fixation, image, blank, mask, blank, response, ITI.

Every phase is a counted number of flips; onsets are the flips' time stamps. Garbage
collection is off from fixation onset to the end of the response screen.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from psychopy import event

from experiment.display import FrameClock
from experiment.frames import DROP_FACTOR, FramePlan, phase_timing
from experiment.layout import hit_test
from experiment.screens import Screens
from experiment.trial_result import TrialResult
from stimuli.categories import NO_RESPONSE

__all__ = ["ResponseCollector", "TrialResult", "run_trial"]


class ResponseCollector:
    """Polls the mouse once per frame; a new press on an icon is a valid click."""

    def __init__(self, mouse: event.Mouse, screens: Screens) -> None:
        self.mouse = mouse
        self.screens = screens
        self._was_down = False

    def hide(self) -> None:
        """From fixation to response onset the pointer is hidden (never over the image)."""
        self.mouse.setVisible(False)

    def reset(self) -> None:
        """At response onset: pointer to the centre and shown, press clocks to zero."""
        self.mouse.setPos((0, 0))
        self.mouse.setVisible(True)
        self.mouse.clickReset()
        self._was_down = bool(self.mouse.getPressed()[0])

    def poll(self) -> tuple[str, float, float, float] | None:
        """(category or '', x, y, seconds since reset) of a new left press, else None."""
        pressed, times = self.mouse.getPressed(getTime=True)
        down = bool(pressed[0])
        new = down and not self._was_down
        self._was_down = down
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
) -> TrialResult:
    """Run one trial whose image and mask are already prepared on ``screens``.

    ``feedback_for`` (practice only): after the response screen, the icon of that class
    is highlighted for 300 ms (``plan.feedback`` frames) and ``on_feedback`` is called.
    """
    flip = clock.flip
    period = plan.period_s
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
    for _ in range(plan.iti):
        screens.draw_fixation()
        flip()

    image_timing = phase_timing(image, blank1, period)
    mask_timing = phase_timing(mask, blank2, period)
    timed = [*fixation, *image, blank1, *mask, blank2, onset]
    intervals = [b - a for a, b in zip(timed, timed[1:], strict=False)]
    critical = [*image, blank1, *mask, blank2]
    critical_intervals = [b - a for a, b in zip(critical, critical[1:], strict=False)]
    return TrialResult(
        response=response,
        rt=rt,
        image_frames_planned=plan.image,
        image_frames_shown=image_timing.frames_shown,
        mask_frames_planned=plan.mask,
        mask_frames_shown=mask_timing.frames_shown,
        image_duration_ms=(mask[0] - image[0]) * 1000.0,
        max_frame_interval_ms=max(intervals) * 1000.0,
        dropped_frames=sum(1 for i in intervals if i > DROP_FACTOR * period),
        flagged=any(i > DROP_FACTOR * period for i in critical_intervals),
        escape=escape,
        clicks=clicks,
    )
