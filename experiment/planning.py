"""Which images an observer's session shows, in which order (no PsychoPy).

As in the paper, an observer sees each source image once: within a session no two trials
share a source image, and across an observer's sessions of one experiment no source image
comes back (:func:`sources_seen` reads the earlier sessions' trial lists). The order is
balanced: every prefix of the list spreads its trials over the conditions and over the
classes as evenly as the set allows (so ``--trials N`` is a balanced session, not the
first N of a shuffle).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from experiment.bids import SessionPaths, task_label
from stimuli.errors import LabInputError
from stimuli.manifest import ManifestEntry, read_manifest

log = logging.getLogger(__name__)


def refuse_other_experiment(entries: Sequence[ManifestEntry], experiment: str) -> None:
    """:class:`LabInputError` if the set holds stimuli of another experiment."""
    wrong = sorted({e.experiment for e in entries} - {experiment})
    if wrong:
        raise LabInputError(
            f"the stimulus set is for {wrong[0]!r}, not {experiment!r}: pass --experiment "
            f"{wrong[0]} or another --stimuli folder"
        )


def balanced_order(entries: Sequence[ManifestEntry], rng: np.random.Generator,
                   exclude_sources: Collection[str] = ()) -> list[ManifestEntry]:
    """Every usable entry once, no source image twice, in a balanced random order.

    Each step takes the condition shown least so far (ties: random), then within it the
    class shown least so far (ties: random), then a random image of that cell whose
    source is unused. With a full design (every class in every condition) every prefix
    has condition counts and class counts that differ by at most one."""
    cells: dict[tuple[str, str], list[ManifestEntry]] = {}
    for i in rng.permutation(len(entries)):
        e = entries[int(i)]
        if e.source not in exclude_sources:
            cells.setdefault((e.condition, e.category), []).append(e)
    conditions = sorted({c for c, _ in cells})
    classes = sorted({k for _, k in cells})
    cond_n = dict.fromkeys(conditions, 0)
    class_n = dict.fromkeys(classes, 0)
    used: set[str] = set()
    order: list[ManifestEntry] = []
    while True:
        for key in list(cells):
            cells[key] = [e for e in cells[key] if e.source not in used]
            if not cells[key]:
                del cells[key]
        if not cells:
            return order
        open_conditions = sorted({c for c, _ in cells})
        low = min(cond_n[c] for c in open_conditions)
        ties = [c for c in open_conditions if cond_n[c] == low]
        condition = ties[int(rng.integers(len(ties)))]
        open_classes = [k for c, k in cells if c == condition]
        low = min(class_n[k] for k in open_classes)
        ties_k = sorted(k for k in open_classes if class_n[k] == low)
        category = ties_k[int(rng.integers(len(ties_k)))]
        entry = cells[condition, category].pop()
        used.add(entry.source)
        cond_n[condition] += 1
        class_n[category] += 1
        order.append(entry)


def sources_seen(paths: SessionPaths, experiment: str,
                 entries: Sequence[ManifestEntry]) -> tuple[set[str], list[int]]:
    """Source images of ``experiment`` shown in the observer's other created sessions
    (their trial lists, mapped to sources through the current manifest or the one their
    sidecar names) and those sessions' numbers."""
    from experiment.trial_list import read_trial_list  # trial_list imports this module

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
        folder = json.loads(sidecar.read_text(encoding="utf-8"))["stimuli"]["path"]
        return {e.sha256: e.source for e in read_manifest(folder)}
    except (OSError, ValueError, KeyError, TypeError, LabInputError):
        return {}


def too_few_message(needed: int, available: int, entries: Sequence[ManifestEntry],
                    seen: Collection[str], sessions: Sequence[int], flag: str) -> str:
    """The refusal when the set cannot give ``needed`` trials of unseen sources."""
    distinct = len({e.source for e in entries})
    shown = len({e.source for e in entries} & set(seen))
    earlier = (f"; {shown} of them were shown in this observer's sessions "
               f"{', '.join(map(str, sessions))}" if shown else "")
    fix = (f"use --trials {available} or fewer, or " if available else "use ")
    return (f"{flag}: the session needs {needed} trials of distinct source images (an "
            f"observer sees each source image once) but only {available} are left: the "
            f"set has {len(entries)} images of {distinct} source images{earlier}; "
            f"{fix}a stimulus set built from other source images")
