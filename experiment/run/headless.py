"""Is there a screen to draw on? Answered before PsychoPy, Qt or pyglet load: without a
display Qt aborts the whole process (exit 134, "reinstalling the application may fix this
problem") and pyglet raises deep inside an import."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from lab.errors import LabInputError

XVFB_HINT = "xvfb-run -a -s '-screen 0 1280x1024x24'"


def display_available(environ: Mapping[str, str] | None = None,
                      platform: str | None = None) -> bool:
    """False on Linux/BSD when neither ``DISPLAY`` (X11) nor ``WAYLAND_DISPLAY`` is set;
    macOS and Windows always have their window server."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def require_display(what: str, environ: Mapping[str, str] | None = None,
                    platform: str | None = None) -> None:
    """Raise one clear :class:`LabInputError` when ``what`` needs a screen and there is
    none."""
    if not display_available(environ, platform):
        raise LabInputError(
            f"no display: {what} needs a screen, and DISPLAY is not set; run it on the "
            f"booth's screen, or headless under a virtual display: {XVFB_HINT} "
            "<the same command>")
