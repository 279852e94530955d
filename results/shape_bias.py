"""Shape bias on cue-conflict images (Geirhos et al. 2019).

A cue-conflict image has the shape of one class (``category``) and the texture of another
(``texture``, read from the file name ``<shape><n>-<texture><m>``). Images whose shape and
texture classes agree are dropped. Among the remaining trials, a *shape hit* is an answer
equal to the shape class, a *texture hit* one equal to the texture class; shape bias =
shape hits / (shape hits + texture hits). Other answers and ``na`` count for neither.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from results.tables import group_order, with_units

log = logging.getLogger(__name__)

ALL_CLASSES = "all"
SHAPE_BIAS_COLUMNS: tuple[str, ...] = (
    "observer", "group", "category", "n_trials", "shape_hits", "texture_hits", "shape_bias",
)


def cue_conflict_trials(table: pd.DataFrame) -> pd.DataFrame:
    """The trials that carry a cue conflict: a texture class known and different from the
    shape class."""
    if "texture" not in table.columns:
        return table.iloc[0:0]
    has_texture = table["texture"].astype(str) != ""
    conflict = has_texture & (table["texture"] != table["category"])
    dropped = int((has_texture & ~conflict).sum())
    if dropped:
        log.info("shape bias: %d trials whose shape and texture classes agree dropped", dropped)
    return table[conflict]


def _bias(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    hits = frame.assign(
        shape_hits=(frame["response"] == frame["category"]).astype(int),
        texture_hits=(frame["response"] == frame["texture"]).astype(int),
    )
    out = hits.groupby(keys, sort=False).agg(
        n_trials=("shape_hits", "size"), shape_hits=("shape_hits", "sum"),
        texture_hits=("texture_hits", "sum"),
    ).reset_index()
    total = out["shape_hits"] + out["texture_hits"]
    out["shape_bias"] = np.where(total > 0, out["shape_hits"] / total.where(total > 0, 1),
                                 np.nan)
    return out


def shape_bias(table: pd.DataFrame) -> pd.DataFrame:
    """Shape bias per observer and per class (``category`` = shape class, or ``all``).

    ``observer`` is a human ID or a model name; ``group`` is ``humans`` or the model name.
    Rows with ``observer == group == 'humans'`` pool the trials of all humans (as the
    model-vs-human plots do). Columns :data:`SHAPE_BIAS_COLUMNS`.
    """
    trials = cue_conflict_trials(table)
    if trials.empty:
        return pd.DataFrame(columns=list(SHAPE_BIAS_COLUMNS))
    trials = with_units(trials)
    per_observer = pd.concat([
        _bias(trials, ["observer", "group", "category"]),
        _bias(trials, ["observer", "group"]).assign(category=ALL_CLASSES),
    ])
    humans = trials[trials["group"] == "humans"].assign(observer="humans")
    pooled = pd.concat([
        _bias(humans, ["observer", "group", "category"]),
        _bias(humans, ["observer", "group"]).assign(category=ALL_CLASSES),
    ]) if len(humans) else pd.DataFrame(columns=list(SHAPE_BIAS_COLUMNS))
    out = pd.concat([pooled, per_observer], ignore_index=True)
    order = {g: i for i, g in enumerate(group_order(out["group"]))}
    out["_g"] = out["group"].map(order)
    out["_pooled"] = out["observer"] != "humans"
    out["_all"] = out["category"] != ALL_CLASSES
    out = out.sort_values(["_g", "_pooled", "observer", "_all", "category"], kind="stable")
    return out[list(SHAPE_BIAS_COLUMNS)].reset_index(drop=True)
