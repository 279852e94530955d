"""Typed photometer readings: each grey level shown full-screen, its luminance asked for.

The grey window (:class:`GreyScreen`, PsychoPy) is optional: without a display, or with
``--no-window``, the levels are only prompted for (set them with another tool). The
window is opened with an identity gamma ramp where the display takes one, so the
readings describe the display itself and not a previous calibration.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from experiment.files.calibration import Readings, make_readings
from experiment.files.profiles import DisplayProfile
from lab.errors import LabInputError

log = logging.getLogger(__name__)

QUIT_WORDS = ("q", "quit")
#: While a reading is typed the grey window is refreshed this often (s).
REFRESH_S = 0.02


class GreyScreen:
    """A window filled with one grey level at a time (PsychoPy imported on creation)."""

    def __init__(self, profile: DisplayProfile, *, windowed: bool = False) -> None:
        from experiment.window import import_monitors_quietly
        import_monitors_quietly()
        from psychopy import visual

        from experiment.window.display import WINDOWED_SIZE, make_monitor

        self.warnings: list[str] = []
        size = WINDOWED_SIZE if windowed else tuple(profile.resolution)
        kwargs: dict[str, Any] = dict(
            size=size, units="pix", color=[-1, -1, -1], colorSpace="rgb",
            fullscr=not windowed, screen=profile.screen, allowGUI=windowed,
            monitor=make_monitor(profile, 57.0, gamma=False), checkTiming=False)
        try:
            self.win = visual.Window(gamma=1.0, **kwargs)
        except (OSError, RuntimeError) as err:
            msg = ("display cannot take a gamma table: readings are taken under the "
                   f"system's current ramp ({str(err).splitlines()[0]})")
            log.warning(msg)
            self.warnings.append(msg)
            self.win = visual.Window(**kwargs)
        self.win.mouseVisible = False
        for _ in range(3):  # the first frames of a new window may not show the colour
            self.win.flip()

    def show(self, level_255: float) -> None:
        """Fill the screen with ``level_255`` (0..255) and keep it up."""
        value = level_255 / 255.0 * 2.0 - 1.0
        self.win.color = [value] * 3
        for _ in range(2):  # the new colour is the clear colour from the next flip on
            self.win.flip()

    def refresh(self) -> None:
        """Flip once more (keeps the window answering its window manager)."""
        self.win.flip()

    def close(self) -> None:
        self.win.close()


def ask_while(ask: Callable[[str], str], prompt: str, refresh: Callable[[], None],
              period_s: float = REFRESH_S) -> str:
    """``ask(prompt)`` in a helper thread while the window is refreshed every
    ``period_s``, so a window waiting for a typed reading never looks hung."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["answer"] = ask(prompt)
        except BaseException as err:  # EOFError, KeyboardInterrupt: raised below
            outcome["error"] = err

    thread = threading.Thread(target=target, name="photometer-prompt", daemon=True)
    thread.start()
    while thread.is_alive():
        refresh()
        thread.join(period_s)
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome["answer"])


def ask_readings(levels: Sequence[float], ask: Callable[[str], str],
                 tell: Callable[[str], None], screen: GreyScreen | None = None
                 ) -> Readings:
    """For each level (0..255): show it (if a ``screen``), then ask for its luminance
    until a number is typed. ``q`` or the end of input stops with nothing stored."""
    lums: list[float] = []
    if screen is not None:
        shown = screen

        def ask_(prompt: str) -> str:
            return ask_while(ask, prompt, shown.refresh)
    else:
        ask_ = ask
    for i, level in enumerate(levels, start=1):
        if screen is not None:
            screen.show(level)
        while True:
            try:
                answer = ask_(f"level {i}/{len(levels)}: grey {level:g}/255 "
                             f"({level / 255:.3f}) - luminance in cd/m² (q quits): ")
            except EOFError:
                raise LabInputError(f"input ended after {i - 1} of {len(levels)} levels: "
                                    "nothing stored; type one reading per level") from None
            text = answer.strip()
            if text.lower() in QUIT_WORDS:
                raise LabInputError(f"calibration stopped at level {i} of {len(levels)}: "
                                    "nothing stored")
            try:
                value = float(text)
            except ValueError:
                tell(f"  {text!r} is not a number: type the photometer's reading in cd/m²")
                continue
            if not value >= 0 or value == float("inf"):
                tell(f"  {text!r}: luminance must be a number >= 0 (cd/m²)")
                continue
            lums.append(value)
            break
    return make_readings(list(levels), lums, "typed")
