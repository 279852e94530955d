"""One observer's session, the part without a window: checks, the trial list, files.

The trial list is built (pure, :mod:`experiment.trial_list`) and saved beside the data
before the first trial; the booth (:mod:`experiment.booth`) only walks it. Every trial is
appended and fsynced the moment it ends (:class:`results.trial_file.TrialFile`), so a
crash, Ctrl-C or ``kill -9`` loses nothing, and ``resume=True`` walks on from the first
trial without a record. A trial with a dropped frame during image or mask is saved with
``flagged=1`` and re-run once at the end of its block (same ``trial`` number).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiment.bids import (
    SessionPaths,
    bids_column_entries,
    check_observer_id,
    check_session,
    claim_label,
    ensure_dataset_files,
    session_paths,
)
from experiment.frames import Durations
from experiment.policies import Humans2018, ObserverPolicy, make_policy
from experiment.profiles import DEFAULT_PROFILE, DisplayProfile, deg_to_px, load_profile
from experiment.provenance import PACKAGES, run_provenance, software_versions
from experiment.stimulus_check import verify_session_stimuli
from experiment.trial_list import (
    PlannedTrial,
    build_trial_list,
    practice_list,
    read_trial_list,
    work_left,
)
from results.accounting import effective_rows
from results.provenance import provenance
from results.schema import HUMAN_FILE_COLUMNS, column_descriptions
from results.trial_file import read_rows
from stimuli.design import ExperimentDesign, load_experiment
from stimuli.errors import LabInputError
from stimuli.manifest import MANIFEST_NAME, ManifestEntry, read_manifest, sha256_file

log = logging.getLogger(__name__)

ANALYSIS_NOTE = (
    "A trial with flagged=1 had a dropped frame while image or mask was on screen; it is "
    "re-run once at the end of its block with the same trial number and the next attempt "
    "number. For analysis keep, per trial number, the record with the highest attempt "
    "(python -m results does); the earlier attempts are superseded."
)
#: In ``deg`` units a size within this fraction of the design's pixels is shown 1:1.
SNAP_TOLERANCE = 0.01


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
    durations: Durations = field(default_factory=Durations)
    image_units: str = "deg"  #: "deg" (design.image_degrees) or "px" (design.image_size)
    rerun_flagged: bool = True


@dataclass
class SessionPlan:
    """What :func:`plan_session` settled before any window opens."""

    paths: SessionPaths
    design: ExperimentDesign
    profile: DisplayProfile
    entries: list[ManifestEntry]
    manifest_sha256: str
    seed: int
    trials: list[PlannedTrial]
    practice: list[PlannedTrial]
    sidecar: dict[str, Any]  #: the existing sidecar when resuming, else empty
    policy: ObserverPolicy | None = None  #: the simulated observer's (new sessions only)


@dataclass
class SessionOutcome:
    paths: SessionPaths
    trials_run: int
    completed: bool  #: False when the experimenter quit with Escape


def _own_version() -> str:
    return software_versions().get("vision-generalisation-lab", "unknown")


def plan_session(config: SessionConfig) -> SessionPlan:
    """Check the inputs and settle the trial list (saved or rebuilt); no window."""
    check_observer_id(config.observer)
    check_session(config.session)
    design = load_experiment(config.experiment)
    paths = session_paths(config.data, config.observer, config.session, design.name)
    if config.resume:
        if not paths.trials.is_file():
            raise LabInputError(f"{paths.trials}: nothing to resume; start without --resume")
    elif paths.trial_list.exists() and not paths.trials.exists():
        raise LabInputError(
            f"{paths.trial_list}: a trial list without trials (the session stopped before "
            "its first trial): use another --session number, or delete that file"
        )
    elif paths.trials.exists():
        raise LabInputError(
            f"{paths.trials}: this session has data; continue it with --resume or use "
            "another --session number"
        )
    if config.image_units not in ("deg", "px"):
        raise LabInputError(f"image units {config.image_units!r}: use deg or px")
    profile = load_profile(config.display)
    if config.screen is not None:
        profile = dataclasses.replace(profile, screen=config.screen)
    entries = read_manifest(config.stimuli)
    manifest_sha = sha256_file(Path(config.stimuli) / MANIFEST_NAME)
    claim_label(paths, config.observer)
    ensure_dataset_files(config.data, config.observer, _own_version())

    if config.resume:
        try:
            sidecar = json.loads(paths.sidecar.read_text(encoding="utf-8"))
            seed = int(sidecar["seed"])
        except (OSError, ValueError, KeyError) as err:
            raise LabInputError(f"{paths.sidecar}: unreadable ({err}); restore it to "
                                "resume") from err
        if config.seed is not None and config.seed != seed:
            raise LabInputError(f"--seed {config.seed}: the session was started with seed "
                                f"{seed}; resume without --seed")
        trials = read_trial_list(paths.trial_list)
        practice: list[PlannedTrial] = []
        policy = None
    else:
        sidecar = {}
        seed = config.seed if config.seed is not None else secrets.randbits(32)
        policy = (None if config.simulate_observer is None
                  else make_policy(config.simulate_observer, design.name))
        if isinstance(policy, Humans2018):
            policy.check_conditions(e.condition for e in entries)
        trials = build_trial_list(entries, design, seed, n_trials=config.trials,
                                  block_size=config.block_size, policy=policy,
                                  per_condition=config.per_condition)
        practice = (practice_list(entries, seed, config.practice, policy=policy)
                    if config.practice > 0 else [])
    return SessionPlan(paths, design, profile, entries, manifest_sha, seed, trials,
                       practice, sidecar, policy)


def image_px_for(units: str, design: ExperimentDesign, distance_cm: float,
                 cm_per_px: float) -> int:
    """Image size on screen: the design's degrees (snapped to its native pixels when
    within 1%, so the lab display shows files 1:1 without resampling) or its pixels."""
    if units == "px":
        return design.image_size
    px = deg_to_px(design.image_degrees, distance_cm, cm_per_px)
    if abs(px - design.image_size) <= SNAP_TOLERANCE * design.image_size:
        log.info("%g deg is %d px here: shown at the native %d px (1:1)",
                 design.image_degrees, px, design.image_size)
        return design.image_size
    return px


def block_percent(rows: list[dict[str, str]], block: int) -> float:
    """Percent correct of a block, counting the effective record of each trial."""
    last = [e for e in effective_rows(rows).values() if e.row["block"] == str(block)]
    return 100.0 * sum(e.correct for e in last) / max(1, len(last))


def run_record(display: dict[str, Any]) -> dict[str, Any]:
    """The per-run part of the sidecar: the display as measured, then ``software``,
    ``git_commit`` and ``started`` (UTC) as in :mod:`results.provenance`."""
    return {**display, **run_provenance()}


def new_sidecar(config: SessionConfig, plan: SessionPlan, run: dict[str, Any]
                ) -> dict[str, Any]:
    """The JSON sidecar of a new session (BIDS-style, plus provenance)."""
    meta = {
        "TaskName": plan.design.name, "experiment": plan.design.name,
        "observer": config.observer, "session": config.session, "seed": plan.seed,
        "n_trials": len(plan.trials), "per_condition": config.per_condition,
        "block_size": config.block_size or plan.design.block_size,
        "practice_trials": len(plan.practice),
        # who answered: null for a person; a simulated observer's kind and label (the
        # report names the observer with the label)
        "simulated": None if plan.policy is None else plan.policy.record(),
        "click_to_continue": config.click_to_continue,
        "rerun_flagged": config.rerun_flagged,
        **provenance(config.stimuli, plan.manifest_sha256, PACKAGES),
        "trial_list": plan.paths.trial_list.name,
        "analysis_note": ANALYSIS_NOTE,
        **run,
        "columns": column_descriptions(HUMAN_FILE_COLUMNS),
    }
    # BIDS describes columns as top-level keys; where a column shares its name with a
    # session fact (experiment, observer, session) the fact stays and the description
    # is under "columns".
    columns = bids_column_entries(column_descriptions(HUMAN_FILE_COLUMNS))
    return {**meta, **{k: v for k, v in columns.items() if k not in meta}}


def _add_log_file(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


def run_session(config: SessionConfig) -> SessionOutcome:
    """Run (or resume) a session; raises :class:`LabInputError` on a refusal."""
    plan = plan_session(config)
    handler = _add_log_file(plan.paths.log)
    try:
        log.info("session %s: observer %s, session %d, experiment %s, seed %d%s",
                 plan.paths.stem, config.observer, config.session, plan.design.name,
                 plan.seed, " (resumed)" if config.resume else "")
        if config.resume and not work_left(plan.trials, read_rows(plan.paths.trials),
                                           config.rerun_flagged):
            log.info("session %s is complete: nothing to resume", plan.paths.stem)
            return SessionOutcome(plan.paths, 0, completed=True)
        n_files = verify_session_stimuli(Path(config.stimuli), plan.entries,
                                         [*plan.trials, *plan.practice])
        try:  # PsychoPy only from here on: everything above needs no window
            from experiment.booth import Booth
        except Exception as err:  # pyglet cannot reach an X display
            raise LabInputError(
                f"cannot open the display ({str(err).splitlines()[0]}): run on the "
                "booth's screen, or under xvfb-run -a -s '-screen 0 1280x1024x24'"
            ) from err
        return Booth(config, plan, n_files).run()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
