"""The walk through a session, with or without a window.

:class:`SessionRunner` runs the pre-flight screen, practice, the blocks with their
re-runs and breaks, and the end screen, saving every trial the moment it ends. What it
shows goes through a :class:`Presenter`: the booth's window (:mod:`experiment.window.booth`)
or the window-less presenter (:mod:`experiment.run.windowless`), so the same trial, block,
re-run and resume logic runs in both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from experiment.plan.checkpoints import checkpoint
from experiment.plan.trial_list import (
    PlannedTrial,
    ScheduledTrial,
    blocks_of,
    remaining_schedule,
)
from experiment.run.progress import SessionProgress, closing_line
from experiment.run.session import SessionConfig, SessionOutcome, SessionPlan, block_percent
from experiment.run.trial_result import TrialResult
from lab.oserrors import write_error
from lab.schema import HumanTrialRecord
from lab.trial_file import TrialFile

log = logging.getLogger(__name__)


class Presenter(Protocol):
    """What the session shows: trials and text screens."""

    def trial(self, t: PlannedTrial, *, practice: bool = False,
              attempt: int = 1) -> TrialResult:
        """Prepare and run one trial (practice: with feedback)."""

    def iti(self, work: Callable[[], PlannedTrial | None]) -> None:
        """The inter-trial interval after a trial: ``work`` saves the trial's record and
        returns the next trial (which the presenter may prepare meanwhile) or None."""

    def practice_done(self) -> None:
        """Practice is over (main trials follow)."""

    def wait(self, text: str, *, max_s: float | None = None) -> None:
        """Show ``text`` until a click or space (or ``max_s``)."""

    def confirm_quit(self) -> bool:
        """Escape was pressed: True to quit (everything is saved already)."""


class SessionRunner:
    """Walks ``plan`` through ``presenter``, appending to ``trial_file``."""

    def __init__(self, config: SessionConfig, plan: SessionPlan, presenter: Presenter,
                 trial_file: TrialFile, rows: list[dict[str, str]]) -> None:
        self.config = config
        self.plan = plan
        self.presenter = presenter
        self.trial_file = trial_file
        self.rows = rows
        self.progress = SessionProgress(len(plan.trials), len(blocks_of(plan.trials)), rows)

    def outcome(self, trials_run: int, completed: bool) -> SessionOutcome:
        """The outcome with its closing line (logged, and printed by the command line)."""
        summary = closing_line(len(self.plan.trials), self.rows, self.plan.paths.log,
                               completed=completed)
        log.info("%s", summary)  # the log file; the command line prints it
        return SessionOutcome(self.plan.paths, trials_run, completed=completed,
                              summary=summary)

    def run(self, preflight_summary: str) -> SessionOutcome:
        checkpoint("preflight-screen")
        self.presenter.wait("\n".join(["Pre-flight passed.", "", *preflight_summary.split("; "),
                                       "", "Click or press space to start."]))
        if not self.practice():
            log.info("stopped by the experimenter during practice")
            return self.outcome(0, completed=False)
        return self.blocks()

    def practice(self) -> bool:
        """Practice trials with feedback, not saved; False if the experimenter quit.

        A resumed session repeats practice only while no trial has been saved yet."""
        if not self.plan.practice or self.rows:
            return True
        practice = self.plan.practice
        for i, t in enumerate(practice):
            checkpoint("practice")
            result = self.presenter.trial(t, practice=True)
            checkpoint("practice-trial")
            self.presenter.iti(lambda i=i: practice[i + 1] if i + 1 < len(practice)
                               else None)
            log.info("practice %d: %s -> %s", t.trial, t.category, result.response)
            if result.escape and self.presenter.confirm_quit():
                return False
        checkpoint("practice-done")
        self.presenter.practice_done()
        self.presenter.wait("Practice done. The experiment starts now.\n\n"
                            "Click or press space to continue.")
        return True

    def save(self, item: ScheduledTrial, result: TrialResult) -> None:
        t, rerun = item.planned, item.rerun
        record = human_record(self.config, self.plan.design.name, t, result,
                              attempt=item.attempt)
        checkpoint("save")
        try:
            self.trial_file.write(record)
        except OSError as err:
            raise write_error(err, self.trial_file.path, saved=len(self.rows)) from err
        checkpoint("saved")
        self.rows.append({"trial": str(t.trial), "block": str(t.block),
                          "attempt": str(item.attempt),
                          "flagged": "1" if result.flagged else "0",
                          "correct": "1" if record.correct else "0"})
        self.progress.trial_saved(t.block, rerun=rerun, trial=t.trial,
                                  flagged=result.flagged)
        if result.flagged:
            log.warning("trial %d flagged (%d dropped frames, image %d/%d, mask %d/%d "
                        "frames)%s", t.trial, result.dropped_frames,
                        result.image_frames_shown, result.image_frames_planned,
                        result.mask_frames_shown, result.mask_frames_planned,
                        "" if rerun or not self.config.rerun_flagged
                        else "; re-run at the end of the block")

    def next_trial(self, block: int) -> ScheduledTrial | None:
        """The next trial of ``block`` by the recorded rows (re-runs only if enabled)."""
        schedule = remaining_schedule(self.plan.trials, self.rows, block)
        if not schedule or (schedule[0].rerun and not self.config.rerun_flagged):
            return None
        return schedule[0]

    def blocks(self) -> SessionOutcome:
        blocks = blocks_of(self.plan.trials)
        trials_run = 0
        self.progress.start()
        for block in blocks:
            ran_here = False
            item = self.next_trial(block)
            while item is not None:
                checkpoint("trial")
                if item.rerun:
                    checkpoint("rerun")
                result = self.presenter.trial(item.planned, attempt=item.attempt)
                checkpoint("response")
                upcoming: list[ScheduledTrial | None] = []

                def save_and_find_next(item: ScheduledTrial = item,
                                       result: TrialResult = result,
                                       upcoming: list[ScheduledTrial | None] = upcoming,
                                       block: int = block) -> PlannedTrial | None:
                    self.save(item, result)
                    upcoming.append(self.next_trial(block))
                    return upcoming[0].planned if upcoming[0] is not None else None

                self.presenter.iti(save_and_find_next)
                trials_run += 1
                ran_here = True
                if result.escape and self.presenter.confirm_quit():
                    log.info("stopped by the experimenter after trial %d; resume with "
                             "--resume", item.planned.trial)
                    return self.outcome(trials_run, completed=False)
                item = upcoming[0]
            if ran_here and block != blocks[-1]:
                percent = block_percent(self.rows, block)
                log.info("block %d done: %.0f%% correct", block, percent)
                checkpoint("break")
                self.presenter.wait(f"Block {block} of {len(blocks)} done: {percent:.0f}% "
                                    "correct.\n\nTake a break. Click or press space to go on.")
        log.info("session complete: %d trials run in this run", trials_run)
        checkpoint("end-screen")
        self.presenter.wait("The session is complete. Thank you!\n\nClick or press space.",
                            max_s=10.0)
        return self.outcome(trials_run, completed=True)


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
