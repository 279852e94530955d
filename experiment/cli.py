"""Command line of ``run_experiment.py``: sub-commands ``run`` (the default), ``check``
(pre-flight only), ``list``, ``profile``, ``calibrate`` (photometer readings -> gamma in
a profile) and ``summary`` (each observer's sessions); more can be added as sub-parsers
in :func:`build_parser` and :data:`COMMANDS`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiment.plan.participants import lab_of, participant_of
from experiment.run.headless import require_display
from lab.errors import LabInputError
from lab.inputs import MAX_PRACTICE, run_command, whole

if TYPE_CHECKING:  # the session's modules load when a command needs them
    from experiment.plan.config import SessionConfig
    from experiment.run.launch import MakePresenter
    from experiment.run.session import SessionOutcome

RUN_EXAMPLE = """example (headless, simulated observer, under a virtual display):
  xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python run_experiment.py \\
      --experiment cue-conflict --stimuli SET --observer demo-01 --session 1 \\
      --data demo-output --trials 32 --block-size 16 --simulate-observer 0.8 --seed 1
a lab session, with what BIDS records of the observer and the lab:
  .venv/bin/python run_experiment.py --experiment contrast --stimuli SET --observer s-01 \\
      --session 1 --data data --age 24 --sex F --handedness R --visual-acuity 1.0 \\
      --lab-config lab.json
(SET: a stimulus set folder with its manifest.csv, e.g. made by 'python -m stimuli build')

Without arguments an info dialog asks for observer, session, experiment and display.
After a crash or Ctrl-C, repeat the command with --resume."""

CHECK_EXAMPLE = """example:
  .venv/bin/python run_experiment.py check --experiment contrast --stimuli sets/contrast-1"""

PROFILE_EXAMPLE = """example:
  .venv/bin/python run_experiment.py profile booth2 --width-cm 53.1 \\
      --resolution 1920 1080 --refresh-hz 120 --gamma 2.2"""


LIST_EXAMPLE = """example:
  .venv/bin/python run_experiment.py list"""

CALIBRATE_EXAMPLE = """examples:
  .venv/bin/python run_experiment.py calibrate booth2            # type each reading
  .venv/bin/python run_experiment.py calibrate booth2 --readings readings.csv
(readings.csv: a header line 'level,luminance', then one line per grey level, level
0..1 or 0..255, luminance in cd/m², e.g. '0.5,31.2'; black and white included)"""

SUMMARY_EXAMPLE = """example:
  .venv/bin/python run_experiment.py summary --data data --observer subject-01"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _simulated(text: str) -> float | str:
    """``--simulate-observer``: an accuracy, or ``humans2018``."""
    if text == "humans2018":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an accuracy (0 to 1) nor humans2018") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: accuracy must be between 0 and 1")
    return value


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--experiment", help="experiment name (stimuli/experiments/<name>.toml)")
    p.add_argument("--stimuli", type=Path, help="stimulus set folder (with manifest.csv)")
    p.add_argument("--observer", help="observer ID: letters, digits, '-' and '_'")
    p.add_argument("--session", type=_positive_int, help="session number (1, 2, ...)")
    p.add_argument("--data", type=Path, help="data folder (BIDS layout under it)")
    p.add_argument("--display", default="lab",
                   help="display profile name or JSON path (default: lab)")
    p.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    p.add_argument("--screen", type=int, help="screen number (default: the profile's)")
    p.add_argument("--trials", type=_positive_int,
                   help="run N trials (a prefix of the planned list, balanced over "
                   "conditions and classes)")
    p.add_argument("--per-condition", type=_positive_int, metavar="N",
                   help="run N trials per condition, N/16 of every class (balanced), the "
                   "first of the planned list; N a multiple of 16")
    p.add_argument("--practice", type=int, default=0,
                   help="practice trials with feedback before the session (not saved)")
    p.add_argument("--simulate-observer", type=_simulated, metavar="ACCURACY|humans2018",
                   help="a simulated observer clicks through xdotool: humans2018 answers as "
                   "the 2018 humans did (their pooled answers and response times per "
                   "condition and class, resampled; it does not look at the image); a "
                   "number clicks the correct icon with that probability (tests)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted session at its next unrun trial")
    p.add_argument("--seed", type=int, help="seed of the trial order (default: random, "
                   "recorded in the sidecar)")
    p.add_argument("--click-to-continue", action="store_true",
                   help="a valid click ends the response screen (default: fixed 1500 ms)")
    p.add_argument("--allow-rate-mismatch", action="store_true",
                   help="run although the measured refresh rate is >1%% off the profile")
    p.add_argument("--block-size", type=_positive_int,
                   help="trials per block (default: the design's)")
    p.add_argument("--image-units", choices=("deg", "px"), default="deg",
                   help="image size from the design's degrees (default) or its pixels")
    p.add_argument("--durations", default="",
                   help="override phase durations in ms, e.g. 'response=600,iti=100' "
                   "(demos and tests; recorded in the sidecar)")
    p.add_argument("--no-rerun", action="store_true",
                   help="do not re-run flagged trials at the end of their block")
    p.add_argument("--repeat-sources", action="store_true",
                   help="let an observer see a source image more than once (a set built "
                   "from few source images, e.g. the demo's); default: each source image "
                   "once per observer and experiment, as in the paper")
    p.add_argument("--no-window", action="store_true",
                   help="no window: the in-process simulated observer (needs "
                   "--simulate-observer) answers at once; nothing is shown or timed "
                   "(tests and demos of the session logic)")
    p.add_argument("-v", "--verbose", action="store_true", help="log to the console too")
    who = p.add_argument_group(
        "participant (optional; participants.tsv, described in participants.json)")
    who.add_argument("--age", help="age in whole years")
    who.add_argument("--sex", help="M, F or O (male, female, other)")
    who.add_argument("--handedness", help="R, L or A (right, left, ambidextrous)")
    who.add_argument("--visual-acuity", help="e.g. 1.0 (decimal) or 20/20, with correction "
                                             "if worn")
    lab = p.add_argument_group("lab (BIDS dataset_description.json and session sidecars)")
    lab.add_argument("--lab-config", type=Path, metavar="FILE.json",
                     help="JSON with the lab's BIDS keys: Authors (list), License, "
                          "InstitutionName, InstitutionAddress, InstitutionalDepartmentName, "
                          "Acknowledgements, Funding, EthicsApprovals")
    lab.add_argument("--authors", help="dataset authors, separated by ';' (overrides the "
                                       "lab config)")
    lab.add_argument("--institution", help="institution name (overrides the lab config)")


def given_flags(argv: Sequence[str]) -> frozenset[str]:
    """The long options typed on the command line (``--trials 8`` and ``--trials=8``)."""
    return frozenset(a.split("=", 1)[0] for a in argv if a.startswith("--"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_experiment.py",
        description="Run a psychophysics session of Geirhos et al. 2018 in the booth.\n\n"
        "'run' is the default command: 'run_experiment.py --experiment ...' is\n"
        "'run_experiment.py run --experiment ...'. Its options (--experiment, --stimuli,\n"
        "--observer, --session, --data, --display, --simulate-observer, --resume, ...) are\n"
        "listed by 'run_experiment.py run --help'; each command has its own --help.",
        epilog=RUN_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command",
                                metavar="{run,check,list,profile,calibrate,summary}")
    run = sub.add_parser("run", help="run or resume a session (the default)",
                         epilog=RUN_EXAMPLE,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(run)
    check = sub.add_parser("check", help="pre-flight only: stimuli and display, no data",
                           epilog=CHECK_EXAMPLE,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--experiment", required=True,
                       help="experiment name (stimuli/experiments/<name>.toml)")
    check.add_argument("--stimuli", type=Path,
                       help="also verify every file of this stimulus set against its "
                            "manifest (sha256)")
    check.add_argument("--display", default="lab",
                       help="display profile name or JSON path (default: lab)")
    check.add_argument("--screen", type=int, help="screen number (default: the profile's)")
    check.add_argument("--windowed", action="store_true",
                       help="a window instead of fullscreen")
    check.add_argument("--durations", default="",
                       help="phase durations in ms to plan frames for, e.g. "
                            "'response=600,iti=100' (default: the paper's)")
    check.add_argument("--allow-rate-mismatch", action="store_true",
                       help="pass although the measured refresh rate is >1%% off the profile")
    sub.add_parser("list", help="experiments and display profiles",
                   description="The experiments (conditions, trials, block size, image size) "
                   "and the display profiles (resolution, refresh rate, width, gamma).",
                   epilog=LIST_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    prof = sub.add_parser("profile", help="store a new display profile",
                          epilog=PROFILE_EXAMPLE,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    prof.add_argument("name", help="profile name (letters, digits, '-', '_'); stored as "
                                   "experiment/profiles/<name>.json")
    prof.add_argument("--width-cm", type=float, required=True,
                      help="width of the screen's visible image in cm (measure it)")
    prof.add_argument("--resolution", type=int, nargs=2, required=True, metavar=("W", "H"),
                      help="the screen's resolution in px, e.g. 1920 1080")
    prof.add_argument("--refresh-hz", type=float, required=True,
                      help="the screen's refresh rate in Hz (checked against the measured "
                           "rate before every session)")
    prof.add_argument("--distance-cm", type=float,
                      help="viewing distance in cm (default: the design's)")
    prof.add_argument("--gamma", type=float,
                      help="nominal monitor gamma (default: none; 'calibrate' measures it)")
    prof.add_argument("--psychopy-monitor",
                      help="use this saved PsychoPy Monitor Center calibration instead")
    prof.add_argument("--screen", type=int, default=0,
                      help="screen number the session window opens on (default 0)")
    prof.add_argument("--virtual-rate-hz", type=float, default=60.0,
                      help="flip rate to pace to on a virtual display without vsync "
                           "(Xvfb; default 60)")
    prof.add_argument("--description", default="",
                      help="free text, e.g. the monitor model and booth")
    cal = sub.add_parser(
        "calibrate", help="photometer readings -> gamma fit stored in a display profile",
        description="Take photometer readings at a series of grey levels (typed in while "
        "each level is shown full-screen, or from a CSV), fit the gamma with PsychoPy's "
        "GammaCalculator, store it in the profile and save a plot of the fit beside it.",
        epilog=CALIBRATE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    cal.add_argument("profile", help="display profile name or JSON path")
    cal.add_argument("--readings", type=Path, metavar="FILE.csv",
                     help="readings from a CSV with columns level,luminance")
    cal.add_argument("--levels", type=_positive_int,
                     help="grey levels to type in, evenly from black to white (default 9)")
    cal.add_argument("--no-window", action="store_true",
                     help="only prompt: show no grey window (set the levels yourself)")
    cal.add_argument("--windowed", action="store_true", help="a window, not fullscreen")
    cal.add_argument("--screen", type=int, help="screen number (default: the profile's)")
    summ = sub.add_parser(
        "summary", help="each observer's sessions so far (reads the data, writes nothing)",
        description="Per observer, their sessions so far: experiment, session, trials "
        "done / planned, accuracy, flagged trials, started and last-trial time, and "
        "whether the session is complete or can be resumed. Reads the data folder and "
        "writes nothing.",
        epilog=SUMMARY_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    summ.add_argument("--data", type=Path, required=True, help="the sessions' data folder")
    summ.add_argument("--observer", help="only this observer (ID or sub- label)")
    return parser


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from experiment.calibrate import calibrate

    if not args.no_window and args.readings is None:
        require_display("calibrate (it shows each grey level; --no-window only prompts)")
    if args.readings is not None and args.levels is not None:
        raise LabInputError("--levels is for typed readings; a --readings CSV has its own "
                            "levels: give one or the other")
    handler = logging.StreamHandler(sys.stderr)  # warnings as they happen, one line each
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger("experiment").addHandler(handler)
    try:
        outcome = calibrate(args.profile, readings_csv=args.readings, levels=args.levels,
                            window=not args.no_window, windowed=args.windowed,
                            screen=args.screen)
    except KeyboardInterrupt:
        print("\ncalibration interrupted: nothing stored", file=sys.stderr)
        return 130
    finally:
        logging.getLogger("experiment").removeHandler(handler)
    cal = outcome.calibration
    print(f"readings: {len(cal.levels)} levels ({cal.source}), "
          f"{cal.min_cd_m2:g}-{cal.max_cd_m2:g} cd/m²")
    print(f"fit: gamma {cal.gamma:.3f}, rms {cal.rms_cd_m2:.3g} cd/m² ({cal.method})")
    print(f"plot: {outcome.plot}")
    print(f"profile updated: {outcome.profile} (calibration of {cal.date})")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from experiment.files.summary import format_summary, summarise

    for line in format_summary(summarise(args.data, args.observer), args.data):
        print(line)
    return 0


def _cmd_profile(args: argparse.Namespace) -> int:
    from experiment.files.profiles import DisplayProfile, make_profile

    path = make_profile(DisplayProfile(
        name=args.name, width_cm=args.width_cm, resolution=tuple(args.resolution),
        refresh_hz=args.refresh_hz, description=args.description,
        distance_cm=args.distance_cm, gamma=args.gamma,
        psychopy_monitor=args.psychopy_monitor, screen=args.screen,
        virtual_rate_hz=args.virtual_rate_hz))
    print(f"profile written: {path}")
    return 0


def choose_presenter(config: SessionConfig) -> MakePresenter:
    """The booth's window, or the window-less presenter (``--no-window``); the window's
    stack (PsychoPy) is imported only here, after the session's checks."""
    if config.no_window:
        from experiment.run.windowless import HeadlessPresenter
        return HeadlessPresenter
    from experiment.window import import_monitors_quietly
    import_monitors_quietly()
    from experiment.window.booth import Booth
    return Booth


def run_session(config: SessionConfig) -> SessionOutcome:
    """Run (or resume) a session with the presenter its config asks for; raises
    :class:`LabInputError` on a refusal (see :func:`experiment.run.launch.launch`)."""
    from experiment.run.launch import launch

    return launch(config, choose_presenter)


def _cmd_run(args: argparse.Namespace) -> int:
    from experiment.plan.config import SessionConfig
    from experiment.plan.frames import parse_durations

    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:  # the progress a person follows: trial k of n, re-runs, time left
        _show_progress()
    _check_counts(args.practice, args.seed)
    needed = ("experiment", "stimuli", "observer", "session", "data")
    given = [n for n in needed if getattr(args, n) is not None]
    if not given:
        require_display("the session dialog")
        from experiment.window import import_monitors_quietly
        import_monitors_quietly()
        from experiment.window.dialog import ask_session
        config = ask_session(args)
        if config is None:
            print("cancelled")
            return 1
    else:
        missing = [f"--{n}" for n in needed if getattr(args, n) is None]
        if missing:
            raise LabInputError(f"missing {', '.join(missing)}: give all of "
                                "--experiment --stimuli --observer --session --data")
        config = SessionConfig(
            experiment=args.experiment, stimuli=args.stimuli, observer=args.observer,
            session=args.session, data=args.data, display=args.display,
            screen=args.screen, windowed=args.windowed, trials=args.trials,
            per_condition=args.per_condition,
            practice=args.practice,
            simulate_observer=args.simulate_observer, resume=args.resume, seed=args.seed,
            click_to_continue=args.click_to_continue,
            allow_rate_mismatch=args.allow_rate_mismatch, block_size=args.block_size,
            durations=parse_durations(args.durations), image_units=args.image_units,
            rerun_flagged=not args.no_rerun, participant=participant_of(args),
            lab=lab_of(args), no_window=args.no_window,
            repeat_sources=args.repeat_sources,
            given=getattr(args, "given_flags", None))
    try:  # (no display: run_session says so before opening a window; a complete
        # session resumes without one)
        outcome = run_session(config)
    except KeyboardInterrupt as err:
        if getattr(err, "created", True):
            print("interrupted: every completed trial is saved; continue with --resume",
                  file=sys.stderr)
        else:
            print("interrupted before the session's files were created: nothing was "
                  "written; run the same command again", file=sys.stderr)
        return 130
    state = "complete" if outcome.completed else "stopped (continue with --resume)"
    if outcome.summary:
        print(f"session {state}: {outcome.summary}; data in {outcome.paths.trials}")
    else:
        print(f"session {state}: nothing left to run; data in {outcome.paths.trials}")
    return 0


def _show_progress() -> None:
    """Print the session's progress lines (logger ``experiment.progress``) on standard
    output, once."""
    logger = logging.getLogger("experiment.progress")
    logger.setLevel(logging.INFO)
    for handler in logger.handlers:
        if getattr(handler, "_lab_progress", False):
            # the standard output of now (a second session in one process, e.g. a test)
            handler.stream = sys.stdout  # type: ignore[attr-defined]
            return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.INFO)
    handler._lab_progress = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


def _check_counts(practice: int, seed: int | None) -> None:
    """Refuse a negative --practice or --seed in one line, before anything is written."""
    if practice < 0:
        raise LabInputError(f"--practice {practice}: must be 0 (none) or more practice "
                            "trials, e.g. --practice 10")
    whole(practice, "--practice", high=MAX_PRACTICE, example="--practice 10")
    if seed is not None and seed < 0:
        raise LabInputError(f"--seed {seed}: must be a whole number, 0 or more, e.g. --seed 1 "
                            "(or leave it out for a random, recorded seed)")


def _cmd_check(args: argparse.Namespace) -> int:
    from experiment.check import preflight_report
    from experiment.plan.frames import parse_durations

    # the report lists every warning once ("warning: ..."): the log records of the same
    # warnings stay off the console
    quiet = logging.NullHandler()
    logging.getLogger("experiment").addHandler(quiet)
    try:
        lines = preflight_report(args.experiment, args.stimuli, args.display,
                                 windowed=args.windowed, screen=args.screen,
                                 durations=parse_durations(args.durations),
                                 allow_rate_mismatch=args.allow_rate_mismatch)
    finally:
        logging.getLogger("experiment").removeHandler(quiet)
    for line in lines:
        print(line)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from experiment.files.profiles import list_profiles, load_profile
    from lab.design import list_experiments, load_experiment

    print("experiments:")
    for name in list_experiments():
        d = load_experiment(name)
        print(f"  {name:<20} {len(d.conditions)} conditions, {d.trials_per_observer} "
              f"trials, blocks of {d.block_size}, {d.image_size} px")
    print("display profiles:")
    for name in list_profiles():
        p = load_profile(name)
        cal = (f", gamma {p.gamma:g} calibrated {p.calibration['date']}" if p.calibration
               else f", gamma {p.gamma:g} (nominal)" if p.gamma is not None else "")
        print(f"  {name:<20} {p.resolution[0]}x{p.resolution[1]} px, {p.refresh_hz:g} Hz, "
              f"{p.width_cm:g} cm wide{cal}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _cmd_run, "check": _cmd_check, "list": _cmd_list, "profile": _cmd_profile,
    "calibrate": _cmd_calibrate, "summary": _cmd_summary,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--check" in argv and (not argv or argv[0] not in COMMANDS):
        # `run_experiment.py --check ...` is the pre-flight alone, as `check ...`
        argv = ["check", *(a for a in argv if a != "--check")]
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "run")

    def command() -> int:
        args = build_parser().parse_args(argv)
        args.given_flags = given_flags(argv)
        return COMMANDS[args.command](args)

    # a LabInputError, an OSError the checks could not foresee or Ctrl-C: one line
    return run_command(command, interrupted="interrupted before the session started: "
                       "nothing was written; run the same command again")
