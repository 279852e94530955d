"""Which images an observer's session shows, in which order.

As in the paper, an observer sees each source image once: within a session no two trials
share a source image, and across an observer's sessions of one experiment no source image
comes back (:func:`experiment.files.history.sources_seen` reads the earlier sessions'
trial lists). The order is balanced: every prefix of the list spreads its trials over
the conditions and over the classes as evenly as the set allows (so ``--trials N`` is a
balanced session, not the first N of a shuffle).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

import numpy as np

from lab.errors import LabInputError
from lab.manifest import ManifestEntry

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
                   exclude_sources: Collection[str] = (), *,
                   distinct_sources: bool = True) -> list[ManifestEntry]:
    """Every usable entry once, no source image twice, in a balanced random order.

    First the pool: each source image not in ``exclude_sources`` goes to one of its
    entries, in the (condition, class) cell that has fewest so far (ties: random). Then
    the order, in rounds that take one image of every cell: within a round the
    conditions come as consecutive random permutations of all conditions, and the
    classes of each run of 16 trials are a random permutation of the 16 classes matched
    to those conditions (each cell once per round). So every prefix has condition
    counts and class counts that differ by at most one. What is left when some cell is
    empty (an uneven set) follows greedily: least-shown condition, then class.
    ``distinct_sources=False`` (``--repeat-sources``) pools every entry instead."""
    pool = _pool(entries, rng, exclude_sources, distinct_sources)
    conditions = sorted({c for c, _ in pool})
    classes = sorted({k for _, k in pool})
    order: list[ManifestEntry] = []
    while pool and all(pool.get((c, k)) for c in conditions for k in classes):
        cells = _round(len(conditions), len(classes), rng)
        if cells is None:
            break
        for ci, ki in cells:
            order.append(pool[conditions[ci], classes[ki]].pop())
        pool = {key: items for key, items in pool.items() if items}
    return order + _greedy(pool, rng, order)


def _pool(entries: Sequence[ManifestEntry], rng: np.random.Generator,
          exclude_sources: Collection[str], distinct_sources: bool = True
          ) -> dict[tuple[str, str], list[ManifestEntry]]:
    if not distinct_sources:
        every: dict[tuple[str, str], list[ManifestEntry]] = {}
        for i in rng.permutation(len(entries)):
            e = entries[int(i)]
            every.setdefault((e.condition, e.category), []).append(e)
        return every
    by_source: dict[str, list[ManifestEntry]] = {}
    for e in entries:
        if e.source not in exclude_sources:
            by_source.setdefault(e.source, []).append(e)
    pool: dict[tuple[str, str], list[ManifestEntry]] = {}
    names = sorted(by_source)
    for source in [names[int(i)] for i in rng.permutation(len(names))]:
        options = by_source[source]
        low = min(len(pool.get((e.condition, e.category), [])) for e in options)
        ties = [e for e in options if len(pool.get((e.condition, e.category), [])) == low]
        pick = ties[int(rng.integers(len(ties)))]
        pool.setdefault((pick.condition, pick.category), []).append(pick)
    return pool


def _round(n_cond: int, n_class: int, rng: np.random.Generator,
           tries: int = 200) -> list[tuple[int, int]] | None:
    """One round: every (condition, class) cell once, conditions in consecutive
    permutations, classes in consecutive permutations of each run of ``n_class``."""
    for _ in range(tries):
        conds = [int(c) for _ in range(n_class) for c in rng.permutation(n_cond)]
        used = [[False] * n_class for _ in range(n_cond)]
        cells: list[tuple[int, int]] = []
        for start in range(0, len(conds), n_class):
            window = conds[start:start + n_class]
            match = _match(window, used, n_class, rng)
            if match is None:
                break
            for c, k in zip(window, match, strict=True):
                used[c][k] = True
                cells.append((c, k))
        else:
            return cells
    return None


def _match(window: list[int], used: list[list[bool]], n_class: int,
           rng: np.random.Generator) -> list[int] | None:
    """Distinct classes for the window's positions, avoiding used cells (Kuhn's
    augmenting paths, in random order); None if impossible."""
    owner: dict[int, int] = {}  # class -> position

    def place(pos: int, seen: set[int]) -> bool:
        for k in rng.permutation(n_class):
            k = int(k)
            if used[window[pos]][k] or k in seen:
                continue
            seen.add(k)
            if k not in owner or place(owner[k], seen):
                owner[k] = pos
                return True
        return False

    for pos in range(len(window)):
        if not place(pos, set()):
            return None
    by_pos = {pos: k for k, pos in owner.items()}
    return [by_pos[pos] for pos in range(len(window))]


def _greedy(pool: dict[tuple[str, str], list[ManifestEntry]], rng: np.random.Generator,
            before: list[ManifestEntry]) -> list[ManifestEntry]:
    """The rest of an uneven pool: least-shown condition, then class (ties: random)."""
    cond_n: dict[str, int] = {}
    class_n: dict[str, int] = {}
    for e in before:
        cond_n[e.condition] = cond_n.get(e.condition, 0) + 1
        class_n[e.category] = class_n.get(e.category, 0) + 1
    out: list[ManifestEntry] = []
    pool = {key: list(items) for key, items in pool.items() if items}
    while pool:
        open_conditions = sorted({c for c, _ in pool})
        low = min(cond_n.get(c, 0) for c in open_conditions)
        ties = [c for c in open_conditions if cond_n.get(c, 0) == low]
        condition = ties[int(rng.integers(len(ties)))]
        open_classes = sorted(k for c, k in pool if c == condition)
        low = min(class_n.get(k, 0) for k in open_classes)
        ties_k = [k for k in open_classes if class_n.get(k, 0) == low]
        category = ties_k[int(rng.integers(len(ties_k)))]
        out.append(pool[condition, category].pop())
        if not pool[condition, category]:
            del pool[condition, category]
        cond_n[condition] = cond_n.get(condition, 0) + 1
        class_n[category] = class_n.get(category, 0) + 1
    return out


def too_few_message(needed: int, available: int, entries: Sequence[ManifestEntry],
                    seen: Collection[str], sessions: Sequence[int], flag: str) -> str:
    """The refusal when the set cannot give ``needed`` trials of unseen sources."""
    distinct = len({e.source for e in entries})
    shown = len({e.source for e in entries} & set(seen))
    earlier = (f"; {shown} of them were shown in this observer's sessions "
               f"{', '.join(map(str, sessions))}" if shown else "")
    fix = (f"use --trials {available} or fewer, or " if available else "use ")
    fix = f"{fix}a stimulus set built from other source images (or --repeat-sources)"
    return (f"{flag}: the session needs {needed} trials of distinct source images (an "
            f"observer sees each source image once) but only {available} are left: the "
            f"set has {len(entries)} images of {distinct} source images{earlier}; "
            f"{fix}")
