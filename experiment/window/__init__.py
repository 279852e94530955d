"""Everything that imports PsychoPy or pyglet: the booth, the display and its
pre-flight, screens, the trial's frame loop, prompts, simulated clicking, the photometer,
the gamma fit, the session dialog and screenshots."""

import sys


def import_monitors_quietly() -> None:
    """Import ``psychopy.monitors`` with PsychoPy's console target detached.

    On a machine where PsychoPy has never run, that import saves PsychoPy's default
    ``testMonitor`` and logs "Monitor specification not found. Creating a temporary
    one...", which PsychoPy prints when it next flushes its log: after the session, under
    the last progress line, about a monitor no session uses (the booth builds its own from
    the display profile, :class:`experiment.window.display.ProfileMonitor`). Without a
    target, PsychoPy drops the messages of this one import; the console is attached again
    at once, so every later PsychoPy warning is printed as before. Called where a command
    is about to open a window (the session, the dialog, the photometer's grey screen), not
    on importing this package: commands without a window do not load PsychoPy."""
    if "psychopy.monitors" in sys.modules:
        return
    from psychopy import logging as psychopy_logging

    psychopy_logging.root.removeTarget(psychopy_logging.console)
    try:
        import psychopy.monitors  # noqa: F401
    finally:
        psychopy_logging.root.addTarget(psychopy_logging.console)
