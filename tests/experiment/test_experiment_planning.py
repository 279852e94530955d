"""Trial lists as the paper ran them: each source image once per observer and experiment,
every prefix balanced over conditions and classes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from experiment_helpers import fork_cli, headless_args

from experiment.files.bids import session_paths
from experiment.plan.planning import balanced_order
from experiment.plan.trial_list import build_trial_list, read_trial_list
from lab.categories import CATEGORIES
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.manifest import ManifestEntry


def entries_for(conditions: list[str], per_cell: int, *, shared_sources: bool = False
                ) -> list[ManifestEntry]:
    """A manifest: ``per_cell`` images per class and condition; with ``shared_sources``
    every condition is made from the same ``per_cell`` source images per class."""
    out = []
    for c in conditions:
        for k in CATEGORIES:
            for i in range(per_cell):
                source = f"{k}/{i}.png" if shared_sources else f"{k}/{c}-{i}.png"
                out.append(ManifestEntry(
                    file=f"{c}_{k}_{i}.png", sha256=f"{c}{k}{i}", experiment="contrast",
                    condition=c, category=k, source=source, seed=0, width=224,
                    height=224))
    return out


def spread(counts: Counter[str], keys: list[str]) -> int:
    values = [counts[k] for k in keys]
    return max(values) - min(values)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_prefix_is_balanced_over_conditions_and_classes(seed: int) -> None:
    design = load_experiment("contrast")
    entries = entries_for(design.conditions, per_cell=3)
    trials = build_trial_list(entries, design, seed)
    assert len(trials) == len(entries)
    conditions, classes = Counter[str](), Counter[str]()
    for t in trials:
        conditions[t.condition] += 1
        classes[t.category] += 1
        assert spread(conditions, design.conditions) <= 1
        assert spread(classes, list(CATEGORIES)) <= 1
    # --trials 32 of 8 conditions: exactly 4 per condition, 2 per class
    short = build_trial_list(entries, design, seed, n_trials=32)
    assert set(Counter(t.condition for t in short).values()) == {4}
    assert set(Counter(t.category for t in short).values()) == {2}
    assert [t.image for t in short] == [t.image for t in trials[:32]]


def test_no_source_image_twice_and_too_few_refused_with_the_numbers() -> None:
    design = load_experiment("contrast")
    entries = entries_for(design.conditions, per_cell=3, shared_sources=True)  # 48 sources
    order = balanced_order(entries, np.random.default_rng(0))
    assert len(order) == 48 and len({e.source for e in order}) == 48
    assert spread(Counter(e.category for e in order), list(CATEGORIES)) == 0
    trials = build_trial_list(entries, design, 1, n_trials=48)
    assert len({entries[[e.file for e in entries].index(t.image)].source
                for t in trials}) == 48
    with pytest.raises(LabInputError) as err:
        build_trial_list(entries, design, 1)  # every one of the 384 images: impossible
    assert ("the stimulus set: the session needs 384 trials" in str(err.value)
            and "only 48 are left" in str(err.value) and "use --trials 48" in str(err.value))
    seen = {e.source for e in entries[:20]}
    with pytest.raises(LabInputError, match=r"--trials 40: .* only 28 are left: .* 20 of "
                       r"them were shown in this observer's sessions 1, 2"):
        build_trial_list(entries, design, 1, n_trials=40, exclude_sources=seen,
                         seen_in_sessions=[1, 2])


def test_an_observer_never_sees_a_source_image_twice_across_sessions(
        stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shown: list[str] = []
    for session in (1, 2):
        rc, out = fork_cli(headless_args(stimulus_set, data, observer="plan-01",
                                         session=session, trials=24))
        assert rc == 0, out
        paths = session_paths(data, "plan-01", session, "cue-conflict")
        shown += [t.image for t in read_trial_list(paths.trial_list)]
    assert len(shown) == len(set(shown)) == 48
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    rc, out = fork_cli(headless_args(stimulus_set, data, observer="plan-01", session=3,
                                     trials=4))
    assert rc == 2
    assert ("--trials 4: the session needs 4 trials of distinct source images" in out
            and "only 0 are left" in out and "sessions 1, 2" in out)
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before
    # another observer gets the whole set again
    rc, out = fork_cli(headless_args(stimulus_set, data, observer="plan-02", trials=48))
    assert rc == 0, out
