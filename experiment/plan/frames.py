"""Frame arithmetic (Geirhos et al. 2018, Methods: trial timing): every duration is a
whole number of frames.

The session converts milliseconds to frames once, before the first trial, and refuses a
refresh rate at which a duration is not a whole frame.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from lab.errors import LabInputError
from lab.inputs import MAX_PHASE_MS, number

#: Relative tolerance for "ms * rate / 1000 is a whole number".
WHOLE_FRAME_TOLERANCE = 1e-3
#: Largest allowed difference between measured and profile refresh rate (1%).
RATE_TOLERANCE = 0.01
#: A frame interval longer than this many nominal frames counts as a dropped frame.
DROP_FACTOR = 1.5


@dataclass(frozen=True)
class Durations:
    """Phase durations of one trial in milliseconds (Geirhos et al. 2018, Methods)."""

    fixation: float = 300.0
    image: float = 200.0
    mask: float = 200.0
    response: float = 1500.0
    iti: float = 300.0
    feedback: float = 300.0  #: practice only: the correct icon highlighted

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def parse(cls, text: str) -> Durations:
        """``"fixation=100,image=50"`` -> Durations with those fields replaced."""
        values = cls().as_dict()
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            if key not in values:
                raise LabInputError(
                    f"--durations: unknown phase {key!r}; use {', '.join(values)}"
                )
            try:
                float(value)
            except ValueError:
                raise LabInputError(
                    f"--durations: {part!r} is not phase=milliseconds (e.g. image=200)"
                ) from None
            values[key] = number(value, f"--durations {key}=", low=0.0, low_open=True,
                                 high=MAX_PHASE_MS, example="image=200 (ms)")
        return cls(**values)


@dataclass(frozen=True)
class FramePlan:
    """Phase durations in frames at one refresh rate."""

    rate_hz: float
    fixation: int
    image: int
    mask: int
    response: int
    iti: int
    feedback: int

    @property
    def period_s(self) -> float:
        return 1.0 / self.rate_hz

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


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


def plan_frames(durations: Durations, rate_hz: float) -> FramePlan:
    """Convert ``durations`` to frames; :class:`LabInputError` if any is not whole.

    The message names the first offending duration and the rates that work.
    """
    if not rate_hz > 0:
        raise LabInputError(f"refresh rate {rate_hz} Hz is not positive; check the display")
    bad = [f"{name} {ms:g} ms is {ms * rate_hz / 1000:.2f} frames"
           for name, ms in durations.as_dict().items() if not is_whole_frames(ms, rate_hz)]
    if bad:
        raise LabInputError(
            f"at {rate_hz:g} Hz {', '.join(bad)}: not a whole number of frames; "
            "set the display to 60 or 120 Hz"
        )
    return FramePlan(rate_hz=rate_hz, **{
        name: frames_for(ms, rate_hz) for name, ms in durations.as_dict().items()
    })


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
