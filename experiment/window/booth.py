"""The booth: the window part of a session. It opens the window, runs the display
pre-flight and is the :class:`experiment.run.runner.Presenter` of a real window (trials and
text screens) while :class:`~experiment.run.runner.SessionRunner` walks the plan made by
:mod:`experiment.run.session` (practice, blocks, re-runs, breaks, end screen)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from psychopy import event
from psychopy import logging as psychopy_logging

from experiment.files.calibration import describe_provenance
from experiment.plan.frames import FramePlan, describe_frames
from experiment.plan.hooks import STALL_FRAMES, forced_drops
from experiment.plan.observers import HumanObserver, Observer, WindowSink
from experiment.plan.trial_list import PlannedTrial
from experiment.run.launch import OpenData
from experiment.run.runner import SessionRunner, human_record
from experiment.run.session import (
    SessionConfig,
    SessionOutcome,
    SessionPlan,
    image_px_for,
    run_record,
)
from experiment.window.display import DisplayInfo, FrameClock, calibration_record, open_window
from experiment.window.preflight import check_display
from experiment.window.prompts import Prompter
from experiment.window.screens import Screens
from experiment.window.simulated import SimulatedObserver
from experiment.window.trial import (
    Pacing,
    ResponseCollector,
    TrialResult,
    run_iti,
    run_trial,
)
from lab.accounting import effective_rows
from lab.phases import TrialPhases
from lab.trial_file import write_json_atomic
from stimuli.masks import make_mask

__all__ = ["Booth", "human_record"]

log = logging.getLogger(__name__)

#: A simulated click is planned at least this long before the response screen ends.
LATEST_CLICK_MARGIN_S = 0.1


class Booth:
    """Runs one planned session in a window; :meth:`run` returns the outcome."""

    def __init__(self, config: SessionConfig, plan: SessionPlan, n_files: int,
                 open_data: OpenData) -> None:
        self.config = config
        self.plan = plan
        self.n_files = n_files
        self.open_data = open_data
        self.design = plan.design
        self.observer: Observer = HumanObserver()
        self.beeper: _Beeper | None = None
        self.pacing = Pacing()
        self.drops = forced_drops()

    # -- set-up ----------------------------------------------------------------------
    def run(self) -> SessionOutcome:
        psychopy_logging.console.setLevel(psychopy_logging.WARNING)
        profile = self.plan.profile
        distance = profile.distance_cm or self.design.viewing_distance_cm
        self.win, warnings = open_window(profile, distance_cm=distance,
                                         background=self.design.background_grey,
                                         windowed=self.config.windowed)
        try:
            info, self.frames = check_display(
                self.win, profile, self.plan.phases,
                allow_rate_mismatch=self.config.allow_rate_mismatch, warnings=warnings)
            image_px = image_px_for(self.config.image_units, self.design, distance,
                                    profile.cm_per_px)
            frame_px = round(image_px * self.design.fixation_frame_px / self.design.image_size)
            display = _display_record(profile.as_dict(), distance, image_px, frame_px, info,
                                      self.frames, self.config, self.plan.phases)
            display["calibration"] = calibration_record(profile)
            log.info(describe_provenance(display["calibration"]))
            self.screens = Screens(self.win, image_px=image_px, frame_px=frame_px,
                                   background=self.design.background_grey)
            self.clock = FrameClock(self.win, pace_hz=info.rate_hz if info.virtual else None)
            mouse = event.Mouse(win=self.win, visible=True)
            self.collector = ResponseCollector(mouse, self.screens)
            if self.config.simulate_observer is not None:
                simulator = SimulatedObserver(self.win, self.screens.cells)
                # a planned click later than the response screen lasts would be lost
                simulator.latest_s = max(0.0, self.frames["response"] * self.frames.period_s
                                         - LATEST_CLICK_MARGIN_S)
                self.observer = simulator
            else:  # a simulated observer hears nothing: leave the sound device alone
                self.beeper = _Beeper()
            display["presentation"] = "window"
            display["observer_delivery"] = self.observer.kind
            self.trial_file, self.rows = self.open_data(run_record(display))
            self.prompter = Prompter(self.clock, self.screens, mouse, self.observer)
            summary = self._summary(info, image_px)
            log.info(summary)
            return SessionRunner(self.config, self.plan, self, self.trial_file,
                                 self.rows).run(summary)
        finally:
            self.observer.settle()
            if hasattr(self, "trial_file"):
                self.trial_file.close()
                self._record_preparation()
            self.win.close()

    def _record_preparation(self) -> None:
        """This run's preparation times into its entry of the sidecar."""
        path = self.plan.paths.sidecar
        try:
            sidecar = json.loads(path.read_text(encoding="utf-8"))
            run = sidecar["resumed"][-1] if self.config.resume else sidecar
            run["preparation"] = self.pacing.summary(self.frames)
            write_json_atomic(path, sidecar)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
            log.warning("%s: preparation times not recorded (%s)", path, err)

    def _summary(self, info: DisplayInfo, image_px: int) -> str:
        f = self.frames
        todo = len(self.plan.trials) - len(effective_rows(self.rows))
        return (
            f"pre-flight passed: {self.design.name}, observer {self.config.observer}, "
            f"session {self.config.session}; {self.n_files} stimulus files verified "
            f"(sha256); refresh {info.rate_hz:g} Hz"
            f"{' (virtual display, paced)' if info.virtual else ''}, measured "
            f"{info.measured_rate_hz:.1f} Hz; frames: {describe_frames(f)}; image "
            f"{image_px} px; {todo} of {len(self.plan.trials)} trials to run; gamma "
            f"{'not used' if info.gamma_loaded is None else info.gamma_loaded}"
        )

    # -- the Presenter of a real window ---------------------------------------------------
    def _prepare(self, t: PlannedTrial) -> None:
        """Decode the image and make the mask of ``t`` (before its fixation starts)."""
        self.screens.prepare_image(Path(self.config.stimuli) / t.image)
        self.screens.prepare_mask(make_mask(self.design.mask_batch,
                                            np.random.default_rng(t.mask_seed)))

    def trial(self, t: PlannedTrial, *, practice: bool = False,
              attempt: int = 1) -> TrialResult:
        """Run trial ``t`` (practice: with feedback; the observer answers at response
        onset), prepared during the ITI before it or, after a prompt, now. The ITI after
        it is :meth:`iti`."""
        self._ensure_prepared(t)
        observer = self.observer
        beeper = self.beeper if practice else None
        stall = (("image", STALL_FRAMES * self.frames.period_s)
                 if not practice and (t.trial, attempt) in self.drops else None)
        result = run_trial(
            self.clock, self.screens, self.frames, self.collector,
            click_to_continue=self.config.click_to_continue,
            on_response_onset=lambda: observer.response_onset(t, WindowSink()),
            feedback_for=t.category if practice else None,
            on_feedback=beeper.beep if beeper is not None else None,
            iti_onset=self.pacing.iti_onset, stall=stall,
        )
        observer.settle()
        if isinstance(observer, SimulatedObserver):
            observer.observed(result.rt)  # its delivery lag, subtracted from later clicks
        result.preparation_ms = self.pacing.last_ms
        return result

    def iti(self, work: Callable[[], PlannedTrial | None]) -> None:
        """The ITI after a trial; ``work`` saves its record and returns the next trial
        (then prepared here, timed), or None."""
        def during_iti() -> None:
            started = time.perf_counter()
            upcoming = work()
            if upcoming is not None:
                self._prepare(upcoming)
            self.pacing.prepared(upcoming, time.perf_counter() - started, in_iti=True)
        self.pacing.iti_onset = run_iti(self.clock, self.screens, self.frames, during_iti)

    def _ensure_prepared(self, t: PlannedTrial) -> None:
        """Prepare ``t`` unless the last ITI did (first trial, or after a prompt)."""
        if self.pacing.next_trial != t:
            started = time.perf_counter()
            self._prepare(t)
            self.pacing.prepared(t, time.perf_counter() - started, in_iti=False)

    def practice_done(self) -> None:
        """Practice and main trials share numbers: prepare afresh, forget the times."""
        self.pacing.reset()

    def wait(self, text: str, *, max_s: float | None = None) -> None:
        """A text screen between trials (the ITI before the next trial is then n/a)."""
        self.prompter.wait(text, max_s=max_s)
        self.pacing.iti_onset = None

    def confirm_quit(self) -> bool:
        """Escape was pressed: True to quit (the next trial has no ITI before it)."""
        self.pacing.iti_onset = None
        return self.prompter.confirm_quit()


def _display_record(profile: dict[str, Any], distance: float, image_px: int,
                    frame_px: int, info: DisplayInfo, frames: FramePlan,
                    config: SessionConfig, phases: TrialPhases) -> dict[str, Any]:
    return {
        "display_profile": profile, "viewing_distance_cm": distance,
        "image_px": image_px, "image_units": config.image_units,
        "fixation_frame_px": frame_px,
        "renderer": info.renderer, "window_size": list(info.window_size),
        "measured_refresh_rate_hz": round(info.measured_rate_hz, 3),
        "refresh_rate_hz": info.rate_hz, "virtual_display": info.virtual,
        "gamma_requested": info.gamma_requested, "gamma_loaded": info.gamma_loaded,
        "rate_mismatch_allowed": config.allow_rate_mismatch,
        "durations_ms": phases.as_dict(), "frames": frames.as_dict(),
        "warnings": info.warnings,
    }


class _Beeper:
    """The practice feedback beep; without a sound device it warns once and stays silent."""

    def __init__(self) -> None:
        self._sound: Any = None
        self._failed = False

    def beep(self) -> None:
        if self._failed:
            return
        try:
            if self._sound is None:
                from psychopy import sound
                self._sound = sound.Sound(880, secs=0.1)
            self._sound.play()
        except Exception as err:  # no audio device (e.g. a headless machine)
            self._failed = True
            log.warning("no sound device: practice feedback is visual only (%s)",
                        str(err).splitlines()[0] if str(err) else type(err).__name__)
