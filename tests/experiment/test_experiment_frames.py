"""Frame arithmetic and the refresh-rate refusals (pure, no window)."""

from __future__ import annotations

import pytest

from experiment.plan.frames import (
    check_rate,
    frames_for,
    is_whole_frames,
    parse_durations,
    phase_timing,
    plan_frames,
)
from experiment.run.trial_result import ideal_stamps, timed_result
from lab.errors import LabInputError
from lab.phases import PAPER_PHASES


@pytest.mark.parametrize(("ms", "rate", "frames"), [
    (200, 60, 12), (200, 120, 24), (300, 60, 18), (300, 120, 36), (1500, 60, 90),
    (1500, 120, 180), (200, 100, 20),
])
def test_frames_for_whole_durations(ms: float, rate: float, frames: int) -> None:
    assert is_whole_frames(ms, rate)
    assert frames_for(ms, rate) == frames


@pytest.mark.parametrize("rate", [60, 120, 59.999, 120.0001])
def test_plan_frames_accepts_60_and_120_hz(rate: float) -> None:
    plan = plan_frames(PAPER_PHASES, rate)
    assert (plan["image"], plan["mask"]) == ((12, 12) if round(rate) == 60 else (24, 24))
    assert plan["response"] == round(1.5 * rate)
    assert plan["blank_after_image"] == plan["blank_after_mask"] == 1  # frames at any rate


@pytest.mark.parametrize(("rate", "words"), [
    (144, ["image 200 ms is 28.80 frames", "fixation 300 ms is 43.20"]),
    (165, ["fixation 300 ms is 49.50 frames", "response 1500 ms is 247.50"]),
    (75, ["fixation 300 ms is 22.50 frames", "response 1500 ms is 112.50"]),
])
def test_plan_frames_refuses_rates_without_whole_frames(rate: float, words: list[str]
                                                        ) -> None:
    with pytest.raises(LabInputError) as err:
        plan_frames(PAPER_PHASES, rate)
    message = str(err.value)
    assert "\n" not in message and "not a whole number of frames" in message
    assert message.startswith(f"at {rate} Hz")
    assert all(w in message for w in words)
    assert ("response" in message) == (rate != 144)  # 1500 ms is 216 frames at 144 Hz
    assert ("image" in message) == (rate == 144)  # 200 ms: 33 frames at 165, 15 at 75


def test_rate_within_one_percent_of_profile() -> None:
    assert check_rate(119.0, 120.0)
    assert check_rate(121.1, 120.0)
    with pytest.raises(LabInputError, match="differs from the display profile's 120 Hz"):
        check_rate(118.5, 120.0)
    assert check_rate(60.0, 120.0, allow_mismatch=True) is False


def test_phase_timing_counts_a_late_flip_as_extra_frames() -> None:
    period = 1 / 60
    on_time = [i * period for i in range(12)]
    timing = phase_timing(on_time, 12 * period, period)
    assert (timing.frames_shown, timing.dropped) == (12, 0)
    late = [*on_time[:5], *(t + period for t in on_time[5:])]
    timing = phase_timing(late, 13 * period, period)
    assert (timing.frames_shown, timing.dropped) == (13, 1)
    assert timing.max_interval_s == pytest.approx(2 * period)


def test_durations_parse_and_errors() -> None:
    d = PAPER_PHASES.override(parse_durations("response=600, iti=100"))
    assert (d["response"].ms, d["iti"].ms, d["image"].ms) == (600, 100, 200)
    assert d.names == PAPER_PHASES.names  # the order stays the design's
    with pytest.raises(LabInputError, match="unknown phase 'blank'; use fixation, image, "
                       "mask, response, feedback, iti$"):
        PAPER_PHASES.override(parse_durations("blank=10"))
    with pytest.raises(LabInputError, match="blank_after_image is a fixed number of frames"):
        PAPER_PHASES.override({"blank_after_image": 10})
    with pytest.raises(LabInputError, match="not phase=milliseconds"):
        parse_durations("image=fast")
    with pytest.raises(LabInputError, match="must be more than 0"):
        parse_durations("image=0")
    with pytest.raises(LabInputError, match="must be at most 60000"):
        parse_durations("response=1e12")
    with pytest.raises(LabInputError, match="finite"):
        parse_durations("image=inf")


def test_one_record_builder_for_window_and_no_window():
    """The window-less presenter's stamps (a perfect display) give the planned timing;
    one late image frame is a drop during the image: flagged, one frame more shown."""
    plan = plan_frames(PAPER_PHASES, 60.0)
    clean = timed_result(plan, ideal_stamps(plan), response="cat", rt=0.5)
    assert (clean.image_frames_shown, clean.mask_frames_shown) == (plan["image"], plan["mask"])
    assert abs(clean.image_duration_ms - 200.0) < 1e-6
    assert abs(clean.soa_ms - 1000.0 * (plan["image"] + 1) / 60) < 1e-6
    assert clean.dropped_frames == 0 and not clean.flagged
    late = timed_result(plan, ideal_stamps(plan, late={"image": 1}), response="", rt=0.0)
    assert late.image_frames_shown == plan["image"] + 1
    assert late.mask_frames_shown == plan["mask"]
    assert abs(late.max_frame_interval_ms - 2000.0 / 60) < 1e-6
    assert late.dropped_frames == 1 and late.flagged


@pytest.mark.parametrize("sidecar", [
    # settings.durations as sessions before [phases] saved it (another order)
    {"settings": {"durations": {"fixation": 300.0, "image": 200.0, "mask": 200.0,
                                "response": 600.0, "iti": 100.0, "feedback": 300.0}}},
    # the oldest sidecars: durations_ms only
    {"durations_ms": {"fixation": 300.0, "image": 200.0, "mask": 200.0, "response": 600.0,
                      "iti": 100.0, "feedback": 300.0}, "seed": 1},
])
def test_old_sessions_resume_with_their_saved_durations(sidecar, tmp_path) -> None:
    """A session saved before the phases were data resumes with its milliseconds; the
    same --durations is accepted, another one refused naming both."""
    from experiment.plan.config import SessionConfig
    from experiment.plan.resume import resume_config

    def config(**kw):  # noqa: ANN202
        return SessionConfig("contrast", tmp_path, "o-01", 1, tmp_path, resume=True, **kw)

    resumed = resume_config(config(), sidecar, str, PAPER_PHASES)
    phases = PAPER_PHASES.override(resumed.durations, "the session's saved durations")
    assert phases.as_dict() == {"fixation": 300, "image": 200, "mask": 200,
                                "response": 600, "feedback": 300, "iti": 100}
    same = config(durations={"response": 600.0, "iti": 100.0},
                  given=frozenset({"--durations"}))
    assert resume_config(same, sidecar, str, PAPER_PHASES).durations["response"] == 600
    with pytest.raises(LabInputError, match="the session was started with --durations"):
        resume_config(config(durations={"response": 900.0}, given=frozenset({"--durations"})),
                      sidecar, str, PAPER_PHASES)
