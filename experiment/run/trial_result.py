"""What one trial produced, and the one place its timing measures are computed.

The window's trial loop (:func:`experiment.window.trial.run_trial`) records the flip time
stamps of each phase; the window-less presenter (:mod:`experiment.run.windowless`) makes
the stamps a perfect display would give. Both turn them into a :class:`TrialResult` with
:func:`timed_result`, so the two can never disagree on what a measure means."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from experiment.plan.frames import DROP_FACTOR, FramePlan, phase_timing


@dataclass
class TrialResult:
    """What happened in one trial."""

    response: str
    rt: float  #: seconds from response onset; NaN without a response
    image_frames_planned: int
    image_frames_shown: int
    mask_frames_planned: int
    mask_frames_shown: int
    image_duration_ms: float  #: image onset to the blank's onset
    mask_duration_ms: float  #: mask onset to the blank's onset
    soa_ms: float  #: mask onset - image onset
    preceding_iti_ms: float  #: ITI onset before this trial to its fixation onset (or NaN)
    max_frame_interval_ms: float
    dropped_frames: int
    flagged: bool
    escape: bool = False
    clicks: list[tuple[float, float, float]] = field(default_factory=list)  #: x, y, rt
    preparation_ms: float = math.nan  #: set by the booth: how long preparing this trial took


@dataclass(frozen=True)
class FlipStamps:
    """The flip time stamps (seconds) of one trial: one per frame of each phase, the
    one-frame blanks after image and mask, and the response screen's onset."""

    fixation: Sequence[float]
    image: Sequence[float]
    blank_after_image: float
    mask: Sequence[float]
    blank_after_mask: float
    response_onset: float


def timed_result(plan: FramePlan, stamps: FlipStamps, *, response: str, rt: float,
                 iti_onset: float | None = None, escape: bool = False,
                 clicks: list[tuple[float, float, float]] | None = None) -> TrialResult:
    """A trial's record from its flip stamps: frames shown per phase, measured image and
    mask durations, SOA, the ITI before it, the longest frame interval, dropped frames
    (intervals over :data:`~experiment.plan.frames.DROP_FACTOR` periods) and ``flagged``
    (a drop while the image or the mask was on screen)."""
    period = plan.period_s
    image, mask = list(stamps.image), list(stamps.mask)
    blank1, blank2 = stamps.blank_after_image, stamps.blank_after_mask
    image_timing = phase_timing(image, blank1, period)
    mask_timing = phase_timing(mask, blank2, period)
    timed = [*stamps.fixation, *image, blank1, *mask, blank2, stamps.response_onset]
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
        image_duration_ms=(blank1 - image[0]) * 1000.0,
        mask_duration_ms=(blank2 - mask[0]) * 1000.0,
        soa_ms=(mask[0] - image[0]) * 1000.0,
        preceding_iti_ms=(math.nan if iti_onset is None
                          else (stamps.fixation[0] - iti_onset) * 1000.0),
        max_frame_interval_ms=max(intervals) * 1000.0,
        dropped_frames=sum(1 for i in intervals if i > DROP_FACTOR * period),
        flagged=any(i > DROP_FACTOR * period for i in critical_intervals),
        escape=escape,
        clicks=clicks if clicks is not None else [],
    )


def ideal_stamps(plan: FramePlan, *, late_image_frames: int = 0) -> FlipStamps:
    """The stamps of a display that never misses a flip (the window-less presenter);
    ``late_image_frames``: the last image frame stays up that many periods longer (a
    forced drop, :mod:`experiment.plan.hooks`)."""
    period = plan.period_s
    frame = 0

    def take(n: int) -> list[float]:
        nonlocal frame
        out = [(frame + k) * period for k in range(n)]
        frame += n
        return out

    fixation = take(plan.fixation)
    image = take(plan.image)
    frame += late_image_frames
    blank1 = take(1)[0]
    mask = take(plan.mask)
    blank2 = take(1)[0]
    return FlipStamps(fixation, image, blank1, mask, blank2, take(1)[0])
