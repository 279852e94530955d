"""One observer's session, the part without a window: checks, the trial list, files.

The trial list is built (pure, :mod:`experiment.plan.trial_list`) and saved beside the data
before the first trial; the booth (:mod:`experiment.window.booth`) only walks it. Every trial is
appended and fsynced the moment it ends (:class:`lab.trial_file.TrialFile`), so a
crash, Ctrl-C or ``kill -9`` loses nothing, and ``resume=True`` walks on from the first
trial without a record. A trial with a dropped frame during image or mask is saved with
``flagged=1`` and re-run once at the end of its block (same ``trial`` number).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiment.files.bids import (
    SessionPaths,
    bids_column_entries,
    check_label,
    check_observer_id,
    check_session,
    dataset_path,
    session_paths,
)
from experiment.files.creation import CREATED, HALF_CREATED, NONE, session_state
from experiment.files.history import sources_seen
from experiment.files.profiles import DisplayProfile, deg_to_px, load_profile
from experiment.files.provenance import PACKAGES, run_provenance, software_versions
from experiment.files.sidecars import read_sidecar, stimulus_set_of
from experiment.plan.config import SessionConfig
from experiment.plan.policies import Humans2018, ObserverPolicy, make_policy
from experiment.plan.resume import new_settings, resume_config
from experiment.plan.trial_list import (
    PlannedTrial,
    build_trial_list,
    practice_list,
    read_trial_list,
)
from lab.accounting import effective_rows
from lab.design import ExperimentDesign, load_experiment
from lab.errors import LabInputError
from lab.inputs import check_manifest_conditions
from lab.manifest import MANIFEST_NAME, ManifestEntry, read_manifest, sha256_file
from lab.phases import PAPER_PHASES, TrialPhases
from lab.provenance import provenance
from lab.schema import HUMAN_FILE_COLUMNS, column_descriptions

log = logging.getLogger(__name__)

ANALYSIS_NOTE = (
    "A trial with flagged=1 had a dropped frame while image or mask was on screen; it is "
    "re-run once at the end of its block with the same trial number and the next attempt "
    "number. For analysis keep, per trial number, the record with the highest attempt "
    "(python -m results does); the earlier attempts are superseded."
)
TASK_DESCRIPTION = (
    "16-class object recognition with briefly shown, masked images (Geirhos et al. 2018): "
    "fixation, the image, a 1/f noise mask, then the observer clicks one of 16 class icons. "
    "The frames of each phase are under 'frames'."
)
#: In ``deg`` units a size within this fraction of the design's pixels is shown 1:1.
SNAP_TOLERANCE = 0.01


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
    config: SessionConfig | None = None  #: the config as run (resumed: saved settings)
    policy: ObserverPolicy | None = None  #: the simulated observer's (new sessions only)
    #: the trial's phases as run: the design's, ``--durations`` (resumed: the saved
    #: milliseconds) applied
    phases: TrialPhases = PAPER_PHASES


@dataclass
class SessionOutcome:
    paths: SessionPaths
    trials_run: int
    completed: bool  #: False when the experimenter quit with Escape
    #: the closing line: planned trials done, re-runs, still flagged (empty: nothing ran)
    summary: str = ""


def _own_version() -> str:
    return software_versions().get("vision-generalisation-lab", "unknown")


def _profile_name(display: str) -> str:
    return load_profile(display).name


def plan_session(config: SessionConfig) -> SessionPlan:
    """Check the inputs and settle the trial list (saved or planned); writes nothing.

    Resuming takes the saved settings (:func:`experiment.plan.resume.resume_config`); a new
    session plans per observer (:mod:`experiment.plan.planning`)."""
    check_observer_id(config.observer)
    check_session(config.session)
    design = load_experiment(config.experiment)
    paths = session_paths(config.data, config.observer, config.session, design.name)
    check_label(paths, config.observer)  # a label clash first: no other advice is right
    state = session_state(paths, HUMAN_FILE_COLUMNS)
    if config.resume and state == NONE:
        raise LabInputError(f"{paths.trials}: nothing to resume; start without --resume")
    if config.resume and state == HALF_CREATED:
        raise LabInputError(
            f"{paths.beh_dir}: the session stopped while it was being created, before any "
            "trial was recorded: start it again without --resume")
    if not config.resume and state == CREATED:
        raise LabInputError(
            f"{paths.trials}: this session has data; continue it with --resume or use "
            "another --session number"
        )
    sidecar: dict[str, Any] = {}
    if config.resume:
        sidecar = read_sidecar(paths)
        config = resume_config(config, sidecar, _profile_name, design.phases)
    phases = design.phases.override(
        config.durations, "the session's saved durations" if config.resume else "--durations")
    if config.image_units not in ("deg", "px"):
        raise LabInputError(f"image units {config.image_units!r}: use deg or px")
    if config.no_window and config.simulate_observer is None:
        raise LabInputError("--no-window runs the in-process simulated observer: give "
                            "--simulate-observer ACCURACY too")
    profile = load_profile(config.display)
    if config.screen is not None:
        profile = dataclasses.replace(profile, screen=config.screen)
    entries = read_manifest(config.stimuli)
    check_manifest_conditions(entries, Path(config.stimuli) / MANIFEST_NAME,
                              {design.name: design})
    manifest_sha = sha256_file(Path(config.stimuli) / MANIFEST_NAME)

    if config.resume:
        seed = int(sidecar["seed"])
        started_path, started_with = stimulus_set_of(sidecar)
        if started_with not in (None, manifest_sha):
            raise LabInputError(
                f"--stimuli {config.stimuli}: its manifest differs from the one the session "
                f"started with ({started_path}); resume with that stimulus set")
        trials = read_trial_list(paths.trial_list)
        policy = (None if config.simulate_observer is None
                  else make_policy(config.simulate_observer, design.name))
    else:
        seed = config.seed if config.seed is not None else secrets.randbits(32)
        policy = (None if config.simulate_observer is None
                  else make_policy(config.simulate_observer, design.name))
        if isinstance(policy, Humans2018):
            policy.check_conditions(e.condition for e in entries)
        seen, sessions = ((set(), []) if config.repeat_sources
                          else sources_seen(paths, design.name, entries))
        trials = build_trial_list(entries, design, seed, n_trials=config.trials,
                                  block_size=config.block_size, policy=policy,
                                  per_condition=config.per_condition,
                                  exclude_sources=seen, seen_in_sessions=sessions,
                                  distinct_sources=not config.repeat_sources)
    practice = (practice_list(entries, seed, config.practice, policy=policy)
                if config.practice > 0 else [])
    return SessionPlan(paths, design, profile, entries, manifest_sha, seed, trials,
                       practice, sidecar, config, policy, phases)


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
    ``git_commit`` and ``started`` (UTC) as in :mod:`lab.provenance`."""
    return {**display, **run_provenance()}


def new_sidecar(config: SessionConfig, plan: SessionPlan, run: dict[str, Any]
                ) -> dict[str, Any]:
    """The JSON sidecar of a new session (BIDS-style, plus provenance)."""
    settings = new_settings(config, seed=plan.seed, trials=len(plan.trials),
                            block_size=config.block_size or plan.design.block_size,
                            practice=len(plan.practice), phases=plan.phases)
    meta = {
        "TaskName": plan.design.name, "TaskDescription": TASK_DESCRIPTION,
        **(config.lab.sidecar() if config.lab else {}),
        "experiment": plan.design.name,
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
        # relative to the dataset where the set lies inside it, so the dataset can move
        "stimulus_set": dataset_path(config.stimuli, config.data),
        "trial_list": plan.paths.trial_list.name,
        "analysis_note": ANALYSIS_NOTE,
        "settings": settings,
        **run,
        "columns": column_descriptions(HUMAN_FILE_COLUMNS),
    }
    # BIDS describes columns as top-level keys; where a column shares its name with a
    # session fact (experiment, observer, session) the fact stays and the description
    # is under "columns".
    columns = bids_column_entries(column_descriptions(HUMAN_FILE_COLUMNS))
    return {**meta, **{k: v for k, v in columns.items() if k not in meta}}
