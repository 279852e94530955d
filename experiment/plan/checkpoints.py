"""Named instants of a session, for crash tests.

The session calls :func:`checkpoint` at each instant a crash could matter: start-up, the
creation of each file, each trial's onset and save, breaks, practice, resume. Normally
this does nothing. Two environment variables turn it into a test hook:

* ``EXPERIMENT_TEST_KILL=NAME@N`` - the process sends itself ``SIGKILL`` the N-th time
  (default 1st) it reaches checkpoint ``NAME``: a ``kill -9`` at a chosen instant.
* ``EXPERIMENT_TEST_HOLD=NAME@N:PATH`` - at that instant the process waits until
  ``PATH`` exists (e.g. while a test fills the disk or starts a second run).

Dropped frames are forced with ``VGL_TEST_DROP_FRAMES`` (:mod:`experiment.plan.hooks`), in a
real window and in the window-less presenter (:mod:`experiment.run.windowless`) alike.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

KILL_ENV = "EXPERIMENT_TEST_KILL"
HOLD_ENV = "EXPERIMENT_TEST_HOLD"

_seen: Counter[str] = Counter()


def _target(spec: str) -> tuple[str, int]:
    name, _, count = spec.partition("@")
    return name, int(count) if count else 1


def checkpoint(name: str) -> None:
    """Mark the instant ``name`` (a no-op unless a test hook names it)."""
    kill = os.environ.get(KILL_ENV)
    hold = os.environ.get(HOLD_ENV)
    if not kill and not hold:
        return
    _seen[name] += 1
    if kill and _target(kill) == (name, _seen[name]):
        os.kill(os.getpid(), signal.SIGKILL)
    if hold:
        spec, _, path = hold.partition(":")
        if _target(spec) == (name, _seen[name]):
            while not Path(path).exists():
                time.sleep(0.02)
