"""Test hooks of the booth, set through the environment (never needed in the lab).

``VGL_TEST_DROP_FRAMES``
    Forces a dropped frame in chosen trials, so that the re-run and accounting path is
    exercised by a real session: a comma-separated list of ``<trial>`` or
    ``<trial>:<attempt>`` (attempt 1 if omitted). In each listed attempt the booth sleeps
    for :data:`STALL_FRAMES` frame periods between drawing and flipping the blank after the
    image; the image's last frame then stays on screen that much longer and the trial is
    flagged. Example:
    ``VGL_TEST_DROP_FRAMES=2,5,5:2`` drops a frame in trial 2, and in trial 5 and its re-run.
"""

from __future__ import annotations

import logging
import os

from lab.errors import LabInputError

log = logging.getLogger(__name__)

DROP_FRAMES_VARIABLE = "VGL_TEST_DROP_FRAMES"
STALL_FRAMES = 3  #: frame periods slept (more than DROP_FACTOR)


def parse_drop_frames(text: str) -> frozenset[tuple[int, int]]:
    """``"2,5:2"`` -> ``{(2, 1), (5, 2)}``; :class:`LabInputError` on a malformed entry."""
    out = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        trial, _, attempt = part.partition(":")
        try:
            key = (int(trial), int(attempt) if attempt else 1)
        except ValueError:
            raise LabInputError(
                f"{DROP_FRAMES_VARIABLE}: {part!r} is not <trial> or <trial>:<attempt> "
                "(e.g. 2,5:2); unset it for a real session") from None
        out.add(key)
    return frozenset(out)


def forced_drops() -> frozenset[tuple[int, int]]:
    """The (trial, attempt) pairs whose image draw is stalled (none unless the variable is
    set; a warning goes to the session log when it is)."""
    text = os.environ.get(DROP_FRAMES_VARIABLE, "")
    if not text.strip():
        return frozenset()
    drops = parse_drop_frames(text)
    log.warning("%s is set: frames will be dropped on purpose in trials %s (a test hook)",
                DROP_FRAMES_VARIABLE, ", ".join(f"{t}:{a}" for t, a in sorted(drops)))
    return drops
