"""Error consistency (Geirhos, Meding & Wichmann 2020) for every pair of observers.

Trials of two observers are matched by image: on our own records by the sha256 of the file
shown, on the original CSVs by the image name without its trial number, experiment code and
subject part (``0001_cop_s01_c50_oven_10_n04111531_23046.png`` ->
``c50_oven_10_n04111531_23046.png``; column ``image_key`` of the record table). In the
model-vs-human data every observer saw the same images, so every trial matches; in the 2018
data humans and networks saw mostly different images and only the few shared ones count.

An *observer* here is one human or one network (all of a network's sessions together);
two humans from different data sets never share images, so they simply do not pair.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from lab.readers import HUMAN
from results.tables import HUMANS, comparison_label, sort_rows

log = logging.getLogger(__name__)

CONSISTENCY_COLUMNS: tuple[str, ...] = (
    "experiment", "condition", "observer_1", "observer_2", "pair", "n_trials",
    "accuracy_1", "accuracy_2", "observed_consistency", "expected_consistency",
    "error_consistency",
)


@dataclass(frozen=True)
class Consistency:
    """Agreement of two observers on the same trials."""

    n_trials: int
    accuracy_1: float
    accuracy_2: float
    observed: float  #: share of trials both right or both wrong
    expected: float  #: p1 p2 + (1 - p1)(1 - p2)
    kappa: float  #: (observed - expected) / (1 - expected)


def error_consistency(correct_1: np.ndarray, correct_2: np.ndarray) -> Consistency:
    """Error consistency of two equally long, trial-matched 0/1 vectors.

    >>> error_consistency(np.array([1, 1, 0, 0]), np.array([1, 1, 0, 0])).kappa
    1.0

    When both observers are always right (or both always wrong), expected consistency is 1
    and kappa is 0/0; like model-vs-human we return 1.0 (perfect agreement). No trials: NaN.
    """
    a = np.asarray(correct_1, dtype=bool)
    b = np.asarray(correct_2, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"trial vectors differ in length: {a.shape} vs {b.shape}")
    n = int(a.size)
    if n == 0:
        return Consistency(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    p1, p2 = float(a.mean()), float(b.mean())
    observed = float((a == b).mean())
    expected = p1 * p2 + (1 - p1) * (1 - p2)
    kappa = 1.0 if observed == 1.0 else (observed - expected) / (1 - expected)
    return Consistency(n, p1, p2, observed, expected, kappa)


def observer_ids(table: pd.DataFrame) -> pd.Series:
    """One name per observer: humans keep their ID (prefixed by the data set when several
    data sets are read together), networks their model name."""
    human = table["observer_type"] == HUMAN
    several = table.loc[human, "source_format"].nunique() > 1
    names = table["observer"].astype(object).copy()
    if several:
        names[human] = table.loc[human, "source_format"] + ":" + table.loc[human, "observer"]
    return names


def _pair_kind(type_1: str, type_2: str) -> str:
    """``human-human``, ``human-dnn`` or ``dnn-dnn``."""
    kinds = sorted((t != HUMAN, "human" if t == HUMAN else "dnn") for t in (type_1, type_2))
    return "-".join(kind for _, kind in kinds)


def pairwise_consistency(table: pd.DataFrame, *, min_trials: int = 1) -> pd.DataFrame:
    """Error consistency for every pair of observers, per experiment and condition, on the
    trials both saw (columns :data:`CONSISTENCY_COLUMNS`; ``pair`` is ``human-human``,
    ``human-dnn`` or ``dnn-dnn``). Pairs with fewer than ``min_trials`` shared images are
    left out."""
    work = table.assign(_who=observer_ids(table))
    types = work.drop_duplicates("_who").set_index("_who")["observer_type"].to_dict()
    duplicated = work.duplicated(["experiment", "condition", "_who", "image_key"])
    if duplicated.any():
        log.info("%d repeated trials of the same image by the same observer: the first "
                 "one counts for error consistency", int(duplicated.sum()))
        work = work[~duplicated]
    rows = []
    for (experiment, condition), trials in work.groupby(["experiment", "condition"],
                                                        sort=False):
        grid = trials.pivot(index="image_key", columns="_who", values="correct")
        names = sorted(grid.columns, key=lambda n: (types[n] != HUMAN, str(n)))
        values = {n: grid[n].to_numpy(dtype=float) for n in names}
        for first, second in combinations(names, 2):
            a, b = values[first], values[second]
            both = ~np.isnan(a) & ~np.isnan(b)
            if both.sum() < min_trials:
                continue
            result = error_consistency(a[both] > 0.5, b[both] > 0.5)
            rows.append((experiment, condition, first, second,
                         _pair_kind(types[first], types[second]), result.n_trials,
                         result.accuracy_1, result.accuracy_2, result.observed,
                         result.expected, result.kappa))
    frame = pd.DataFrame(rows, columns=list(CONSISTENCY_COLUMNS))
    if frame.empty:
        return frame
    return sort_rows(frame, group_column="observer_1")


def human_observers(pairs: pd.DataFrame) -> set[str]:
    """The observers of ``pairs`` that are humans (the first of a ``human-dnn`` pair)."""
    human_human = pairs[pairs["pair"] == "human-human"]
    return set(human_human["observer_1"]) | set(human_human["observer_2"]) | set(
        pairs.loc[pairs["pair"] == "human-dnn", "observer_1"])


def consistency_matrix(pairs: pd.DataFrame, experiment: str,
                       value: str = "error_consistency") -> pd.DataFrame:
    """Observer x observer matrix of ``value`` for one experiment, averaged over its
    conditions (diagonal 1); humans first."""
    rows = pairs[pairs["experiment"] == experiment]
    mean = rows.groupby(["observer_1", "observer_2"])[value].mean()
    humans = human_observers(rows)
    names = sorted(set(rows["observer_1"]) | set(rows["observer_2"]),
                   key=lambda n: (n not in humans, str(n)))
    matrix = pd.DataFrame(np.nan, index=names, columns=names)
    for (first, second), v in mean.items():
        matrix.loc[first, second] = v
        matrix.loc[second, first] = v
    for n in names:
        matrix.loc[n, n] = 1.0
    return matrix


def consistency_by_group(pairs: pd.DataFrame,
                         simulated: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Mean error consistency per experiment and condition of each network with the
    humans, and of humans with each other (``observer`` = model name or ``humans``);
    ``n_pairs`` pairs averaged, ``n_trials`` the trials they shared in all;
    ``compared_with`` names those humans, labelled ``simulated`` where any of them is
    (``simulated``: observer -> label, e.g. :func:`results.tables.simulated_humans`)."""
    if pairs.empty:
        return pd.DataFrame(columns=["experiment", "condition", "observer",
                                     "error_consistency", "n_pairs", "n_trials",
                                     "compared_with"])
    human_pairs = pairs[pairs["pair"] == "human-human"].assign(observer=HUMANS)
    model_pairs = pairs[pairs["pair"] == "human-dnn"]
    # observer_1 of a human-dnn pair is the human (humans sort first); the model is 2
    model_pairs = model_pairs.assign(observer=model_pairs["observer_2"])
    both = pd.concat([human_pairs, model_pairs], ignore_index=True)
    grouped = both.groupby(["experiment", "condition", "observer"], sort=False)
    out = grouped.agg(
        error_consistency=("error_consistency", "mean"), n_pairs=("error_consistency", "size"),
        n_trials=("n_trials", "sum"),
    ).reset_index()
    simulated = simulated or {}
    humans_of = grouped.apply(
        lambda rows: comparison_label(
            set(rows["observer_1"]) | set(rows.loc[rows["pair"] == "human-human",
                                                   "observer_2"]), simulated),
        include_groups=False)
    out["compared_with"] = humans_of.to_numpy()
    return sort_rows(out)
