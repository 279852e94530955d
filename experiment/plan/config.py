"""The settings of one session: what the launcher collects from the flags or the dialog."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from experiment.plan.participants import LabInfo, Participant

#: The display profile a session uses when none is named (``experiment/profiles/lab.json``).
DEFAULT_PROFILE = "lab"


@dataclass
class SessionConfig:
    """Everything the launcher collects (CLI flags or the info dialog)."""

    experiment: str
    stimuli: Path
    observer: str
    session: int
    data: Path
    display: str = DEFAULT_PROFILE
    screen: int | None = None  #: overrides the profile's screen
    windowed: bool = False
    trials: int | None = None
    per_condition: int | None = None  #: balanced: this many trials per condition
    practice: int = 0
    simulate_observer: float | str | None = None  #: an accuracy or "humans2018"
    resume: bool = False
    seed: int | None = None
    click_to_continue: bool = False
    allow_rate_mismatch: bool = False
    block_size: int | None = None
    #: ``--durations``: phase -> milliseconds replacing the design's (``[phases]``); the
    #: names are checked against the design when the session is planned
    durations: dict[str, float] = field(default_factory=dict)
    image_units: str = "deg"  #: "deg" (design.image_degrees) or "px" (design.image_size)
    rerun_flagged: bool = True
    participant: Participant | None = None  #: age, sex, ... for participants.tsv
    lab: LabInfo | None = None  #: authors and institution for the BIDS metadata
    #: show a source image more than once to an observer (small demo sets); off: each
    #: source image once per observer and experiment, as in the paper
    repeat_sources: bool = False
    no_window: bool = False  #: the in-process simulated observer, no window (tests, demos)
    #: flags given on the command line (``--trials``, ...); None: those differing from
    #: the defaults. A resumed session refuses a given flag that differs from its saved
    #: settings (:mod:`experiment.plan.resume`).
    given: frozenset[str] | None = None
