"""Pre-flight, part one: the session's stimulus files against the manifest (before any
window opens, so a changed file is refused first)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from experiment.plan.trial_list import PlannedTrial
from lab.errors import LabInputError
from lab.manifest import ManifestEntry, verify_files
from lab.progress import progress


def verify_session_stimuli(stimulus_dir: Path, entries: Sequence[ManifestEntry],
                           trials: Sequence[PlannedTrial]) -> int:
    """Check that every file the session shows is in the manifest with the planned sha256
    and that its bytes match. Returns the number of files checked."""
    by_file = {e.file: e for e in entries}
    needed: dict[str, ManifestEntry] = {}
    for t in trials:
        entry = by_file.get(t.image)
        if entry is None or entry.sha256 != t.sha256:
            raise LabInputError(
                f"{stimulus_dir / t.image}: the trial list and the stimulus manifest "
                "disagree; resume with the stimulus set the session started with"
            )
        needed[t.image] = entry
    for _ in progress(verify_files(stimulus_dir, needed.values()), total=len(needed),
                      desc="sha256", unit="file", leave=False, disable=len(needed) < 200):
        pass
    return len(needed)
