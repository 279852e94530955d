"""The trial's frame loop and its record, run on a clock that counts frames (no window).

A perfect 60 Hz display is simulated: each flip lands on the next vertical blank; a stall
(the test hook of :mod:`experiment.plan.hooks`) holds the next flip back, so the frame on
screen stays up longer, as on a real display. What is asserted is what the paper's timing
rests on (Geirhos et al. 2018, Methods): image and mask shown for their planned frames,
their measured durations, and a dropped frame during the image or the mask flags the trial.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
from experiment_helpers import needs_display

from experiment.plan.frames import frames_for, is_whole_frames, plan_frames
from experiment.run.frame_loop import run_phases
from experiment.run.trial_result import timed_result
from lab.errors import LabInputError
from lab.phases import PAPER_PHASES, Phase, TrialPhases

RATE = 60.0
PERIOD = 1.0 / RATE


class CountingClock:
    """Flips on the ticks of a virtual vsync; :meth:`stall` passes time without a flip."""

    def __init__(self) -> None:
        self.now = 0.0
        self.stamps: list[float] = []

    def flip(self) -> float:
        tick = math.floor(self.now / PERIOD + 1e-6) + 1 if self.stamps else 0
        self.now = tick * PERIOD
        self.stamps.append(self.now)
        return self.now

    def stall(self, seconds: float) -> None:
        self.now += seconds


class Drawing:
    """Counts what each phase drew (one draw per flip)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.counts: Counter[str] = Counter()
        self.draw = {name: (lambda n=name: self.counts.update([n])) for name in names}


def run(phases: TrialPhases = PAPER_PHASES, stall: tuple[str, float] | None = None):
    plan = plan_frames(phases, RATE)
    clock, drawing = CountingClock(), Drawing(plan.names)
    stamps = run_phases(clock, plan, drawing.draw, stall=stall)
    return plan, drawing, timed_result(plan, stamps, response="cat", rt=0.4)


def test_a_clean_trial_shows_the_planned_frames_for_the_planned_time() -> None:
    plan, drawing, result = run()
    assert (plan["fixation"], plan["image"], plan["mask"], plan["response"]) == (18, 12, 12, 90)
    assert drawing.counts["image"] == plan["image"] == result.image_frames_planned
    assert drawing.counts["mask"] == plan["mask"] == result.mask_frames_planned
    assert drawing.counts["fixation"] == 18 and drawing.counts["response"] == 90
    assert drawing.counts["blank_after_image"] == drawing.counts["blank_after_mask"] == 1
    assert result.image_frames_shown == result.image_frames_planned
    assert result.mask_frames_shown == result.mask_frames_planned
    assert result.image_duration_ms == pytest.approx(200.0)
    assert result.mask_duration_ms == pytest.approx(200.0)
    assert result.soa_ms == pytest.approx(1000.0 * 13 / 60)  # image + the one blank frame
    assert result.max_frame_interval_ms == pytest.approx(1000.0 / 60)
    assert result.dropped_frames == 0 and not result.flagged


@pytest.mark.parametrize("phase, flagged", [
    ("fixation", False), ("image", True), ("blank_after_image", True), ("mask", True),
])
def test_a_stall_drops_one_frame_and_flags_it_only_during_image_or_mask(
        phase: str, flagged: bool) -> None:
    _, _, result = run(stall=(phase, 3 * PERIOD))
    assert result.dropped_frames == 1
    assert result.flagged is flagged
    assert result.max_frame_interval_ms == pytest.approx(4000.0 / 60)
    if phase == "mask":  # the mask's last frame stayed up 3 periods longer
        assert result.mask_frames_shown == result.mask_frames_planned + 3
        assert result.mask_duration_ms == pytest.approx(1000.0 * 15 / 60)
        assert result.image_frames_shown == result.image_frames_planned
    if phase == "image":
        assert result.image_frames_shown == result.image_frames_planned + 3
        assert result.mask_frames_shown == result.mask_frames_planned


def test_frames_are_the_documented_ceiling() -> None:
    """``ceil(ms * rate / 1000)`` (docs/experiment.md): 201 ms at 60 Hz is 12.06 frames,
    13 shown, and refused as not a whole number of frames before any trial."""
    assert frames_for(201, 60) == 13
    assert frames_for(199, 60) == 12
    assert not is_whole_frames(201, 60)
    with pytest.raises(LabInputError, match="image 201 ms is 12.06 frames"):
        plan_frames(PAPER_PHASES.override({"image": 201}), 60)


def test_a_new_phase_is_drawn_and_timed_by_the_same_loop() -> None:
    """The worked example of docs/contributing.md: a 100 ms cue before the image."""
    phases = TrialPhases((PAPER_PHASES.phases[0], Phase("cue", ms=100.0),
                          *PAPER_PHASES.phases[1:]))
    plan, drawing, result = run(phases)
    assert drawing.counts["cue"] == plan["cue"] == 6
    assert result.image_frames_shown == 12 and result.soa_ms == pytest.approx(1000 * 13 / 60)
    assert not result.flagged
    _, _, stalled = run(phases, stall=("cue", 3 * PERIOD))
    assert stalled.dropped_frames == 1 and not stalled.flagged  # before the image


@needs_display
def test_run_trial_walks_the_phases_with_feedback() -> None:
    """The window's trial (fake screens and mouse, the counting clock): each phase drawn
    for its frames, then the practice feedback; the click at response onset recorded."""
    from experiment.window.trial import DRAWING, run_trial

    calls: Counter[str] = Counter()

    class Screens:
        def draw_fixation(self) -> None:
            calls["fixation"] += 1

        def draw_image(self) -> None:
            calls["image"] += 1

        def draw_mask(self) -> None:
            calls["mask"] += 1

        def draw_response(self, highlight: str | None = None) -> None:
            calls["feedback" if highlight else "response"] += 1

    class Collector:
        polls = 0

        def hide(self) -> None: ...

        def reset(self) -> None: ...

        def poll(self):  # noqa: ANN202
            self.polls += 1
            return ("dog", 1.0, 2.0, 0.25) if self.polls == 3 else None

        def escape_pressed(self) -> bool:
            return False

    assert {"fixation", "image", "mask"} <= set(DRAWING)
    plan = plan_frames(PAPER_PHASES, RATE)
    result = run_trial(CountingClock(), Screens(), plan, Collector(), feedback_for="dog",
                       click_to_continue=True)
    assert calls == {"fixation": 18, "image": 12, "mask": 12, "response": 3, "feedback": 18}
    assert (result.response, result.rt, result.clicks) == ("dog", 0.25, [(1.0, 2.0, 0.25)])
    assert result.image_frames_shown == 12 and result.mask_duration_ms == pytest.approx(200)
