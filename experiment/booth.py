"""The booth: the window part of a session. It opens the window, runs the display
pre-flight and is the :class:`experiment.runner.Presenter` of a real window (trials and
text screens) while :class:`~experiment.runner.SessionRunner` walks the plan made by
:mod:`experiment.session` (practice, blocks, re-runs, breaks, end screen)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from psychopy import event
from psychopy import logging as psychopy_logging

from experiment.calibration import describe_provenance
from experiment.display import DisplayInfo, FrameClock, calibration_record, open_window
from experiment.frames import FramePlan
from experiment.launch import OpenData
from experiment.observers import HumanObserver, Observer, WindowSink
from experiment.preflight import check_display
from experiment.prompts import Prompter
from experiment.runner import SessionRunner, human_record
from experiment.screens import Screens
from experiment.session import (
    SessionConfig,
    SessionOutcome,
    SessionPlan,
    image_px_for,
    run_record,
)
from experiment.simulated import SimulatedObserver
from experiment.trial import ResponseCollector, TrialResult, run_trial
from experiment.trial_list import PlannedTrial
from stimuli.masks import make_mask

__all__ = ["Booth", "human_record"]

log = logging.getLogger(__name__)


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
                self.win, profile, self.config.durations,
                allow_rate_mismatch=self.config.allow_rate_mismatch, warnings=warnings)
            image_px = image_px_for(self.config.image_units, self.design, distance,
                                    profile.cm_per_px)
            frame_px = round(image_px * self.design.fixation_frame_px / self.design.image_size)
            display = _display_record(profile.as_dict(), distance, image_px, frame_px, info,
                                      self.frames, self.config)
            display["calibration"] = calibration_record(profile)
            log.info(describe_provenance(display["calibration"]))
            self.screens = Screens(self.win, image_px=image_px, frame_px=frame_px,
                                   background=self.design.background_grey)
            self.clock = FrameClock(self.win, pace_hz=info.rate_hz if info.virtual else None)
            mouse = event.Mouse(win=self.win, visible=True)
            self.collector = ResponseCollector(mouse, self.screens)
            if self.config.simulate_observer is not None:
                self.observer = SimulatedObserver(self.win, self.screens.cells,
                                                  self.config.policy)
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
            self.win.close()

    def _summary(self, info: DisplayInfo, image_px: int) -> str:
        f = self.frames
        done = {int(r["trial"]) for r in self.rows}
        todo = len(self.plan.trials) - len(done)
        return (
            f"pre-flight passed: {self.design.name}, observer {self.config.observer}, "
            f"session {self.config.session}; {self.n_files} stimulus files verified "
            f"(sha256); refresh {info.rate_hz:g} Hz"
            f"{' (virtual display, paced)' if info.virtual else ''}, measured "
            f"{info.measured_rate_hz:.1f} Hz; frames: fixation {f.fixation}, image "
            f"{f.image}, mask {f.mask}, response {f.response}, iti {f.iti}; image "
            f"{image_px} px; {todo} of {len(self.plan.trials)} trials to run; gamma "
            f"{'not used' if info.gamma_loaded is None else info.gamma_loaded}"
        )

    # -- the Presenter of a real window ---------------------------------------------------
    def trial(self, t: PlannedTrial, *, practice: bool = False,
              attempt: int = 1) -> TrialResult:
        """Prepare image and mask, then run the trial (the observer answers at onset)."""
        self.screens.prepare_image(Path(self.config.stimuli) / t.image)
        self.screens.prepare_mask(make_mask(self.design.mask_batch,
                                            np.random.default_rng(t.mask_seed)))
        observer = self.observer
        beeper = self.beeper if practice else None
        result = run_trial(
            self.clock, self.screens, self.frames, self.collector,
            click_to_continue=self.config.click_to_continue,
            on_response_onset=lambda: observer.response_onset(t, WindowSink()),
            feedback_for=t.category if practice else None,
            on_feedback=beeper.beep if beeper is not None else None,
        )
        observer.settle()
        return result

    def iti(self, work: Callable[[], PlannedTrial | None]) -> None:
        work()  # the ITI's frames are part of the trial here; preparation is in trial()

    def wait(self, text: str, *, max_s: float | None = None) -> None:
        self.prompter.wait(text, max_s=max_s)

    def confirm_quit(self) -> bool:
        return self.prompter.confirm_quit()


def _display_record(profile: dict[str, Any], distance: float, image_px: int,
                    frame_px: int, info: DisplayInfo, frames: FramePlan,
                    config: SessionConfig) -> dict[str, Any]:
    return {
        "display_profile": profile, "viewing_distance_cm": distance,
        "image_px": image_px, "image_units": config.image_units,
        "fixation_frame_px": frame_px,
        "renderer": info.renderer, "window_size": list(info.window_size),
        "measured_refresh_rate_hz": round(info.measured_rate_hz, 3),
        "refresh_rate_hz": info.rate_hz, "virtual_display": info.virtual,
        "gamma_requested": info.gamma_requested, "gamma_loaded": info.gamma_loaded,
        "rate_mismatch_allowed": config.allow_rate_mismatch,
        "durations_ms": config.durations.as_dict(), "frames": frames.as_dict(),
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
