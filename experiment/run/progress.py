"""What a person watching a session reads on the terminal: the trial count against the
plan, re-runs after dropped frames, the time left, and a closing line that agrees with
the plan.

The lines go to the logger ``experiment.progress`` (so they reach the session's log file
too); ``python run_experiment.py`` prints that logger's lines on standard output."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lab.accounting import effective_rows

log = logging.getLogger("experiment.progress")

#: a progress line at least this often (seconds) ...
EVERY_S = 20.0
#: ... and at every this share of the planned trials (a line due by time waits for a
#: share line this few trials ahead, so that the two do not come in pairs)
EVERY_SHARE = 1 / 8
NEAR_SHARE = 3


def counts(planned: int, rows: Sequence[Mapping[str, str]]) -> tuple[int, int, int]:
    """``(done, reruns, flagged)``: planned trials with a record, records that re-ran a
    trial after a dropped frame, and trials whose last record is still flagged."""
    effective = effective_rows(rows)
    done = min(len(effective), planned)
    reruns = len(rows) - len(effective)
    flagged = sum(1 for r in effective.values() if r.flagged)
    return done, reruns, flagged


def closing_line(planned: int, rows: Sequence[Mapping[str, str]], log_file: Path, *,
                 completed: bool) -> str:
    """``128 planned trials done; 32 re-run after a dropped frame, 4 still flagged: see
    <log>`` (or how far a stopped session got)."""
    done, reruns, flagged = counts(planned, rows)
    head = (f"{done} planned trials done" if completed and done >= planned
            else f"stopped after {done} of {planned} planned trials (continue with --resume)")
    parts = [f"{reruns} re-run{'' if reruns == 1 else 's'} after a dropped frame"]
    if flagged:
        parts.append(f"{flagged} still flagged")
    tail = f": see {log_file}" if reruns or flagged else ""
    return f"{head}; {', '.join(parts)}{tail}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    return f"{seconds / 60:.0f} min"


@dataclass
class SessionProgress:
    """Counts trials as the session saves them and logs a line now and then."""

    planned: int
    blocks: int
    rows: list[dict[str, str]]  #: the session's records (shared with the runner)
    started: float = field(default_factory=time.monotonic)
    _ran: int = 0
    _last_line: float = field(default_factory=time.monotonic)
    _last_done: int = -1
    #: when the first record of this run was saved: the time left is estimated from the
    #: trials after it (not from the window's start, instructions and practice)
    _first_saved: float | None = None

    def start(self) -> None:
        done, _, _ = counts(self.planned, self.rows)
        already = f" ({done} already saved: resuming)" if done else ""
        log.info("%d planned trials in %d block%s%s", self.planned, self.blocks,
                 "" if self.blocks == 1 else "s", already)

    def trial_saved(self, block: int, *, rerun: bool, trial: int, flagged: bool) -> None:
        """After every saved record."""
        self._ran += 1
        done, reruns, still = counts(self.planned, self.rows)
        if rerun:
            log.info("re-ran trial %d (block %d) after a dropped frame%s", trial, block,
                     ": flagged again" if flagged else "")
        now = time.monotonic()
        if self._first_saved is None:
            self._first_saved = now
        step = max(1, round(self.planned * EVERY_SHARE))
        next_share = (done // step + 1) * step
        due = (done >= self.planned or done // step != self._last_done // step
               or (now - self._last_line >= EVERY_S and next_share - done > NEAR_SHARE))
        if not due or done == self._last_done:
            return
        self._last_line, self._last_done = now, done
        left = (self.planned - done) + still  # planned to run, and re-runs still due
        extra = f", {reruns} re-run{'' if reruns == 1 else 's'}" if reruns else ""
        eta = ""
        if left and self._ran > 1:  # one trial gives no rate yet
            per_trial = (now - self._first_saved) / (self._ran - 1)
            eta = f", about {_duration(per_trial * left)} left"
        log.info("trial %d of %d (block %d of %d)%s%s", done, self.planned, block,
                 self.blocks, extra, eta)
