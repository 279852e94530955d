"""Frame arithmetic (Geirhos et al. 2018, Methods: trial timing): every duration is a
whole number of frames.

The session converts milliseconds to frames once, before the first trial, and refuses a
refresh rate at which a duration is not a whole frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.errors import LabInputError
from lab.inputs import MAX_PHASE_MS, number
from lab.phases import TrialPhases

#: Relative tolerance for "ms * rate / 1000 is a whole number".
WHOLE_FRAME_TOLERANCE = 1e-3
#: Largest allowed difference between measured and profile refresh rate (1%).
RATE_TOLERANCE = 0.01
#: A frame interval longer than this many nominal frames counts as a dropped frame.
DROP_FACTOR = 1.5


def parse_durations(text: str) -> dict[str, float]:
    """``"fixation=100,image=50"`` -> ``{"fixation": 100.0, "image": 50.0}`` (``--durations``).

    Checks the form and the bounds of each value (more than 0, at most
    :data:`lab.inputs.MAX_PHASE_MS`, finite); the names are checked against the design's
    phases when the session is planned (:meth:`lab.phases.TrialPhases.override`, which
    lists the phases a design has)."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        key = key.strip()
        try:
            float(value)
        except ValueError:
            raise LabInputError(
                f"--durations: {part!r} is not phase=milliseconds (e.g. image=200)"
            ) from None
        values[key] = number(value, f"--durations {key}=", low=0.0, low_open=True,
                             high=MAX_PHASE_MS, example="image=200 (ms)")
    return values


@dataclass(frozen=True)
class FramePlan:
    """The trial's phases in frames at one refresh rate, in the order shown."""

    rate_hz: float
    phases: tuple[tuple[str, int], ...]  #: (name, frames)

    @property
    def period_s(self) -> float:
        return 1.0 / self.rate_hz

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.phases)

    def __getitem__(self, name: str) -> int:
        """Frames of phase ``name`` (``KeyError`` if the design has no such phase)."""
        return dict(self.phases)[name]

    def before(self, name: str) -> tuple[tuple[str, int], ...]:
        """The phases shown before phase ``name``."""
        return self.phases[:self.names.index(name)]

    def as_dict(self) -> dict[str, float]:
        """``rate_hz`` and each phase's frames (the sidecar's ``frames``)."""
        return {"rate_hz": self.rate_hz, **dict(self.phases)}


def describe_frames(plan: FramePlan) -> str:
    """``fixation 18, image 12, ...``: each phase's frames, for summaries and reports."""
    return ", ".join(f"{name} {frames}" for name, frames in plan.phases)


def frames_for(ms: float, rate_hz: float) -> int:
    """``ceil(ms * rate / 1000)``, robust to float noise (200 ms at 60 Hz is 12)."""
    exact = ms * rate_hz / 1000.0
    return math.ceil(exact - WHOLE_FRAME_TOLERANCE)


def is_whole_frames(ms: float, rate_hz: float) -> bool:
    """True when ``ms`` is a whole number of frames at ``rate_hz`` (within tolerance)."""
    exact = ms * rate_hz / 1000.0
    return abs(exact - round(exact)) <= WHOLE_FRAME_TOLERANCE * max(1.0, exact) and round(
        exact
    ) >= 1


def plan_frames(phases: TrialPhases, rate_hz: float) -> FramePlan:
    """Convert the phases' milliseconds to frames (a ``{ frames = n }`` phase keeps its
    ``n``); :class:`LabInputError` if any is not a whole number of frames.

    The message names every offending duration and the rates that work.
    """
    if not rate_hz > 0:
        raise LabInputError(f"refresh rate {rate_hz} Hz is not positive; check the display")
    bad = [f"{name} {ms:g} ms is {ms * rate_hz / 1000:.2f} frames"
           for name, ms in phases.as_dict().items() if not is_whole_frames(ms, rate_hz)]
    if bad:
        raise LabInputError(
            f"at {rate_hz:g} Hz {', '.join(bad)}: not a whole number of frames; "
            "set the display to 60 or 120 Hz"
        )
    return FramePlan(rate_hz, tuple(
        (p.name, p.frames if p.ms is None else frames_for(p.ms, rate_hz)) for p in phases))


def check_rate(measured_hz: float, profile_hz: float, *, allow_mismatch: bool = False) -> bool:
    """True if ``measured_hz`` is within 1% of the profile's rate.

    Raises :class:`LabInputError` when it is not and ``allow_mismatch`` is false;
    returns False (the caller logs the override) when it is allowed.
    """
    if abs(measured_hz - profile_hz) <= RATE_TOLERANCE * profile_hz:
        return True
    if allow_mismatch:
        return False
    raise LabInputError(
        f"measured refresh rate {measured_hz:.2f} Hz differs from the display profile's "
        f"{profile_hz:g} Hz by more than 1%: set the display mode, fix the profile, or pass "
        "--allow-rate-mismatch"
    )


@dataclass(frozen=True)
class PhaseTiming:
    """Frames shown and dropped during one phase, from flip time stamps."""

    frames_shown: int
    dropped: int
    max_interval_s: float


def phase_timing(stamps: list[float], end_stamp: float, period_s: float) -> PhaseTiming:
    """Account for one phase drawn on ``len(stamps)`` flips and replaced at ``end_stamp``.

    Each interval between consecutive onsets is worth ``round(interval / period)``
    refreshes of the display (at least one): a late flip means the previous frame stayed
    on screen longer, so frames shown exceed the frames drawn. An interval longer than
    :data:`DROP_FACTOR` periods counts as a dropped frame.
    """
    onsets = [*stamps, end_stamp]
    intervals = [b - a for a, b in zip(onsets, onsets[1:], strict=False)]
    shown = sum(max(1, round(i / period_s)) for i in intervals)
    dropped = sum(1 for i in intervals if i > DROP_FACTOR * period_s)
    return PhaseTiming(shown, dropped, max(intervals, default=0.0))
