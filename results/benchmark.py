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
    "error_consistency", "n_experiments", "n_experiments_compared", "n_experiments_shared",
    "n_trials", "compared_with",
)
#: what each experiment count of :data:`BENCHMARK_COLUMNS` counts: the experiments each
#: mean is taken over (they differ where an experiment has no humans to compare with or
#: no images that both saw)
EXPERIMENT_COUNTS = {
    "n_experiments": "ood_accuracy",
    "n_experiments_compared": "accuracy_difference",
    "n_experiments_shared": "error_consistency",
}


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


#: model-vs-human's benchmark data sets (Geirhos et al. 2021, ``DEFAULT_DATASETS``), in its
#: order; all 17 count for every metric.
MODEL_VS_HUMAN_DATASETS: tuple[str, ...] = (
    "edge", "silhouette", "cue-conflict", "colour", "contrast", "high-pass", "low-pass",
    "phase-scrambling", "power-equalisation", "false-colour", "rotation", "eidolonI",
    "eidolonII", "eidolonIII", "uniform-noise", "sketch", "stylized",
)
PER_EXPERIMENT_COLUMNS: tuple[str, ...] = (
    "observer", "experiment", "ood_accuracy", "accuracy_difference", "observed_consistency",
    "error_consistency", "n_humans", "n_trials",
)
_METRICS = ["accuracy_difference", "observed_consistency", "error_consistency"]


def _experiment_order(names: list[str]) -> list[str]:
    """model-vs-human's order first, then any other experiment alphabetically."""
    known = [n for n in MODEL_VS_HUMAN_DATASETS if n in names]
    return known + sorted(n for n in names if n not in MODEL_VS_HUMAN_DATASETS)


def benchmark_per_experiment(table: pd.DataFrame,
                             cutoff: float = CHANCE_CUTOFF) -> pd.DataFrame:
    """The benchmark per experiment (data set): one row per observer group (``humans``, each
    model) and experiment, columns :data:`PER_EXPERIMENT_COLUMNS`.

    A model's pair metrics are averaged over conditions, then over the humans; the humans'
    over conditions, then over partners, then over observers (the mean over all pairs of
    humans, as in model-vs-human, since every human has the same number of partners).
    ``n_humans``: the humans the group was compared with (for ``humans``: the observers)."""
    trials = ood_trials(table, cutoff)
    group = np.where(trials["observer_type"] == HUMAN, HUMANS, trials["observer"])
    grouped = trials.assign(group=group).groupby(["group", "experiment"])["correct"]
    out = pd.DataFrame({"ood_accuracy": grouped.mean(), "n_trials": grouped.size()})
    pairs = _pair_metrics(trials)
    if not pairs.empty:
        pairs.loc[pairs["n_trials"] == 0, ["observed_consistency", "error_consistency"]] = \
            np.nan
        per_human = pairs.groupby(["group", "observer", "human", "experiment"])[
            _METRICS].mean()
        per_observer = per_human.groupby(level=["group", "observer", "experiment"]).mean()
        per_group = per_observer.groupby(level=["group", "experiment"]).mean()
        humans = pairs.groupby(["group", "experiment"])["human"].nunique()
        out = out.join(per_group.assign(n_humans=humans), how="left")
    else:
        out = out.assign(**{m: np.nan for m in _METRICS}, n_humans=0)
    out = out.reset_index().rename(columns={"group": "observer"})
    out["n_humans"] = out["n_humans"].fillna(0).astype(int)
    order = {name: i for i, name in enumerate(group_order(list(out["observer"].unique())))}
    experiments = {name: i for i, name in
                   enumerate(_experiment_order(list(out["experiment"].unique())))}
    out = out.sort_values(["observer", "experiment"], key=lambda col: col.map(
        order if col.name == "observer" else experiments), ignore_index=True)
    return out[list(PER_EXPERIMENT_COLUMNS)]


def benchmark_table(table: pd.DataFrame, cutoff: float = CHANCE_CUTOFF) -> pd.DataFrame:
    """The benchmark: one row per model and one for ``humans`` (columns
    :data:`BENCHMARK_COLUMNS`): each metric of :func:`benchmark_per_experiment` averaged
    over the experiments (data sets) with a value. Consistency metrics are NaN where no
    images are shared. ``n_experiments`` counts the experiments OOD accuracy is averaged
    over, ``n_experiments_compared`` those of the accuracy difference (experiments with
    humans to compare with), ``n_experiments_shared`` those of observed and error
    consistency (with images both saw)."""
    per = benchmark_per_experiment(table, cutoff)
    trials = ood_trials(table, cutoff)
    grouped = per.groupby("observer", sort=False)
    out = grouped[["ood_accuracy", *_METRICS]].mean()
    for count, metric in EXPERIMENT_COUNTS.items():
        out[count] = grouped[metric].count()
    out["n_trials"] = grouped["n_trials"].sum()
    out = out.reset_index()
    # object dtype even when empty (no condition above the cutoff)
    out["observer"] = out["observer"].astype(object)
    # against whom: a metric "with the humans" says so where any of them is simulated
    out["compared_with"] = comparison_label(
        trials.loc[trials["observer_type"] == HUMAN, "observer"].unique(),
        simulated_humans(table))
    return out[list(BENCHMARK_COLUMNS)]


def benchmark_coverage(table: pd.DataFrame) -> dict[str, list[str]]:
    """Which of model-vs-human's 17 data sets the trials cover: ``had`` and ``missing`` (in
    its order) and ``other`` experiments that count towards the means too."""
    names = set(table["experiment"].unique())
    return {"had": [n for n in MODEL_VS_HUMAN_DATASETS if n in names],
            "missing": [n for n in MODEL_VS_HUMAN_DATASETS if n not in names],
            "other": sorted(names - set(MODEL_VS_HUMAN_DATASETS))}
