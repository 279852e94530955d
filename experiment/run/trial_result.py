"""What one trial produced: the window's trial loop
(:func:`experiment.window.trial.run_trial`) and the window-less presenter
(:mod:`experiment.run.windowless`) both return it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


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
