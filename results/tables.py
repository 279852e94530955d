"""Per-condition accuracy and response entropy (as in the 2018 paper), humans beside each network.

The unit of averaging is the *observer*: for humans each person (``source_format`` +
``observer``: two data sets may both have a ``subject-01``), for a network each session
(image set), as in the 2018 analysis code. Accuracy counts ``na`` as wrong; the response
entropy (bits, at most 4) is that of the distribution of the given answers, ``na``
excluded. Both are computed per unit, then averaged; min and max are over units. The 95 %
interval (``accuracy_ci_low``/``_high``) is the Wilson interval of the trials pooled over
the group's units (:mod:`results.intervals`); ``n_observers`` counts the units.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lab.categories import NO_RESPONSE
from lab.design import ExperimentDesign, bundled_designs
from lab.readers import DNN, HUMAN
from results.intervals import wilson_interval

HUMANS = "humans"  #: the observer-group name of all human observers
TABLE_COLUMNS: tuple[str, ...] = (
    "experiment", "condition", "observer", "accuracy", "entropy", "n_trials",
    "accuracy_min", "accuracy_max", "n_observers", "accuracy_ci_low", "accuracy_ci_high",
)


def humans_label(table: pd.DataFrame) -> str:
    """How to name the human group where simulated observers are in it: ``humans``,
    ``humans (<label>)`` when all are simulated alike, else ``humans (k of n observers
    simulated)``."""
    humans = table[table["observer_type"] == HUMAN]
    if "simulated" not in humans.columns or not (humans["simulated"] != "").any():
        return HUMANS
    labels = set(humans["simulated"])
    if len(labels) == 1:
        return f"{HUMANS} ({labels.pop()})"
    simulated = humans.loc[humans["simulated"] != "", "observer"].nunique()
    return f"{HUMANS} ({simulated} of {humans['observer'].nunique()} observers simulated)"


def with_units(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``group`` (``humans`` or the model name) and ``unit`` (one human, or one
    network session) columns."""
    human = (table["observer_type"] == HUMAN).to_numpy()
    group = np.where(human, HUMANS, table["observer"].to_numpy(dtype=object))
    unit = np.where(
        human,
        (table["source_format"] + ":" + table["observer"]).to_numpy(dtype=object),
        (table["observer"] + ":session-" + table["session"].astype(str)).to_numpy(dtype=object),
    )
    return table.assign(group=group, unit=unit)


def design_for(experiment: str, conditions: Iterable[str] = ()) -> ExperimentDesign | None:
    """The design of ``experiment``; for an experiment without one (e.g. the 2018
    ``contrast-experiment``) a design whose conditions include all of ``conditions``
    (at least two), else ``None``."""
    names = _design_names()
    if experiment in names:
        return _design(experiment)
    wanted = set(conditions)
    if len(wanted) < 2:
        return None
    for name in sorted(names):
        design = _design(name)
        if wanted <= set(design.conditions):
            return design
    return None


def condition_rank(experiment: str, conditions: pd.Series) -> pd.Series:
    """Sort key of conditions: the design's order (strongest signal first) where there is
    a design (:func:`design_for`), else numeric or text order."""
    design = design_for(experiment, conditions.unique())
    if design is not None:
        order = {c: i for i, c in enumerate(design.conditions)}
        return conditions.map(lambda c: order.get(c, len(order)))
    numeric = pd.to_numeric(conditions, errors="coerce")
    return numeric if numeric.notna().all() else conditions.rank(method="dense")


def _design_names() -> frozenset[str]:
    return frozenset(bundled_designs())


def _design(name: str) -> ExperimentDesign:
    return bundled_designs()[name]


def group_order(groups: pd.Series | list[str]) -> list[str]:
    """``humans`` first, then the models alphabetically."""
    names = sorted(set(groups))
    return ([HUMANS] if HUMANS in names else []) + [n for n in names if n != HUMANS]


def response_entropy(responses: pd.Series) -> float:
    """Entropy in bits of the distribution of the answers, ``na`` excluded."""
    counts = responses[responses != NO_RESPONSE].value_counts().to_numpy(float)
    if counts.sum() == 0:
        return math.nan
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def unit_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy, entropy and trial count per experiment, condition, group and unit."""
    table = with_units(table) if "unit" not in table.columns else table
    keys = ["experiment", "condition", "group", "unit"]
    per_unit = table.groupby(keys, sort=False, observed=True).agg(
        accuracy=("correct", "mean"), n_trials=("correct", "size"))
    answered = table[table["response"] != NO_RESPONSE]
    counts = answered.groupby(keys + ["response"], sort=False, observed=True).size()
    p = counts / counts.groupby(level=keys, sort=False).transform("sum")
    entropy = (-(p * np.log2(p))).groupby(level=keys, sort=False).sum()
    per_unit["entropy"] = entropy.reindex(per_unit.index)
    return per_unit.reset_index()


def summary_table(table: pd.DataFrame, *, entropy_range: bool = False) -> pd.DataFrame:
    """The per-condition table: one row per experiment, condition and observer group
    (columns :data:`TABLE_COLUMNS`, then ``entropy_min`` and ``entropy_max`` with
    ``entropy_range``: figure 3 draws that range), sorted by experiment, design condition
    order and group (humans first)."""
    per_unit = unit_table(table)
    per_unit["_correct"] = (per_unit["accuracy"] * per_unit["n_trials"]).round()
    summary = per_unit.groupby(["experiment", "condition", "group"], sort=False).agg(
        accuracy=("accuracy", "mean"), entropy=("entropy", "mean"),
        n_trials=("n_trials", "sum"), accuracy_min=("accuracy", "min"),
        accuracy_max=("accuracy", "max"), n_observers=("unit", "nunique"),
        _correct=("_correct", "sum"), entropy_min=("entropy", "min"),
        entropy_max=("entropy", "max"),
    ).reset_index().rename(columns={"group": "observer"})
    summary["accuracy_ci_low"], summary["accuracy_ci_high"] = wilson_interval(
        summary["_correct"], summary["n_trials"])
    extra = ["entropy_min", "entropy_max"] if entropy_range else []
    return sort_rows(summary)[list(TABLE_COLUMNS) + extra]


def sort_rows(frame: pd.DataFrame, group_column: str = "observer") -> pd.DataFrame:
    """Rows by experiment, design condition order, then humans before models."""
    frame = frame.copy()
    frame["_cond"] = 0.0
    for experiment, rows in frame.groupby("experiment", sort=False):
        frame.loc[rows.index, "_cond"] = condition_rank(experiment, rows["condition"]).astype(
            float)
    order = {g: i for i, g in enumerate(group_order(frame[group_column]))}
    frame["_group"] = frame[group_column].map(order)
    frame = frame.sort_values(["experiment", "_cond", "_group"], kind="stable")
    return frame.drop(columns=["_cond", "_group"]).reset_index(drop=True)


def format_table(summary: pd.DataFrame) -> str:
    """A fixed-width text rendering for the terminal."""
    shown = summary.copy()
    for column in ("accuracy", "entropy", "accuracy_min", "accuracy_max", "accuracy_ci_low",
                   "accuracy_ci_high"):
        shown[column] = shown[column].map(lambda v: "n/a" if pd.isna(v) else f"{v:.4f}")
    return shown.to_string(index=False)


__all__ = [
    "DNN", "HUMAN", "HUMANS", "TABLE_COLUMNS", "condition_rank", "format_table",
    "group_order", "response_entropy", "sort_rows", "summary_table", "unit_table",
    "with_units",
]
