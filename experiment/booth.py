"""The booth: the window part of a session (pre-flight screen, practice, blocks, breaks,
end screen), walking the plan made by :mod:`experiment.session`."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from psychopy import event
from psychopy import logging as psychopy_logging

from experiment.calibration import describe_provenance
from experiment.display import DisplayInfo, FrameClock, calibration_record, open_window
from experiment.frames import FramePlan
from experiment.hooks import STALL_FRAMES, forced_drops
from experiment.preflight import check_display
from experiment.prompts import Prompter
from experiment.screens import Screens
from experiment.session import (
    SessionConfig,
    SessionOutcome,
    SessionPlan,
    block_percent,
    image_px_for,
    new_sidecar,
    run_record,
)
from experiment.simulated import SimulatedObserver
from experiment.trial import Pacing, ResponseCollector, TrialResult, run_iti, run_trial
from experiment.trial_list import (
    PlannedTrial,
    ScheduledTrial,
    blocks_of,
    remaining_schedule,
    write_trial_list,
)
from results.accounting import effective_rows
from results.schema import HUMAN_FILE_COLUMNS, HumanTrialRecord
from results.trial_file import TrialFile, read_rows, write_json_atomic
from stimuli.masks import make_mask

log = logging.getLogger(__name__)

#: A simulated click is planned at least this long before the response screen ends.
LATEST_CLICK_MARGIN_S = 0.1


class Booth:
    """Runs one planned session in a window; :meth:`run` returns the outcome."""

    def __init__(self, config: SessionConfig, plan: SessionPlan, n_files: int) -> None:
        self.config = config
        self.plan = plan
        self.n_files = n_files
        self.design = plan.design
        self.simulator: SimulatedObserver | None = None
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
                self.win, profile, self.config.durations,
                allow_rate_mismatch=self.config.allow_rate_mismatch, warnings=warnings)
            image_px = image_px_for(self.config.image_units, self.design, distance,
                                    profile.cm_per_px)
            frame_px = round(image_px * self.design.fixation_frame_px / self.design.image_size)
            display = _display_record(profile.as_dict(), distance, image_px, frame_px, info,
                                      self.frames, self.config)
            display["calibration"] = calibration_record(profile)
            log.info(describe_provenance(display["calibration"]))
            self.trial_file, self.rows = self._open_data(run_record(display))
            self.screens = Screens(self.win, image_px=image_px, frame_px=frame_px,
                                   background=self.design.background_grey)
            self.clock = FrameClock(self.win, pace_hz=info.rate_hz if info.virtual else None)
            mouse = event.Mouse(win=self.win, visible=True)
            self.collector = ResponseCollector(mouse, self.screens)
            if self.config.simulate_observer is not None:
                self.simulator = SimulatedObserver(self.win, self.screens.cells)
            self.prompter = Prompter(self.clock, self.screens, mouse, self.simulator)
            summary = self._summary(info, image_px)
            log.info(summary)
            self.prompter.wait("\n".join(["Pre-flight passed.", "", *summary.split("; "),
                                          "", "Click or press space to start."]))
            if not self._practice():
                log.info("stopped by the experimenter during practice")
                return SessionOutcome(self.plan.paths, 0, completed=False)
            return self._blocks()
        finally:
            if self.simulator is not None:
                self.simulator.wait()
            if hasattr(self, "trial_file"):
                self.trial_file.close()
                self._record_preparation()
            self.win.close()

    def _open_data(self, run: dict[str, Any]) -> tuple[TrialFile, list[dict[str, str]]]:
        """New session: trial list, then the trial file with its sidecar. Resume: the
        existing file (torn last line set aside) and its rows; the run is appended to
        the sidecar's ``resumed`` list."""
        paths = self.plan.paths
        if self.config.resume:
            sidecar = self.plan.sidecar
            sidecar.setdefault("resumed", []).append(run)
            write_json_atomic(paths.sidecar, sidecar)
            trial_file = TrialFile.resume(paths.trials, HUMAN_FILE_COLUMNS)
            return trial_file, read_rows(paths.trials)
        write_trial_list(paths.trial_list, self.plan.trials)
        sidecar = new_sidecar(self.config, self.plan, run)
        return TrialFile.create(paths.trials, HUMAN_FILE_COLUMNS, sidecar=sidecar), []

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
            f"{info.measured_rate_hz:.1f} Hz; frames: fixation {f.fixation}, image "
            f"{f.image}, mask {f.mask}, response {f.response}, iti {f.iti}; image "
            f"{image_px} px; {todo} of {len(self.plan.trials)} trials to run; gamma "
            f"{'not used' if info.gamma_loaded is None else info.gamma_loaded}"
        )

    # -- trials ----------------------------------------------------------------------
    def _prepare(self, t: PlannedTrial) -> None:
        """Decode the image and make the mask of ``t`` (before its fixation starts)."""
        self.screens.prepare_image(Path(self.config.stimuli) / t.image)
        self.screens.prepare_mask(make_mask(self.design.mask_batch,
                                            np.random.default_rng(t.mask_seed)))

    def trial(self, t: PlannedTrial, *, practice: bool = False,
              attempt: int = 1) -> TrialResult:
        """Run trial ``t`` (practice: with feedback; simulated click at response onset),
        prepared during the ITI before it or, after a prompt, now. The ITI after it is
        :meth:`iti`."""
        self._ensure_prepared(t)
        beeper = self.beeper if practice else None
        sim = self.simulator
        stall = (STALL_FRAMES * self.frames.period_s
                 if not practice and (t.trial, attempt) in self.drops else 0.0)
        # a planned click later than the response screen lasts would be lost: clip it
        latest = max(0.0, self.frames.response * self.frames.period_s - LATEST_CLICK_MARGIN_S)
        result = run_trial(
            self.clock, self.screens, self.frames, self.collector,
            click_to_continue=self.config.click_to_continue,
            on_response_onset=(None if sim is None
                               else lambda: sim.respond(t.simulated_response,
                                                        t.simulated_rt, latest)),
            feedback_for=t.category if practice else None,
            on_feedback=beeper.beep if beeper is not None else None,
            iti_onset=self.pacing.iti_onset, stall_s=stall,
        )
        if sim is not None:
            sim.wait()
            sim.observed(result.rt)
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

    def wait(self, text: str, *, max_s: float | None = None) -> None:
        """A text screen between trials (the ITI before the next trial is then n/a)."""
        self.prompter.wait(text, max_s=max_s)
        self.pacing.iti_onset = None

    def confirm_quit(self) -> bool:
        """Escape was pressed: True to quit (the next trial has no ITI before it)."""
        self.pacing.iti_onset = None
        return self.prompter.confirm_quit()

    def _practice(self) -> bool:
        """Practice trials with feedback, not saved; False if the experimenter quit."""
        if not self.plan.practice:
            return True
        # A simulated observer hears nothing: leave the sound device alone (on a headless
        # machine PortAudio would only print errors).
        self.beeper = _Beeper() if self.config.simulate_observer is None else None
        practice = self.plan.practice
        for i, t in enumerate(practice):
            result = self.trial(t, practice=True)
            upcoming = practice[i + 1] if i + 1 < len(practice) else None
            self.iti(lambda upcoming=upcoming: upcoming)
            log.info("practice %d: %s -> %s", t.trial, t.category, result.response)
            if result.escape and self.confirm_quit():
                return False
        self.pacing.reset()  # practice and main trials share numbers: prepare afresh
        self.wait("Practice done. The experiment starts now.\n\n"
                  "Click or press space to continue.")
        return True

    def _save(self, item: ScheduledTrial, result: TrialResult) -> None:
        t = item.planned
        record = human_record(self.config, self.design.name, t, result,
                              attempt=item.attempt)
        self.trial_file.write(record)
        self.rows.append({"trial": str(t.trial), "block": str(t.block),
                          "attempt": str(item.attempt),
                          "flagged": "1" if result.flagged else "0",
                          "correct": "1" if record.correct else "0"})
        if result.flagged:
            log.warning("trial %d flagged (%d dropped frames, image %d/%d, mask %d/%d "
                        "frames)%s", t.trial, result.dropped_frames,
                        result.image_frames_shown, result.image_frames_planned,
                        result.mask_frames_shown, result.mask_frames_planned,
                        "" if item.rerun or not self.config.rerun_flagged
                        else "; re-run at the end of the block")

    def _next(self, block: int) -> ScheduledTrial | None:
        """The next trial of ``block`` by the recorded rows (re-runs only if enabled)."""
        schedule = remaining_schedule(self.plan.trials, self.rows, block)
        if not schedule or (schedule[0].rerun and not self.config.rerun_flagged):
            return None
        return schedule[0]

    def _save_and_find_next(self, item: ScheduledTrial, result: TrialResult, block: int,
                            upcoming: list[ScheduledTrial | None]) -> PlannedTrial | None:
        """The ITI's work after a main trial: save it, then find the next (appended to
        ``upcoming``) and return it to be prepared."""
        self._save(item, result)
        upcoming.append(self._next(block))
        return upcoming[0].planned if upcoming[0] is not None else None

    def _blocks(self) -> SessionOutcome:
        paths = self.plan.paths
        blocks = blocks_of(self.plan.trials)
        trials_run = 0
        for block in blocks:
            ran_here = False
            item = self._next(block)
            while item is not None:
                result = self.trial(item.planned, attempt=item.attempt)
                upcoming: list[ScheduledTrial | None] = []
                self.iti(functools.partial(self._save_and_find_next, item, result, block,
                                            upcoming))
                trials_run += 1
                ran_here = True
                if result.escape and self.confirm_quit():
                    log.info("stopped by the experimenter after trial %d; resume with "
                             "--resume", item.planned.trial)
                    return SessionOutcome(paths, trials_run, completed=False)
                item = upcoming[0]
            if ran_here and block != blocks[-1]:
                percent = block_percent(self.rows, block)
                log.info("block %d done: %.0f%% correct", block, percent)
                self.wait(f"Block {block} of {len(blocks)} done: {percent:.0f}% "
                          "correct.\n\nTake a break. Click or press space to go on.")
        log.info("session complete: %d trials run in this run", trials_run)
        self.wait("The session is complete. Thank you!\n\nClick or press space.",
                  max_s=10.0)
        return SessionOutcome(paths, trials_run, completed=True)


def human_record(config: SessionConfig, experiment: str, t: PlannedTrial,
                 result: TrialResult, *, attempt: int = 1) -> HumanTrialRecord:
    return HumanTrialRecord(
        experiment=experiment, observer=config.observer, session=config.session,
        trial=t.trial, block=t.block, image=t.image, sha256=t.sha256,
        category=t.category, condition=t.condition, response=result.response,
        correct=result.response == t.category, rt=result.rt, attempt=attempt,
        image_frames_planned=result.image_frames_planned,
        image_frames_shown=result.image_frames_shown,
        mask_frames_planned=result.mask_frames_planned,
        mask_frames_shown=result.mask_frames_shown,
        image_duration_ms=result.image_duration_ms,
        mask_duration_ms=result.mask_duration_ms, soa_ms=result.soa_ms,
        preceding_iti_ms=result.preceding_iti_ms, preparation_ms=result.preparation_ms,
        max_frame_interval_ms=result.max_frame_interval_ms,
        dropped_frames=result.dropped_frames, flagged=result.flagged,
    )


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
