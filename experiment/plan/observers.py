"""Observers behind one interface.

An observer is two separate things:

* an :class:`AnswerPolicy` - *what* to answer and *when* (the delay after response
  onset). :class:`PlannedAnswers` answers the click planned in the trial list (seeded by
  :func:`experiment.plan.trial_list.simulated_choice`); another policy (e.g. answers sampled
  from the 2018 humans' confusions) plugs in the same way.
* an :class:`Observer` - *how* the answer is delivered:

  ========================  =========================================================
  :class:`HumanObserver`     a person with the mouse: nothing to do, the booth polls it
  ``SimulatedObserver``      real X mouse events through xdotool
                             (:mod:`experiment.window.simulated`, needs the window)
  :class:`InProcessObserver` hands the answer straight to the presenter's
                             :class:`ResponseSink`: no window, no mouse events
  ========================  =========================================================

The booth (:mod:`experiment.window.booth`, a real window) and the window-less presenter
(:mod:`experiment.run.windowless`) both drive an observer through these three calls, so
trial, block, re-run and resume logic is the same code with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from experiment.plan.trial_list import PlannedTrial
from lab.categories import NO_RESPONSE

#: Delay from response onset to the simulated click (seconds).
CLICK_DELAY_S = 0.12
#: Delay from a text screen's onset to the simulated "click to continue".
PROMPT_DELAY_S = 0.05


@dataclass(frozen=True)
class Answer:
    """One answer: a class name or ``na`` (no click), and when (s after onset)."""

    category: str
    delay_s: float | None = None  #: None: the delivery's default (:data:`CLICK_DELAY_S`)


class AnswerPolicy(Protocol):
    """What an observer answers in a trial."""

    def answer(self, trial: PlannedTrial) -> Answer: ...


class PlannedAnswers:
    """The answer planned in the trial list (``simulated_response``) at its planned time
    (``simulated_rt``; none planned: the default delay); no plan means no click. The plan
    comes from an :mod:`experiment.plan.policies` policy (a constant accuracy, or the 2018
    humans' answers and response times)."""

    def answer(self, trial: PlannedTrial) -> Answer:
        return Answer(trial.simulated_response or NO_RESPONSE, trial.simulated_rt)


class ResponseSink(Protocol):
    """Where an in-process observer's clicks go (the presenter's response collector)."""

    def click(self, category: str, delay_s: float) -> None: ...


class WindowSink:
    """The sink of a real window: answers arrive as mouse events, so a direct click
    (only an in-process observer makes one) has nowhere to go."""

    def click(self, category: str, delay_s: float) -> None:
        raise RuntimeError("an in-process observer needs the window-less presenter "
                           "(--no-window)")


class Observer(Protocol):
    """How answers reach the session."""

    kind: str  #: ``human``, ``xdotool`` or ``in-process`` (recorded in the sidecar)

    def response_onset(self, trial: PlannedTrial, sink: ResponseSink) -> None:
        """The response screen of ``trial`` is up: start answering."""

    def prompt(self, sink: ResponseSink) -> None:
        """A text screen waits for a click (start, break, end)."""

    def settle(self) -> None:
        """Wait until a started answer is fully delivered."""


class HumanObserver:
    """A person at the booth: the window polls the real mouse; nothing to drive."""

    kind = "human"

    def response_onset(self, trial: PlannedTrial, sink: ResponseSink) -> None:
        pass

    def prompt(self, sink: ResponseSink) -> None:
        pass

    def settle(self) -> None:
        pass


class InProcessObserver:
    """A simulated observer that answers by calling the presenter's sink directly (no
    window, no mouse events): for fast tests of the session logic and for demos."""

    kind = "in-process"

    def __init__(self, policy: AnswerPolicy | None = None) -> None:
        self.policy = policy or PlannedAnswers()

    def response_onset(self, trial: PlannedTrial, sink: ResponseSink) -> None:
        answer = self.policy.answer(trial)
        if answer.category not in ("", NO_RESPONSE):
            sink.click(answer.category,
                       CLICK_DELAY_S if answer.delay_s is None else answer.delay_s)

    def prompt(self, sink: ResponseSink) -> None:
        sink.click("", PROMPT_DELAY_S)

    def settle(self) -> None:
        pass
