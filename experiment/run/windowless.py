"""The window-less presenter (``--no-window``): the session's logic without
a display, for tests and demos of trials, blocks, re-runs and resume.

The in-process simulated observer (:class:`experiment.plan.observers.InProcessObserver`)
answers each trial at once through a sink instead of mouse events; an answer later than
the response screen counts as no answer. Nothing is drawn and nothing is timed: the
records carry the planned frame counts, and the sidecar says ``presentation:
no-window`` (never use such records as timing data). Dropped frames can be injected
for tests with ``VGL_TEST_DROP_FRAMES`` (:mod:`experiment.plan.hooks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from experiment.plan.checkpoints import checkpoint
from experiment.plan.frames import plan_frames
from experiment.plan.hooks import forced_drops
from experiment.plan.observers import InProcessObserver, Observer
from experiment.plan.trial_list import PlannedTrial
from experiment.run.launch import OpenData
from experiment.run.runner import SessionRunner
from experiment.run.session import SessionConfig, SessionOutcome, SessionPlan, run_record
from experiment.run.trial_result import TrialResult, ideal_stamps, timed_result
from lab.categories import NO_RESPONSE

log = logging.getLogger(__name__)

#: The nominal refresh rate of the window-less presenter (a virtual 60 Hz display).
RATE_HZ = 60.0


class _Sink:
    def __init__(self) -> None:
        self.clicks: list[tuple[str, float]] = []

    def click(self, category: str, delay_s: float) -> None:
        self.clicks.append((category, delay_s))


class HeadlessPresenter:
    """A :class:`experiment.run.runner.Presenter` without a window."""

    def __init__(self, config: SessionConfig, plan: SessionPlan, n_files: int,
                 open_data: OpenData, observer: Observer | None = None) -> None:
        self.config = config
        self.plan = plan
        self.n_files = n_files
        self.open_data = open_data
        self.observer = observer or InProcessObserver()
        self.frames = plan_frames(plan.phases, RATE_HZ)
        self.drops = forced_drops()

    def run(self) -> SessionOutcome:
        checkpoint("preflight")
        trial_file, rows = self.open_data(run_record(self._display_record()))
        try:
            done = len({r["trial"] for r in rows})
            summary = (f"pre-flight passed: {self.plan.design.name}, observer "
                       f"{self.config.observer}, session {self.config.session}; "
                       f"{self.n_files} stimulus files verified (sha256); no window "
                       f"(in-process simulated observer); {len(self.plan.trials) - done} of "
                       f"{len(self.plan.trials)} trials to run")
            log.info(summary)
            return SessionRunner(self.config, self.plan, self, trial_file, rows).run(summary)
        finally:
            trial_file.close()

    def _display_record(self) -> dict[str, Any]:
        return {
            "presentation": "no-window", "observer_delivery": self.observer.kind,
            "display_profile": self.plan.profile.as_dict(), "image_px": None,
            "refresh_rate_hz": RATE_HZ, "virtual_display": True,
            "durations_ms": self.plan.phases.as_dict(),
            "frames": self.frames.as_dict(),
            "warnings": ["no window: nothing was shown or timed (in-process simulated "
                         "observer); the timing columns are the planned values"],
        }

    # -- Presenter ---------------------------------------------------------------------
    def trial(self, t: PlannedTrial, *, practice: bool = False,
              attempt: int = 1) -> TrialResult:
        f = self.frames
        sink = _Sink()
        self.observer.response_onset(t, sink)
        self.observer.settle()
        response, rt = NO_RESPONSE, float("nan")
        window_s = f["response"] / RATE_HZ
        for category, delay in sink.clicks:
            if category and delay < window_s:
                response, rt = category, delay
                if self.config.click_to_continue:
                    break
        flagged = not practice and (t.trial, attempt) in self.drops
        # a forced drop (test hook) keeps the last image frame up one period longer
        stamps = ideal_stamps(f, late={"image": 1} if flagged else None)
        return timed_result(f, stamps, response=response, rt=rt)

    def iti(self, work: Callable[[], PlannedTrial | None]) -> None:
        work()  # nothing is shown: the record is saved at once

    def practice_done(self) -> None:
        pass

    def wait(self, text: str, *, max_s: float | None = None) -> None:
        self.observer.prompt(_Sink())
        self.observer.settle()

    def confirm_quit(self) -> bool:
        return True
