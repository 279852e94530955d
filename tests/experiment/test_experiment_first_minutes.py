"""The first minutes of a new user: no display is one line before Qt or pyglet load, the
pre-flight prints no PsychoPy warnings and says which window size it uses, and every
command's --help has its example and a help text for each option."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from experiment_helpers import REPO, needs_display, run_cli

from experiment.cli import build_parser
from experiment.run.headless import display_available, require_display
from lab.errors import LabInputError

NO_DISPLAY = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


def test_display_available_per_platform() -> None:
    assert not display_available({}, "linux")
    assert display_available({"DISPLAY": ":1"}, "linux")
    assert display_available({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert display_available({}, "darwin") and display_available({}, "win32")
    with pytest.raises(LabInputError, match=r"^no display: the dialog needs a screen.*"
                                            r"xvfb-run -a -s '-screen 0 1280x1024x24'"):
        require_display("the dialog", {}, "linux")


def test_no_arguments_without_display_is_one_line_before_qt_loads() -> None:
    code = ("import sys\nfrom experiment.cli import main\nrc = main([])\n"
            "loaded = [m for m in ('psychopy', 'pyglet', 'PyQt6', 'PyQt5') if m in sys.modules]\n"
            "print('loaded:', loaded, file=sys.stderr)\nsys.exit(rc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env=NO_DISPLAY)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "loaded: []"
    assert len(lines) == 2 and lines[0].startswith("error: no display: the session dialog")
    # and the launcher itself: exit 2 (not Qt's abort, 134)
    launcher = run_cli(env=NO_DISPLAY)
    assert launcher.returncode == 2
    assert launcher.stderr.strip().splitlines() == [lines[0]]


def test_calibrate_without_display_is_one_line() -> None:
    done = run_cli("calibrate", "lab", env=NO_DISPLAY)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: no display: calibrate (it shows each grey level; "
                           "--no-window only prompts)")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_an_example_and_every_option_a_help_text() -> None:
    parser = build_parser()
    top = parser.format_help()
    assert "run_experiment.py run --help" in top  # where run's options are
    for name, sub in _subparsers(parser).items():
        assert sub.epilog and "example" in sub.epilog, name
        assert "run_experiment.py" in sub.epilog, name
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"


def test_frame_timing_help_is_its_own() -> None:
    done = subprocess.run([sys.executable, "benchmarks/frame_timing.py", "--help"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: benchmarks/frame_timing.py")
    assert "PsychoPy Preferences" not in done.stdout and "--paced" in done.stdout
    assert "example:" in done.stdout


@needs_display
def test_fullscreen_check_prints_no_psychopy_warnings_and_says_which_size(
        stimulus_set: Path, tmp_path: Path) -> None:
    """On the 1280x1024 Xvfb screen the 'lab' profile (1920x1200) opens fullscreen: the
    check says the screen's size is used and why, prints the virtual-display warning
    once, and PsychoPy's monitor and window-size warnings are gone."""
    monitors = Path.home() / ".psychopy3" / "monitors"
    before = sorted(monitors.glob("*")) if monitors.is_dir() else []
    done = run_cli("check", "--experiment", "cue-conflict")
    assert done.returncode == 0, done.stderr[-2000:]
    everything = done.stdout + done.stderr
    assert "Monitor specification not found" not in everything
    assert "User requested fullscreen" not in everything
    assert everything.count("virtual display (renderer") == 1
    window = next(line for line in done.stdout.splitlines() if line.startswith("renderer:"))
    assert "window 1280x1024 px (profile 'lab': 1920x1200; a fullscreen window takes the " \
           "size of the screen it is on" in window
    assert done.stdout.splitlines()[-1] == "pre-flight passed"
    after = sorted(monitors.glob("*")) if monitors.is_dir() else []
    assert after == before  # nothing written to PsychoPy's Monitor Center folder
