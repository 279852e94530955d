"""What an observer has seen already: the source images of their earlier sessions of an
experiment (as in the paper, an observer sees each source image once)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from experiment.files.bids import SessionPaths, task_label
from experiment.files.sidecars import stimulus_set_of
from experiment.plan.trial_list import read_trial_list
from lab.errors import LabInputError
from lab.manifest import ManifestEntry, read_manifest

log = logging.getLogger(__name__)


def sources_seen(paths: SessionPaths, experiment: str,
                 entries: Sequence[ManifestEntry]) -> tuple[set[str], list[int]]:
    """Source images of ``experiment`` shown in the observer's other created sessions
    (their trial lists, mapped to sources through the current manifest or the one their
    sidecar names) and those sessions' numbers."""
    by_sha = {e.sha256: e.source for e in entries}
    seen: set[str] = set()
    sessions: list[int] = []
    pattern = f"ses-*/beh/*_task-{task_label(experiment)}_trials.tsv"
    for trial_list in sorted(paths.subject_dir.glob(pattern)):
        if trial_list == paths.trial_list:
            continue
        stem = trial_list.name[: -len("_trials.tsv")]
        if not (trial_list.parent / f"{stem}_beh.tsv").is_file():
            continue  # half-created: nothing shown
        try:
            planned = read_trial_list(trial_list)
        except (OSError, ValueError, KeyError, LabInputError) as err:
            raise LabInputError(f"{trial_list}: unreadable ({err}); it is needed to avoid "
                                "showing its images again: restore it") from err
        other = _manifest_of(trial_list.parent / f"{stem}_beh.json")
        unknown = 0
        for t in planned:
            source = by_sha.get(t.sha256) or other.get(t.sha256)
            if source is None:
                unknown += 1
            else:
                seen.add(source)
        if unknown:
            log.warning("%s: %d images not found in this or its own stimulus manifest; "
                        "their source images cannot be excluded", trial_list, unknown)
        sessions.append(int(trial_list.parent.parent.name[4:]))
    return seen, sorted(sessions)


def _manifest_of(sidecar: Path) -> dict[str, str]:
    """sha256 -> source of the stimulus set a session's sidecar names ({} if gone)."""
    try:
        folder, _ = stimulus_set_of(json.loads(sidecar.read_text(encoding="utf-8")))
        return {e.sha256: e.source for e in read_manifest(folder)} if folder else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, LabInputError):
        return {}
