"""One observer's session: pre-flight, practice, blocks of trials, breaks, end screen.

The trial list is built (pure, :mod:`experiment.trial_list`) and saved beside the data
before the first trial; the session only walks it. Every trial is appended and fsynced
the moment it ends (:class:`results.trial_file.TrialFile`), so a crash, Ctrl-C or
``kill -9`` loses nothing, and ``resume=True`` walks on from the first trial without a
record. A trial with a dropped frame during image or mask is saved with ``flagged=1``
and re-run once at the end of its block (same ``trial`` number).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiment.bids import (
    SessionPaths,
    check_observer_id,
    check_session,
    claim_label,
    session_paths,
)
from experiment.frames import Durations
from experiment.profiles import DEFAULT_PROFILE, DisplayProfile, deg_to_px, load_profile
from experiment.provenance import git_commit, software_versions
from experiment.stimulus_check import verify_session_stimuli
from experiment.trial_list import (
    PlannedTrial,
    blocks_of,
    build_trial_list,
    practice_list,
    read_trial_list,
    remaining_schedule,
    write_trial_list,
)
from results.schema import HUMAN_FILE_COLUMNS, HumanTrialRecord, column_descriptions
from results.trial_file import TrialFile, read_rows, write_json_atomic
from stimuli.design import ExperimentDesign, load_experiment
from stimuli.errors import LabInputError
from stimuli.manifest import MANIFEST_NAME, read_manifest, sha256_file
from stimuli.masks import make_mask

log = logging.getLogger(__name__)

ANALYSIS_NOTE = (
    "A trial with flagged=1 had a dropped frame while image or mask was on screen; it is "
    "re-run once at the end of its block with the same trial number. For analysis keep, "
    "per trial number, the last record (equivalently: drop flagged=1 rows whose trial has "
    "a later record)."
)


@dataclass
class SessionConfig:
    """Everything the launcher collects (CLI flags or the info dialog)."""

    experiment: str
    stimuli: Path
    observer: str
    session: int
    data: Path
    display: str = DEFAULT_PROFILE
    windowed: bool = False
    trials: int | None = None
    practice: int = 0
    simulate_observer: float | None = None
    resume: bool = False
    seed: int | None = None
    click_to_continue: bool = False
    allow_rate_mismatch: bool = False
    block_size: int | None = None
    durations: Durations = field(default_factory=Durations)
    image_units: str = "deg"  #: "deg" (design.image_degrees) or "px" (design.image_size)
    rerun_flagged: bool = True


@dataclass
class SessionOutcome:
    paths: SessionPaths
    trials_run: int
    completed: bool  #: False when the experimenter quit with Escape


def _prepare_files(config: SessionConfig) -> tuple[SessionPaths, ExperimentDesign]:
    check_observer_id(config.observer)
    check_session(config.session)
    design = load_experiment(config.experiment)
    paths = session_paths(config.data, config.observer, config.session, design.name)
    if config.resume:
        if not paths.trials.is_file():
            raise LabInputError(f"{paths.trials}: nothing to resume; start without --resume")
    elif paths.trials.exists() or paths.trial_list.exists():
        raise LabInputError(
            f"{paths.trials}: this session has data; continue it with --resume or use "
            "another --session number"
        )
    claim_label(paths, config.observer)
    return paths, design


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
    paths, design = _prepare_files(config)
    entries = read_manifest(config.stimuli)
    manifest_sha = sha256_file(Path(config.stimuli) / MANIFEST_NAME)
    profile = load_profile(config.display)
    if config.image_units not in ("deg", "px"):
        raise LabInputError(f"image units {config.image_units!r}: use deg or px")

    if config.resume:
        sidecar = json.loads(paths.sidecar.read_text(encoding="utf-8"))
        seed = int(sidecar["seed"])
        if config.seed is not None and config.seed != seed:
            raise LabInputError(f"--seed {config.seed}: the session was started with seed "
                                f"{seed}; resume without --seed")
        trials = read_trial_list(paths.trial_list)
    else:
        sidecar = {}
        seed = config.seed if config.seed is not None else secrets.randbits(32)
        trials = build_trial_list(entries, design, seed, n_trials=config.trials,
                                  block_size=config.block_size,
                                  simulate_accuracy=config.simulate_observer)
    practice = (practice_list(entries, seed, config.practice,
                              simulate_accuracy=config.simulate_observer)
                if config.practice > 0 and not config.resume else [])

    handler = _add_log_file(paths.log)
    try:
        log.info("session %s: observer %s, session %d, experiment %s, seed %d%s",
                 paths.stem, config.observer, config.session, design.name, seed,
                 " (resumed)" if config.resume else "")
        n_files = verify_session_stimuli(Path(config.stimuli), entries, [*trials, *practice])
        return _run(config, design, profile, paths, n_files, manifest_sha, seed, trials,
                    practice, sidecar)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def _run(config: SessionConfig, design: ExperimentDesign, profile: DisplayProfile,
         paths: SessionPaths, n_files: int, manifest_sha: str, seed: int,
         trials: list[PlannedTrial], practice: list[PlannedTrial], sidecar: dict[str, Any]
         ) -> SessionOutcome:
    # PsychoPy only from here on: the checks above need no window.
    try:
        from psychopy import event
        from psychopy import logging as psychopy_logging

        from experiment.display import FrameClock, open_window
    except Exception as err:  # pyglet cannot reach an X display
        raise LabInputError(
            f"cannot open the display ({str(err).splitlines()[0]}): run on the booth's "
            "screen, or under xvfb-run -a -s '-screen 0 1280x1024x24'"
        ) from err
    from experiment.preflight import check_display
    from experiment.prompts import Prompter
    from experiment.screens import Screens
    from experiment.trial import ResponseCollector, run_trial

    psychopy_logging.console.setLevel(psychopy_logging.WARNING)
    distance = profile.distance_cm or design.viewing_distance_cm
    win, warnings = open_window(profile, distance_cm=distance,
                                background=design.background_grey, windowed=config.windowed)
    simulator = None
    try:
        info, plan = check_display(win, profile, config.durations,
                                   allow_rate_mismatch=config.allow_rate_mismatch,
                                   warnings=warnings)
        image_px = _image_px(config.image_units, design, distance, profile.cm_per_px)
        frame_px = round(image_px * design.fixation_frame_px / design.image_size)
        display_meta = {
            "display_profile": profile.as_dict(),
            "viewing_distance_cm": distance,
            "image_px": image_px, "image_units": config.image_units,
            "fixation_frame_px": frame_px,
            "renderer": info.renderer, "window_size": list(info.window_size),
            "measured_refresh_rate_hz": round(info.measured_rate_hz, 3),
            "refresh_rate_hz": info.rate_hz, "virtual_display": info.virtual,
            "gamma_requested": info.gamma_requested, "gamma_loaded": info.gamma_loaded,
            "rate_mismatch_allowed": config.allow_rate_mismatch,
            "durations_ms": config.durations.as_dict(), "frames": plan.as_dict(),
            "warnings": info.warnings,
            "software": software_versions(), "git_commit": git_commit(),
            "started": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        if config.resume:
            sidecar.setdefault("resumed", []).append(display_meta)
            write_json_atomic(paths.sidecar, sidecar)
            trial_file = TrialFile.resume(paths.trials, HUMAN_FILE_COLUMNS)
            rows = read_rows(paths.trials)
        else:
            write_trial_list(paths.trial_list, trials)
            sidecar = {
                "TaskName": design.name, "experiment": design.name,
                "observer": config.observer, "session": config.session, "seed": seed,
                "n_trials": len(trials),
                "block_size": config.block_size or design.block_size,
                "practice_trials": len(practice),
                "simulated_observer": (None if config.simulate_observer is None
                                       else {"accuracy": config.simulate_observer}),
                "click_to_continue": config.click_to_continue,
                "rerun_flagged": config.rerun_flagged,
                "stimuli": {"path": str(Path(config.stimuli).resolve()),
                            "manifest_sha256": manifest_sha},
                "trial_list": paths.trial_list.name,
                "analysis_note": ANALYSIS_NOTE,
                **display_meta,
                "columns": column_descriptions(HUMAN_FILE_COLUMNS),
            }
            trial_file = TrialFile.create(paths.trials, HUMAN_FILE_COLUMNS, sidecar=sidecar)
            rows = []
        done = {int(r["trial"]) for r in rows}
        summary = (
            f"pre-flight passed: {design.name}, observer {config.observer}, session "
            f"{config.session}; {n_files} stimulus files verified (sha256); refresh "
            f"{info.rate_hz:g} Hz{' (virtual display, paced)' if info.virtual else ''}, "
            f"measured {info.measured_rate_hz:.1f} Hz; frames: fixation {plan.fixation}, "
            f"image {plan.image}, mask {plan.mask}, response {plan.response}, iti "
            f"{plan.iti}; image {image_px} px; {len(trials) - len(done)} of {len(trials)} "
            f"trials to run; gamma "
            f"{'not used' if info.gamma_loaded is None else info.gamma_loaded}"
        )
        log.info(summary)

        screens = Screens(win, image_px=image_px, frame_px=frame_px,
                          background=design.background_grey)
        clock = FrameClock(win, pace_hz=info.rate_hz if info.virtual else None)
        mouse = event.Mouse(win=win, visible=True)
        collector = ResponseCollector(mouse, screens)
        if config.simulate_observer is not None:
            from experiment.simulated import SimulatedObserver
            simulator = SimulatedObserver(win, screens.cells)
        prompter = Prompter(clock, screens, mouse, simulator)
        prompter.wait("\n".join([
            "Pre-flight passed.", "", *summary.split("; "), "",
            "Click or press space to start.",
        ]))

        def prepare(t: PlannedTrial) -> None:
            screens.prepare_image(Path(config.stimuli) / t.image)
            screens.prepare_mask(make_mask(design.mask_batch,
                                           np.random.default_rng(t.mask_seed)))

        def trial_kwargs(t: PlannedTrial) -> dict:
            if simulator is None:
                return {}
            return {"on_response_onset": lambda: simulator.respond(t.simulated_response)}

        beeper = _Beeper()
        for t in practice:
            prepare(t)
            result = run_trial(clock, screens, plan, collector,
                               click_to_continue=config.click_to_continue,
                               feedback_for=t.category, on_feedback=beeper.beep,
                               **trial_kwargs(t))
            if simulator is not None:
                simulator.wait()
            log.info("practice %d: %s -> %s", t.trial, t.category, result.response)
        if practice:
            prompter.wait("Practice done. The experiment starts now.\n\n"
                          "Click or press space to continue.")

        trials_run = 0
        blocks = blocks_of(trials)
        for block in blocks:
            ran_here = False
            while schedule := remaining_schedule(trials, rows, block):
                if any(s.rerun for s in schedule) and not config.rerun_flagged:
                    break
                for item in schedule:
                    t = item.planned
                    prepare(t)
                    result = run_trial(clock, screens, plan, collector,
                                       click_to_continue=config.click_to_continue,
                                       **trial_kwargs(t))
                    if simulator is not None:
                        simulator.wait()
                    record = HumanTrialRecord(
                        experiment=design.name, observer=config.observer,
                        session=config.session, trial=t.trial, block=t.block,
                        image=t.image, sha256=t.sha256, category=t.category,
                        condition=t.condition, response=result.response,
                        correct=result.response == t.category, rt=result.rt,
                        image_frames_planned=result.image_frames_planned,
                        image_frames_shown=result.image_frames_shown,
                        mask_frames_planned=result.mask_frames_planned,
                        mask_frames_shown=result.mask_frames_shown,
                        image_duration_ms=result.image_duration_ms,
                        max_frame_interval_ms=result.max_frame_interval_ms,
                        dropped_frames=result.dropped_frames, flagged=result.flagged,
                    )
                    trial_file.write(record)
                    rows.append({"trial": str(t.trial), "block": str(t.block),
                                 "flagged": "1" if result.flagged else "0",
                                 "correct": "1" if record.correct else "0"})
                    trials_run += 1
                    ran_here = True
                    if result.flagged:
                        log.warning("trial %d flagged (%d dropped frames, image %d/%d, "
                                    "mask %d/%d frames)%s", t.trial, result.dropped_frames,
                                    result.image_frames_shown, result.image_frames_planned,
                                    result.mask_frames_shown, result.mask_frames_planned,
                                    "" if item.rerun else "; re-run at the end of the block")
                    if result.escape and prompter.confirm_quit():
                        log.info("stopped by the experimenter after trial %d; resume with "
                                 "--resume", t.trial)
                        trial_file.close()
                        return SessionOutcome(paths, trials_run, completed=False)
            if ran_here and block != blocks[-1]:
                percent = _block_percent(rows, block)
                log.info("block %d done: %.0f%% correct", block, percent)
                prompter.wait(f"Block {block} of {len(blocks)} done: {percent:.0f}% "
                              "correct.\n\nTake a break. Click or press space to go on.")
        trial_file.close()
        log.info("session complete: %d trials run in this run", trials_run)
        prompter.wait("The session is complete. Thank you!\n\nClick or press space.",
                      max_s=10.0)
        return SessionOutcome(paths, trials_run, completed=True)
    finally:
        if simulator is not None:
            simulator.wait()
        win.close()


#: In ``deg`` units a size within this fraction of the design's pixels is shown 1:1.
SNAP_TOLERANCE = 0.01


def _image_px(units: str, design: ExperimentDesign, distance_cm: float,
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


def _block_percent(rows: list[dict[str, str]], block: int) -> float:
    """Percent correct of a block, counting the last record of each trial."""
    last: dict[str, str] = {}
    for r in rows:
        if r["block"] == str(block):
            last[r["trial"]] = r["correct"]
    return 100.0 * sum(v == "1" for v in last.values()) / max(1, len(last))


class _Beeper:
    """The practice feedback beep; without a sound device it warns once and stays silent."""

    def __init__(self) -> None:
        self._sound = None
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
