"""What one trial produced, and the one place its timing measures are computed.

The window's trial loop (:func:`experiment.window.trial.run_trial`) records the flip time
stamps of each phase; the window-less presenter (:mod:`experiment.run.windowless`) makes
the stamps a perfect display would give. Both turn them into a :class:`TrialResult` with
:func:`timed_result`, so the two can never disagree on what a measure means."""

from __future__ import annotations

import math
from collections.abc import Mapping
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


#: The flip time stamps (seconds) of one trial: for each phase in the order shown, one per
#: frame drawn, from the first phase up to the response screen (of which only its onset,
#: the first stamp, is used).
FlipStamps = dict[str, list[float]]


def _timed_part(stamps: FlipStamps) -> list[tuple[str, list[float]]]:
    """The phases before the response screen, then the response screen's onset."""
    names = list(stamps)
    if "response" not in names or not stamps["response"]:
        raise ValueError("the flip stamps end before the response screen's onset")
    cut = names.index("response")
    return [*((n, list(stamps[n])) for n in names[:cut]), ("response", [stamps["response"][0]])]


def timed_result(plan: FramePlan, stamps: FlipStamps, *, response: str, rt: float,
                 iti_onset: float | None = None, escape: bool = False,
                 clicks: list[tuple[float, float, float]] | None = None) -> TrialResult:
    """A trial's record from its flip stamps: frames shown per phase, measured image and
    mask durations, SOA, the ITI before it, the longest frame interval, dropped frames
    (intervals over :data:`~experiment.plan.frames.DROP_FACTOR` periods) and ``flagged``
    (a drop while the image, the mask, or anything between them was on screen).

    The timed part runs from the trial's first flip to the response screen's onset; a
    phase ends at the first flip of the phase after it."""
    period = plan.period_s
    timed = _timed_part(stamps)
    names = [n for n, _ in timed]

    def onset_after(name: str) -> float:
        return timed[names.index(name) + 1][1][0]

    image, mask = dict(timed)["image"], dict(timed)["mask"]
    image_timing = phase_timing(image, onset_after("image"), period)
    mask_timing = phase_timing(mask, onset_after("mask"), period)
    flips = [t for _, phase in timed for t in phase]
    intervals = [b - a for a, b in zip(flips, flips[1:], strict=False)]
    critical = [*(t for _, phase in timed[names.index("image"):names.index("mask") + 1]
                  for t in phase), onset_after("mask")]
    critical_intervals = [b - a for a, b in zip(critical, critical[1:], strict=False)]
    return TrialResult(
        response=response,
        rt=rt,
        image_frames_planned=plan["image"],
        image_frames_shown=image_timing.frames_shown,
        mask_frames_planned=plan["mask"],
        mask_frames_shown=mask_timing.frames_shown,
        image_duration_ms=(onset_after("image") - image[0]) * 1000.0,
        mask_duration_ms=(onset_after("mask") - mask[0]) * 1000.0,
        soa_ms=(mask[0] - image[0]) * 1000.0,
        preceding_iti_ms=(math.nan if iti_onset is None
                          else (flips[0] - iti_onset) * 1000.0),
        max_frame_interval_ms=max(intervals) * 1000.0,
        dropped_frames=sum(1 for i in intervals if i > DROP_FACTOR * period),
        flagged=any(i > DROP_FACTOR * period for i in critical_intervals),
        escape=escape,
        clicks=clicks if clicks is not None else [],
    )


def ideal_stamps(plan: FramePlan, *, late: Mapping[str, int] | None = None) -> FlipStamps:
    """The stamps of a display that never misses a flip (the window-less presenter), up to
    the response screen's onset; ``late``: phase -> periods its last frame stays up
    longer (a forced drop, :mod:`experiment.plan.hooks`)."""
    late = late or {}
    period = plan.period_s
    frame = 0
    stamps: FlipStamps = {}
    for name, frames in plan.before("response"):
        stamps[name] = [(frame + k) * period for k in range(frames)]
        frame += frames + late.get(name, 0)
    stamps["response"] = [frame * period]
    return stamps
