"""Text screens that wait for the observer (start, breaks, end) and the quit question."""

from __future__ import annotations

import logging

from psychopy import event

from experiment.plan.observers import Observer, WindowSink
from experiment.window.display import FrameClock
from experiment.window.screens import Screens

log = logging.getLogger(__name__)


class Prompter:
    """Shows a message until a click or the space bar (a simulated observer clicks)."""

    def __init__(self, clock: FrameClock, screens: Screens, mouse: event.Mouse,
                 observer: Observer) -> None:
        self.clock = clock
        self.screens = screens
        self.mouse = mouse
        self.observer = observer

    def wait(self, text: str, *, max_s: float | None = None) -> None:
        """Show ``text``; return on a new left click or space (or after ``max_s``)."""
        event.clearEvents()
        self.screens.draw_text(text)
        start = self.clock.flip()
        self.mouse.clickReset()
        was_down = bool(self.mouse.getPressed()[0])
        self.observer.prompt(WindowSink())
        while True:
            down = bool(self.mouse.getPressed()[0])
            if (down and not was_down) or event.getKeys(keyList=["space"]):
                break
            was_down = down
            self.screens.draw_text(text)
            if self.clock.flip() - start > (max_s if max_s is not None else float("inf")):
                break
        self.observer.settle()
        self.clock.flip()

    def confirm_quit(self) -> bool:
        """Escape was pressed: ask. True = save and quit (every trial is already saved)."""
        log.info("escape pressed: asking to confirm")
        event.clearEvents()
        text = ("Quit the session?\n\nPress Y to save and quit (resume later with --resume),"
                "\nN to continue.")
        while True:
            keys = event.getKeys(keyList=["y", "n", "escape"])
            if "y" in keys:
                return True
            if "n" in keys or "escape" in keys:
                log.info("quit cancelled")
                return False
            self.screens.draw_text(text)
            self.clock.flip()
