"""The simulated observers' policies, without a window: the humans2018 observer, run over
a balanced trial list and analysed like a session, matches the 2018 humans per condition
within sampling error (accuracy, no-answer rate, response times)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiment.cli import build_parser
from experiment.plan.policies import ConstantAccuracy, Humans2018, make_policy
from experiment.plan.trial_list import (
    PlannedTrial,
    build_trial_list,
    practice_list,
    read_trial_list,
    write_trial_list,
)
from lab.categories import CATEGORIES, NO_RESPONSE
from lab.datasets import HUMANS_2018
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.manifest import ManifestEntry
from lab.readers import read_trials
from lab.schema import HUMAN_FILE_COLUMNS, HumanTrialRecord
from lab.trial_file import TrialFile
from results.tables import summary_table
from results.verify import published_accuracies


@pytest.fixture(scope="module")
def humans() -> pd.DataFrame:
    return read_trials(HUMANS_2018)


def balanced_entries(experiment: str, per_cell: int) -> list[ManifestEntry]:
    """``per_cell`` files per condition and class of ``experiment``'s design."""
    design = load_experiment(experiment)
    out = []
    for condition in design.conditions:
        for category in CATEGORIES:
            for k in range(per_cell):
                i = len(out)
                out.append(ManifestEntry(
                    file=f"{condition}/{category}{k}.png", sha256=f"{i:064x}",
                    experiment=experiment, condition=condition, category=category,
                    source=f"{category}/{condition}-{k}.png", seed=i, width=224, height=224))
    return out


def analysed_session(trials: list[PlannedTrial], experiment: str, folder: Path
                     ) -> pd.DataFrame:
    """The planned answers written as a session's trial file and read back like one."""
    path = folder / "sub-sim/ses-1/beh/sub-sim_ses-1_task-x_beh.tsv"
    records = [HumanTrialRecord(
        experiment=experiment, observer="sim", session=1, trial=t.trial, block=t.block,
        image=t.image, sha256=t.sha256, category=t.category, condition=t.condition,
        response=t.simulated_response, correct=t.simulated_response == t.category,
        rt=math.nan if t.simulated_rt is None else t.simulated_rt, attempt=1,
        image_frames_planned=12, image_frames_shown=12, mask_frames_planned=12,
        mask_frames_shown=12, image_duration_ms=200.0, mask_duration_ms=200.0,
        soa_ms=216.7, preceding_iti_ms=300.0, preparation_ms=10.0,
        max_frame_interval_ms=16.7, dropped_frames=0, flagged=False) for t in trials]
    with TrialFile.create(path, HUMAN_FILE_COLUMNS) as trial_file:
        trial_file.write_many(records)
    return read_trials(path)


@pytest.mark.parametrize("experiment", ["contrast", "uniform-noise"])
def test_a_simulated_session_matches_the_2018_humans_per_condition(
        experiment: str, humans: pd.DataFrame, tmp_path: Path) -> None:
    per_cell = 20  # 320 trials per condition
    policy = Humans2018.from_bundle(experiment)
    trials = build_trial_list(balanced_entries(experiment, per_cell),
                              load_experiment(experiment), seed=11, policy=policy)
    session = analysed_session(trials, experiment, tmp_path)
    table = summary_table(session).set_index("condition")
    published = published_accuracies()
    published = published[(published["experiment"] == experiment)
                           & (published["observer"] == "humans")].set_index("condition")
    n = per_cell * len(CATEGORIES)
    assert set(table.index) == set(published.index)
    for condition, row in table.iterrows():
        p = published.loc[condition, "published"]
        assert row["n_trials"] == n
        # binomial sampling error of n resampled trials, 4 standard errors
        assert abs(row["accuracy"] - p) <= 4 * math.sqrt(max(p * (1 - p), 0.01) / n), \
            (condition, row["accuracy"], p)
    source = humans[humans["experiment"] == experiment]
    for condition, sim in session.groupby("condition"):
        real = source[source["condition"] == condition]
        na_real = (real["response"] == NO_RESPONSE).mean()
        na_sim = (sim["response"] == NO_RESPONSE).mean()
        assert abs(na_sim - na_real) <= 4 * math.sqrt(max(na_real * (1 - na_real), 0.01) / n)
        rts = sim["rt"].dropna()
        planned = {t.simulated_rt for t in trials
                   if t.condition == condition and t.simulated_rt is not None}
        assert planned <= set(real["rt"].dropna())  # each one a human's response time
        assert abs(rts.median() - real["rt"].median()) < 0.06
        assert sim.loc[sim["response"] == NO_RESPONSE, "rt"].isna().all()


def test_errors_follow_the_humans_confusion(humans: pd.DataFrame) -> None:
    """At 3% contrast the wrong answers are the humans' favourites, not uniform."""
    policy = Humans2018.from_bundle("contrast")
    rng = np.random.default_rng(4)
    real = humans[(humans["experiment"] == "contrast") & (humans["condition"] == "c03")]
    real_wrong = real.loc[~real["correct"] & (real["response"] != NO_RESPONSE), "response"]
    favourite = real_wrong.value_counts().index[0]
    sim = pd.Series([policy.answer(c, "c03", rng).response
                     for c in CATEGORIES for _ in range(200)])
    sim_wrong = sim[(sim != NO_RESPONSE) & (sim != np.repeat(CATEGORIES, 200))]
    share_real = (real_wrong == favourite).mean()
    share_sim = (sim_wrong == favourite).mean()
    assert share_real > 2 / 15  # the humans' confusion is far from uniform ...
    assert abs(share_sim - share_real) < 0.05  # ... and so is the simulation's


def test_plans_are_seeded_and_survive_the_trial_list_file(tmp_path: Path) -> None:
    entries = balanced_entries("contrast", 1)
    design = load_experiment("contrast")
    policy = Humans2018.from_bundle("contrast")
    plan = build_trial_list(entries, design, 5, policy=policy)
    assert plan == build_trial_list(entries, design, 5, policy=policy)
    assert plan != build_trial_list(entries, design, 6, policy=policy)
    assert any(t.simulated_rt is not None for t in plan)
    assert all((t.simulated_rt is None) == (t.simulated_response == NO_RESPONSE)
               for t in plan)
    path = tmp_path / "list.tsv"
    write_trial_list(path, plan)
    assert read_trial_list(path) == plan
    practice = practice_list(entries, 5, 4, policy=policy)
    assert all(t.simulated_response for t in practice)


def test_trial_lists_written_before_click_times_still_resume(tmp_path: Path) -> None:
    path = tmp_path / "old.tsv"
    path.write_text("trial\tblock\timage\tsha256\tcategory\tcondition\tmask_seed\t"
                    "simulated_response\n1\t1\ta.png\tabc\tcat\tc10\t7\tdog\n")
    assert read_trial_list(path) == [PlannedTrial(1, 1, "a.png", "abc", "cat", "c10", 7,
                                                  "dog", None)]


def test_sidecar_records_say_what_answered() -> None:
    record = Humans2018.from_bundle("contrast").record()
    assert record["kind"] == "humans2018"
    assert record["label"] == "simulated from the 2018 human data"
    assert record["human_trials"] == 3 * 1280
    assert ConstantAccuracy(0.85).record()["label"].endswith("(not human-like)")


def test_refusals_are_one_line() -> None:
    with pytest.raises(LabInputError, match="no experiment 'cue-conflict'.*ACCURACY"):
        make_policy("humans2018", "cue-conflict")
    with pytest.raises(LabInputError, match="saw no contrast condition 'c02'"):
        Humans2018.from_bundle("contrast").check_conditions(["c100", "c02"])
    with pytest.raises(LabInputError, match="between 0 and 1"):
        make_policy(1.5, "contrast")
    args = build_parser().parse_args(["run", "--simulate-observer", "humans2018"])
    assert args.simulate_observer == "humans2018"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--simulate-observer", "people"])


# -- one short real session: the plan reaches the window as real clicks -------------------
def _relabelled_contrast_set(folder: Path) -> None:
    """The bundled demo images as a contrast set (pixels unchanged: the simulated observer
    never looks at them), one file per condition and class in two conditions."""
    from experiment_helpers import make_cue_conflict_set

    from lab.manifest import MANIFEST_NAME, write_manifest

    entries = make_cue_conflict_set(folder)
    # each file listed once, each condition its own source images (once per observer)
    per_class: dict[str, list] = {}
    for entry in entries:
        per_class.setdefault(entry.category, []).append(entry)
    relabelled = [dataclasses.replace(files[k], experiment="contrast", texture="",
                                      condition=condition)
                  for k, condition in enumerate(("c100", "c05"))
                  for files in per_class.values()]
    write_manifest(folder / MANIFEST_NAME, relabelled)


@pytest.mark.display
@pytest.mark.slow
def test_a_real_window_session_clicks_the_planned_answers_at_the_human_times(
        tmp_path: Path) -> None:
    from experiment_helpers import needs_display, needs_xdotool, run_cli

    for mark in (needs_display, needs_xdotool):
        if mark.args[0]:
            pytest.skip(mark.kwargs["reason"])
    folder = tmp_path / "stimuli"
    _relabelled_contrast_set(folder)
    data = tmp_path / "data"
    result = run_cli("--experiment", "contrast", "--stimuli", str(folder), "--observer",
                     "sim-humans2018-01", "--session", "1", "--data", str(data),
                     "--trials", "8", "--simulate-observer", "humans2018", "--seed", "2",
                     "--click-to-continue", "--windowed", "--durations",
                     "fixation=50,image=50,mask=50,response=1500,iti=50")
    assert result.returncode == 0, result.stderr[-2000:]
    from experiment.files.bids import session_paths
    from lab.trial_file import read_rows

    paths = session_paths(data, "sim-humans2018-01", 1, "contrast")
    plan = {t.trial: t for t in read_trial_list(paths.trial_list)}
    rows = read_rows(paths.trials)  # flagged ones too (a dropped frame on a busy box):
    assert {int(r["trial"]) for r in rows} == set(plan)  # their clicks are just as real
    planned, recorded = [], []
    for row in rows:
        t = plan[int(row["trial"])]
        assert row["response"] == t.simulated_response
        if t.simulated_rt is not None and t.simulated_rt < 1.35:  # not clipped
            planned.append(t.simulated_rt)
            recorded.append(float(row["rt"]))
    # The recorded times follow the humans' (the delivery lag, measured on the first
    # clicks, is subtracted from the later ones); 8 trials: a loose but failing check.
    assert len(planned) >= 4
    assert np.corrcoef(np.argsort(np.argsort(planned)),
                       np.argsort(np.argsort(recorded)))[0, 1] > 0.6
    assert np.median(np.abs(np.subtract(recorded, planned))[2:]) < 0.1
    meta = json.loads(paths.sidecar.read_text())
    assert meta["simulated"]["kind"] == "humans2018"
    assert meta["simulated"]["label"] == "simulated from the 2018 human data"


@pytest.mark.display
def test_a_click_between_two_polls_is_not_lost() -> None:
    """Press and release both handled in one frame (a quick click during a slow frame on
    a busy machine) leave the button up; the press's time stamp still reports it."""
    from experiment_helpers import needs_display

    if needs_display.args[0]:
        pytest.skip(needs_display.kwargs["reason"])
    from psychopy import event, visual

    from experiment.window.screens import Screens
    from experiment.window.trial import ResponseCollector

    win = visual.Window((400, 400), units="pix", fullscr=False)
    try:
        screens = Screens(win, image_px=224, frame_px=230, background=0.454)
        collector = ResponseCollector(event.Mouse(win=win), screens)
        collector.reset()
        assert collector.poll() is None
        cell = screens.cells[0]
        # PsychoPy's own handlers of pyglet's press and release, back to back
        event._onPygletMousePress(cell.x, cell.y, event.LEFT, 0)
        event._onPygletMouseRelease(cell.x, cell.y, event.LEFT, 0)
        collector.mouse.setPos((cell.x, cell.y))
        found = collector.poll()
        assert found is not None and found[3] > 0
        assert collector.poll() is None  # reported once
    finally:
        win.close()
