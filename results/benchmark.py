"""The model-vs-human benchmark metrics (Geirhos et al. 2021) and OOD accuracy.

Which conditions count ("out of distribution", OOD):

* the **control condition** of each experiment is excluded: the condition without
  manipulation, i.e. the first (strongest-signal) condition of its design:
  colour ``cr``, contrast ``c100``, uniform-noise ``0.00``, low-pass ``0``, high-pass
  ``inf``, phase-scrambling ``0``, power-equalisation ``0``, rotation ``0``,
  false-colour ``true``, eidolonI/II/III ``1-10-10`` / ``1-3-10`` / ``1-0-10``;
  experiments with a single condition (cue-conflict, and the model-vs-human data sets
  without a design here: edge, silhouette, sketch, stylized) keep all their trials;
* a condition where the humans' mean accuracy is **below 0.2** is excluded: error
  consistency and accuracy differences are not meaningful near chance. A condition at
  exactly 0.2 is excluded too (low-pass 15 in the model-vs-human data: 128/640 correct),
  which reproduces model-vs-human's published exclusion list exactly.

Metrics (all per experiment over the remaining conditions, then averaged over experiments):

* **OOD accuracy**: share of correct trials, pooled over the remaining conditions (for
  ``humans``: pooled over all humans);
* **accuracy difference**: (model accuracy - human accuracy)² per condition and human,
  averaged over conditions, then humans;
* **observed consistency** and **error consistency**: per condition and human, on the
  trials both saw (matched by image), averaged the same way.

Column ``compared_with`` names the humans compared with: ``humans``, or labelled
``simulated`` where any of them is a simulated observer.

The ``humans`` row compares every human with every other human.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lab.readers import HUMAN
from results.consistency import error_consistency, observer_ids
from results.tables import (
    HUMANS,
    comparison_label,
    design_for,
    group_order,
    simulated_humans,
)

CHANCE_CUTOFF = 0.2  #: conditions where humans score below this are excluded
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "observer", "ood_accuracy", "accuracy_difference", "observed_consistency",
    "error_consistency", "n_experiments", "n_trials", "compared_with",
)


def control_condition(experiment: str) -> str | None:
    """The experiment's control (unmanipulated) condition, or ``None`` when it has a single
    condition or no design."""
    design = design_for(experiment)
    if design is None:
        return None
    return design.conditions[0] if len(design.conditions) > 1 else None


def ood_conditions(table: pd.DataFrame, cutoff: float = CHANCE_CUTOFF) -> pd.DataFrame:
    """Every experiment and condition with the humans' mean accuracy and whether it counts:
    columns ``experiment, condition, human_accuracy, control, below_cutoff, included,
    n_human_trials``. Human accuracy is per human, then the mean; without human data no
    condition is cut."""
    humans = table[table["observer_type"] == HUMAN]
    per_human = humans.groupby(["experiment", "condition", "observer", "source_format"],
                               sort=False)["correct"].mean()
    human_accuracy = per_human.groupby(level=["experiment", "condition"], sort=False).mean()
    human_trials = humans.groupby(["experiment", "condition"], sort=False).size()
    pairs = table[["experiment", "condition"]].drop_duplicates()
    rows = []
    for experiment, condition in pairs.itertuples(index=False):
        accuracy = human_accuracy.get((experiment, condition), math.nan)
        control = condition == control_condition(experiment)
        below = bool(accuracy <= cutoff + 1e-9) if not math.isnan(accuracy) else False
        rows.append((experiment, condition, accuracy, control, below, not (control or below),
                     int(human_trials.get((experiment, condition), 0))))
    return pd.DataFrame(rows, columns=["experiment", "condition", "human_accuracy",
                                       "control", "below_cutoff", "included",
                                       "n_human_trials"])


def ood_trials(table: pd.DataFrame, cutoff: float = CHANCE_CUTOFF) -> pd.DataFrame:
    """The trials of the included conditions of :func:`ood_conditions`."""
    conditions = ood_conditions(table, cutoff)
    keep = conditions.loc[conditions["included"], ["experiment", "condition"]]
    return table.merge(keep, on=["experiment", "condition"], how="inner")


def ood_accuracy(table: pd.DataFrame, cutoff: float = CHANCE_CUTOFF) -> pd.Series:
    """OOD accuracy per observer group (``humans`` or model name): pooled per experiment,
    then the mean over experiments."""
    trials = ood_trials(table, cutoff)
    group = np.where(trials["observer_type"] == HUMAN, HUMANS, trials["observer"])
    per_experiment = trials.assign(group=group).groupby(["group", "experiment"])[
        "correct"].mean()
    return per_experiment.groupby(level="group").mean()


def _pair_metrics(trials: pd.DataFrame) -> pd.DataFrame:
    """Per experiment, condition, (observer, human) pair: the three pair metrics."""
    work = trials.assign(_who=observer_ids(trials))
    work = work.drop_duplicates(["experiment", "condition", "_who", "image_key"])
    types = work.drop_duplicates("_who").set_index("_who")["observer_type"].to_dict()
    rows = []
    for (experiment, condition), cell in work.groupby(["experiment", "condition"],
                                                      sort=False):
        grid = cell.pivot(index="image_key", columns="_who", values="correct")
        accuracy = cell.groupby("_who")["correct"].mean()
        humans = [n for n in grid.columns if types[n] == HUMAN]
        for who in grid.columns:
            a = grid[who].to_numpy(dtype=float)
            for human in humans:
                if human == who:
                    continue
                b = grid[human].to_numpy(dtype=float)
                both = ~np.isnan(a) & ~np.isnan(b)
                result = error_consistency(a[both] > 0.5, b[both] > 0.5)
                group = HUMANS if types[who] == HUMAN else who
                rows.append((group, who, human, experiment, condition,
                             (accuracy[who] - accuracy[human]) ** 2,
                             result.observed, result.kappa, result.n_trials))
    return pd.DataFrame(rows, columns=[
        "group", "observer", "human", "experiment", "condition", "accuracy_difference",
        "observed_consistency", "error_consistency", "n_trials"])


def benchmark_table(table: pd.DataFrame, cutoff: float = CHANCE_CUTOFF) -> pd.DataFrame:
    """The benchmark: one row per model and one for ``humans`` (columns
    :data:`BENCHMARK_COLUMNS`). Consistency metrics are NaN where no images are shared."""
    trials = ood_trials(table, cutoff)
    accuracy = ood_accuracy(table, cutoff)
    pairs = _pair_metrics(trials)
    metrics = ["accuracy_difference", "observed_consistency", "error_consistency"]
    if pairs.empty:
        summary = pd.DataFrame(columns=["group", *metrics, "n_experiments"])
    else:
        pairs.loc[pairs["n_trials"] == 0, ["observed_consistency", "error_consistency"]] = \
            np.nan
        # average over conditions, then over humans (and, for humans, over observers),
        # then over experiments
        per_human = pairs.groupby(["group", "observer", "human", "experiment"])[metrics].mean()
        per_observer = per_human.groupby(level=["group", "observer", "experiment"]).mean()
        per_group = per_observer.groupby(level=["group", "experiment"]).mean()
        summary = per_group.groupby(level="group").agg(
            **{m: (m, "mean") for m in metrics}, n_experiments=(metrics[0], "size"))
        summary = summary.reset_index()
    summary = summary.rename(columns={"group": "observer"})
    # object dtype even when empty (no condition above the cutoff): merge needs it
    out = pd.DataFrame({"observer": pd.Series(group_order(list(accuracy.index)),
                                              dtype=object)})
    out["ood_accuracy"] = out["observer"].map(accuracy)
    group = np.where(trials["observer_type"] == HUMAN, HUMANS, trials["observer"])
    out["n_trials"] = out["observer"].map(pd.Series(group).value_counts()).fillna(0).astype(
        int)
    out = out.merge(summary, on="observer", how="left")
    # against whom: a metric "with the humans" says so where any of them is simulated
    out["compared_with"] = comparison_label(
        trials.loc[trials["observer_type"] == HUMAN, "observer"].unique(),
        simulated_humans(table))
    return out[list(BENCHMARK_COLUMNS)]
