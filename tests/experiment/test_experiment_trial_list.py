"""The trial list: a pure, seeded function of manifest + design; resume schedule."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from experiment.plan.trial_list import (
    build_trial_list,
    practice_list,
    read_trial_list,
    remaining_schedule,
    simulated_choice,
    work_left,
    write_trial_list,
)
from lab.categories import CATEGORIES, NO_RESPONSE
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.manifest import ManifestEntry


def entries(n: int = 48, experiment: str = "cue-conflict") -> list[ManifestEntry]:
    return [ManifestEntry(file=f"img{i:03d}.png", sha256=f"{i:064x}", experiment=experiment,
                          condition="0", category=CATEGORIES[i % 16], source=f"s{i}.png",
                          seed=i, width=224, height=224) for i in range(n)]


DESIGN = load_experiment("cue-conflict")


def test_same_seed_same_list_other_seed_other_order() -> None:
    a = build_trial_list(entries(), DESIGN, 7)
    assert a == build_trial_list(entries(), DESIGN, 7)
    b = build_trial_list(entries(), DESIGN, 8)
    assert [t.image for t in a] != [t.image for t in b]
    assert sorted(t.image for t in a) == sorted(e.file for e in entries())
    assert [t.trial for t in a] == list(range(1, 49))
    assert len({t.mask_seed for t in a}) == 48


def test_blocks_and_first_n_trials() -> None:
    full = build_trial_list(entries(), DESIGN, 1, block_size=10)
    assert [t.block for t in full] == [i // 10 + 1 for i in range(48)]
    assert build_trial_list(entries(), DESIGN, 1, n_trials=16, block_size=10) == full[:16]
    assert {t.block for t in build_trial_list(entries(), DESIGN, 1)} == {1}  # design: 160


def test_refusals() -> None:
    with pytest.raises(LabInputError, match="stimulus set is for 'contrast'"):
        build_trial_list(entries(experiment="contrast"), DESIGN, 1)
    with pytest.raises(LabInputError, match="--trials 49: the stimulus set has 48"):
        build_trial_list(entries(), DESIGN, 1, n_trials=49)
    with pytest.raises(LabInputError, match="between 0 and 1"):
        build_trial_list(entries(), DESIGN, 1, simulate_accuracy=1.5)


def test_simulated_choice_rate_and_alternatives() -> None:
    rng = np.random.default_rng(0)
    answers = [simulated_choice("cat", 0.7, rng) for _ in range(4000)]
    counts = Counter(answers)
    assert 0.67 < counts["cat"] / 4000 < 0.73
    assert set(counts) == set(CATEGORIES) | {NO_RESPONSE}
    assert all(simulated_choice("cat", 0.0, rng) != "cat" for _ in range(200))


def test_simulated_plan_is_seeded_and_independent_of_order_seed() -> None:
    plan = build_trial_list(entries(), DESIGN, 3, simulate_accuracy=0.5)
    assert plan == build_trial_list(entries(), DESIGN, 3, simulate_accuracy=0.5)
    plain = build_trial_list(entries(), DESIGN, 3)
    assert [t.image for t in plan] == [t.image for t in plain]
    assert all(t.simulated_response == "" for t in plain)
    hits = sum(t.simulated_response == t.category for t in plan)
    assert 10 < hits < 38


def test_practice_does_not_touch_main_order() -> None:
    practice = practice_list(entries(), 3, 5)
    assert len(practice) == 5 and all(t.block == 0 for t in practice)
    assert len(practice_list(entries(4), 3, 10)) == 10  # with replacement


def test_write_read_round_trip_never_overwrites(tmp_path: Path) -> None:
    plan = build_trial_list(entries(), DESIGN, 5, simulate_accuracy=0.9, block_size=16)
    path = tmp_path / "x_trials.tsv"
    write_trial_list(path, plan)
    assert read_trial_list(path) == plan
    with pytest.raises(LabInputError, match="already exists"):
        write_trial_list(path, plan[:1])
    assert read_trial_list(path) == plan


def row(trial: int, flagged: bool = False) -> dict[str, str]:
    return {"trial": str(trial), "flagged": "1" if flagged else "0"}


def test_remaining_schedule_resumes_at_first_unrun_trial() -> None:
    plan = build_trial_list(entries(), DESIGN, 5, block_size=16)
    rows = [row(t.trial) for t in plan[:20]]
    assert remaining_schedule(plan, rows, 1) == []
    todo = remaining_schedule(plan, rows, 2)
    assert [s.planned.trial for s in todo] == list(range(21, 33))
    assert not any(s.rerun for s in todo)


def test_flagged_trials_rerun_once_at_block_end() -> None:
    plan = build_trial_list(entries(), DESIGN, 5, block_size=16)
    rows = [row(t.trial, flagged=t.trial in (3, 9)) for t in plan[:15]]
    assert [s.planned.trial for s in remaining_schedule(plan, rows, 1)] == [16]
    rows.append(row(16))
    reruns = remaining_schedule(plan, rows, 1)
    assert [(s.planned.trial, s.rerun) for s in reruns] == [(3, True), (9, True)]
    rows += [row(3, flagged=True), row(9)]  # a re-run that is flagged again is kept
    assert remaining_schedule(plan, rows, 1) == []


def test_work_left_until_every_trial_and_due_rerun_is_recorded() -> None:
    plan = build_trial_list(entries(), DESIGN, 5, block_size=16)
    rows = [row(t.trial, flagged=t.trial == 4) for t in plan]
    assert work_left(plan, rows[:-1], rerun_flagged=True)
    assert work_left(plan, rows, rerun_flagged=True)  # trial 4 awaits its re-run
    assert not work_left(plan, rows, rerun_flagged=False)
    assert not work_left(plan, [*rows, row(4)], rerun_flagged=True)


def test_schedule_numbers_attempts_by_the_accounting_rule() -> None:
    """Re-runs carry the next attempt; the last attempt decides whether one is due,
    also in files without the attempt column (row order)."""
    plan = build_trial_list(entries(), DESIGN, 5, block_size=4)
    block = [row(t.trial, flagged=t.trial in (2, 3)) for t in plan[:4]]
    due = remaining_schedule(plan, block, 1)
    assert [(s.planned.trial, s.rerun, s.attempt) for s in due] == [(2, True, 2),
                                                                    (3, True, 2)]
    assert all(s.attempt == 1 for s in remaining_schedule(plan, block, 2))
    # trial 2's re-run recorded with its attempt: only trial 3 is left
    rerun = {**row(2), "attempt": "2"}
    assert [s.planned.trial for s in remaining_schedule(plan, [*block, rerun], 1)] == [3]
    # a re-run flagged again is its last attempt: not repeated (MAX_RERUNS = 1)
    again = [*block, row(2, flagged=True), row(3)]
    assert remaining_schedule(plan, again, 1) == []


def test_per_condition_keeps_a_balanced_seeded_subset() -> None:
    design = load_experiment("contrast")
    full = [ManifestEntry(file=f"{c}/{cat}{k}.png", sha256=f"{i:064x}",
                          experiment="contrast", condition=c, category=cat,
                          source=f"{cat}/{c}-{k}.png", seed=i, width=224, height=224)
            for i, (c, cat, k) in enumerate(
                (c, cat, k) for c in design.conditions for cat in CATEGORIES
                for k in range(3))]
    plan = build_trial_list(full, design, 4, per_condition=32)
    cells = Counter((t.condition, t.category) for t in plan)
    assert len(plan) == 8 * 32 and set(cells.values()) == {2} and len(cells) == 8 * 16
    # the first of the seeded order: the same as the full list filtered
    everything = build_trial_list(full, design, 4)
    kept = {t.image for t in plan}
    assert [t.image for t in everything if t.image in kept] == [t.image for t in plan]
    assert [t.trial for t in plan] == list(range(1, 257))
    with pytest.raises(LabInputError, match="--per-condition 20: use a multiple of 16"):
        build_trial_list(full, design, 4, per_condition=20)
    with pytest.raises(LabInputError, match="has 3 .* image\\(s\\), 4 needed"):
        build_trial_list(full, design, 4, per_condition=64)
    with pytest.raises(LabInputError, match="give one of them"):
        build_trial_list(full, design, 4, per_condition=16, n_trials=10)
