"""What a simulated observer answers, and when .

A policy plans one answer per trial from the trial's true class and condition and a
seeded generator; delivering it (real mouse events through xdotool, see
:mod:`experiment.window.simulated`) is another module's job. Two policies:

``constant-accuracy`` (:class:`ConstantAccuracy`)
    the correct class with a fixed probability, otherwise one of the 15 other classes or
    no click, equally likely; clicks at a fixed short delay. For tests: nothing about it
    is human-like.
``humans2018`` (:class:`Humans2018`)
    resamples one trial of the 2018 human observers (bundled raw data, all observers
    pooled) with the same experiment, condition and true class, and gives that trial's
    answer (``na`` included: no click) after that trial's response time. Answers thus
    follow the humans' pooled confusion per class and condition, and response times their
    distribution in that condition. The policy never looks at the image on the screen:
    what it shows is what the 2018 humans answered for *their* images (natural ImageNet
    photographs) under the same manipulation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from lab.categories import CATEGORIES, NO_RESPONSE
from lab.errors import LabInputError

#: ``--simulate-observer`` value that selects :class:`Humans2018`.
HUMANS2018 = "humans2018"
HUMANS2018_LABEL = "simulated from the 2018 human data"


@dataclass(frozen=True)
class PlannedAnswer:
    """One planned answer: a class or ``na`` (no click), and when to click."""

    response: str
    rt_s: float | None = None  #: seconds after response onset; None: the default delay


class ObserverPolicy(Protocol):
    """What to answer and when, per trial."""

    kind: str

    def answer(self, category: str, condition: str, rng: np.random.Generator
               ) -> PlannedAnswer: ...

    def record(self) -> dict[str, Any]:
        """The session sidecar's ``simulated`` entry (``kind`` and ``label`` at least)."""
        ...


def simulated_choice(category: str, accuracy: float, rng: np.random.Generator) -> str:
    """``category`` with probability ``accuracy``, otherwise one of the 15 other classes
    or no click (``na``), equally likely."""
    if rng.random() < accuracy:
        return category
    others = [c for c in CATEGORIES if c != category] + [NO_RESPONSE]
    return others[int(rng.integers(len(others)))]


@dataclass(frozen=True)
class ConstantAccuracy:
    """Correct with probability ``accuracy`` whatever the image (tests and smoke runs)."""

    accuracy: float
    kind: str = "constant-accuracy"

    def __post_init__(self) -> None:
        if not 0.0 <= self.accuracy <= 1.0:
            raise LabInputError(
                f"--simulate-observer {self.accuracy}: accuracy must be between 0 and 1")

    def answer(self, category: str, condition: str, rng: np.random.Generator
               ) -> PlannedAnswer:
        return PlannedAnswer(simulated_choice(category, self.accuracy, rng))

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, "accuracy": self.accuracy,
                "label": f"simulated observer, correct with probability {self.accuracy:g} "
                         "(not human-like)"}


class Humans2018:
    """Resamples the 2018 humans' trials of one experiment per (condition, true class)."""

    kind = HUMANS2018

    def __init__(self, experiment: str,
                 trials: Iterable[tuple[str, str, str, float]]) -> None:
        """``trials``: (condition, category, response, rt in s or NaN) of the humans."""
        pools: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for condition, category, response, rt in trials:
            pools.setdefault((condition, category), []).append((response, float(rt)))
        if not pools:
            raise LabInputError(f"the 2018 human data have no experiment {experiment!r}; "
                                "simulate it with --simulate-observer ACCURACY instead")
        self.experiment = experiment
        self._responses = {k: np.array([r for r, _ in v], dtype=object)
                           for k, v in pools.items()}
        self._rts = {k: np.array([t for _, t in v]) for k, v in pools.items()}
        self.conditions = tuple(sorted({c for c, _ in pools}))
        self.n_trials = sum(len(v) for v in pools.values())

    @classmethod
    def from_bundle(cls, experiment: str) -> Humans2018:
        """The policy for ``experiment`` (our design name) from the bundled 2018 data."""
        table = _bundled_humans()
        rows = table[table["experiment"] == experiment]
        return cls(experiment, zip(rows["condition"], rows["category"], rows["response"],
                                   rows["rt"], strict=True))

    def check_conditions(self, conditions: Iterable[str]) -> None:
        """Refuse a stimulus set with a condition the 2018 humans did not see."""
        unknown = sorted(set(conditions) - set(self.conditions))
        if unknown:
            raise LabInputError(
                f"--simulate-observer {HUMANS2018}: the 2018 humans saw no {self.experiment} "
                f"condition {unknown[0]!r} (they saw {', '.join(self.conditions)}); use "
                "--simulate-observer ACCURACY for this stimulus set")

    def answer(self, category: str, condition: str, rng: np.random.Generator
               ) -> PlannedAnswer:
        key = (condition, category)
        if key not in self._responses:
            raise LabInputError(f"the 2018 human data have no {self.experiment} trial of "
                                f"class {category!r} in condition {condition!r}")
        i = int(rng.integers(len(self._responses[key])))
        response, rt = str(self._responses[key][i]), float(self._rts[key][i])
        if response == NO_RESPONSE or math.isnan(rt):
            return PlannedAnswer(NO_RESPONSE)
        return PlannedAnswer(response, rt)

    def record(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": HUMANS2018_LABEL, "experiment": self.experiment,
            "human_trials": self.n_trials,
            "source": "Geirhos et al. 2018, human raw data (CC-BY 4.0), bundled as "
                      "lab/data/geirhos2018-human-raw-data.tar.xz",
            "description": "each answer resamples one 2018 human trial (all observers "
                           "pooled) of the same experiment, condition and true class: its "
                           "response (na: no click) after its response time; the simulated "
                           "observer does not look at the image shown",
        }


@lru_cache(maxsize=1)
def _bundled_humans() -> Any:
    """The bundled 2018 human trials (read once per process)."""
    from lab.datasets import HUMANS_2018
    from lab.readers import read_trials

    return read_trials(HUMANS_2018)


def make_policy(spec: float | str, experiment: str) -> ObserverPolicy:
    """``--simulate-observer`` value -> policy: an accuracy, or ``humans2018``."""
    if spec == HUMANS2018:
        return Humans2018.from_bundle(experiment)
    if isinstance(spec, str):
        raise LabInputError(f"--simulate-observer {spec!r}: give an accuracy between 0 and "
                            f"1 or {HUMANS2018}")
    return ConstantAccuracy(float(spec))
