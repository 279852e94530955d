"""Per-condition accuracy and response entropy (as in the 2018 paper), humans beside each network.

The unit of averaging is the *observer*: for humans each person (``source_format`` +
``observer``: two data sets may both have a ``subject-01``), for a network each session
(image set), as in the 2018 analysis code. Accuracy counts ``na`` as wrong; the response
entropy (bits, at most 4) is that of the distribution of the given answers, ``na``
excluded. Both are computed per unit, then averaged; min and max are over units. The 95 %
interval (``accuracy_ci_low``/``_high``) is the Wilson interval of the trials pooled over
the group's units (:mod:`results.intervals`), a within-observer interval (these observers'
rate); the interval for a claim about people, with observers resampled too, is
:func:`results.uncertainty.accuracy_intervals`. ``n_observers`` counts the units.

Per-unit values are computed on integer codes of the columns (:func:`unit_codes`), once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from lab.categories import NO_RESPONSE
from lab.design import ExperimentDesign, bundled_designs
from lab.readers import DNN, HUMAN
from results.intervals import wilson_interval

HUMANS = "humans"  #: the observer-group name of all human observers
NO_HUMANS = "no humans"  #: whom a metric "with the humans" compares with where there are none
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


def simulated_humans(table: pd.DataFrame) -> dict[str, str]:
    """``observer -> label`` of the human observers the readers marked simulated (column
    ``simulated``); empty when none is."""
    if "simulated" not in table.columns:
        return {}
    humans = table[(table["observer_type"] == HUMAN)
                   & (table["simulated"].fillna("").astype(str) != "")]
    return {str(o): str(label) for o, label in
            humans.drop_duplicates("observer")[["observer", "simulated"]].itertuples(
                index=False)}


def comparison_label(humans: Iterable[str], simulated: Mapping[str, str]) -> str:
    """Whom a metric "with the humans" compares with: ``humans``, ``humans (simulated:
    <label>)`` when every one of ``humans`` is simulated, ``humans (k of n simulated)``
    when some are (names may carry the ``lab:`` prefix of error consistency); ``no
    humans`` when there are none."""
    names = {str(h) for h in humans}
    if not names:
        return NO_HUMANS
    marked = {h: simulated[h.removeprefix("lab:")] for h in names
              if h.removeprefix("lab:") in simulated}
    if not marked:
        return HUMANS
    if len(marked) == len(names):
        labels = "; ".join(sorted(set(marked.values())))
        return f"{HUMANS} (simulated: {labels})" if "simulated" not in labels \
            else f"{HUMANS} ({labels})"
    return f"{HUMANS} ({len(marked)} of {len(names)} simulated)"


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


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (first-appearance order) and the distinct values of a column.

    A string column held by pyarrow without missing values (what
    :func:`lab.readers.read_trials` gives) is encoded by pyarrow's ``dictionary_encode``
    directly (the function ``pd.factorize`` calls: the same codes and order, without its
    copies), and where the column comes in long runs of one value (experiment, observer,
    data set: the trial files are read one after another) only the first value of each
    run is encoded and its code repeated: every first appearance starts a run, so the
    codes are the same."""
    array = values.array
    if (pd.api.types.is_string_dtype(values.dtype) and hasattr(array, "__arrow_array__")
            and not values.hasnans):
        return _arrow_codes(array.__arrow_array__())
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


#: a column is encoded run by run when a sample of it has at most one new run per this
#: many rows
RUN_LENGTH = 16


def _arrow_codes(array) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_codes` of a pyarrow array without nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    sample = array.slice(0, min(n, 4096))
    if n > 1 and pc.sum(pc.not_equal(sample.slice(1), sample.slice(0, len(sample) - 1))
                        ).as_py() * RUN_LENGTH <= len(sample):
        change = pc.not_equal(array.slice(1), array.slice(0, n - 1))
        starts = np.flatnonzero(np.concatenate(
            [[True], change.to_numpy(zero_copy_only=False)]))
        encoded = pc.dictionary_encode(array.take(pa.array(starts)))
        codes = np.repeat(encoded.indices.to_numpy().astype(np.int64),
                          np.diff(np.append(starts, n)))
    else:
        encoded = pc.dictionary_encode(array)
        codes = encoded.indices.to_numpy().astype(np.int64, copy=False)
    return codes, np.asarray(encoded.dictionary.to_pylist(), dtype=object)


def unit_codes(table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Per trial the integer code of its (experiment, condition, group, unit), and one row
    per code (columns experiment, condition, group, unit), in first-appearance order.

    Computed on integer codes of each column (no per-trial strings), so it costs about
    one pandas group-by of the table."""
    codes, units, _ = _unit_codes(table)
    return codes, units


def _unit_codes(table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """:func:`unit_codes` and per unit the code of its (experiment, condition, group)
    cell, numbered in first-appearance order (as ``groupby(..., sort=False).ngroup()``)."""
    if table.empty:
        return np.zeros(0, dtype=np.int64), pd.DataFrame(
            columns=["experiment", "condition", "group", "unit"]), np.zeros(0, dtype=np.int64)
    human = (table["observer_type"] == HUMAN).to_numpy(dtype=bool)
    columns = [_codes(table[c]) for c in ("experiment", "condition", "observer",
                                          "source_format")]
    session_codes, sessions = _codes(table["session"])
    # a human unit is (data set, observer), a network unit (model, session): the session
    # code of humans and the data-set code of networks are set to 0
    parts = [columns[0][0], columns[1][0], human.astype(np.int64), columns[2][0],
             np.where(human, columns[3][0], 0), np.where(human, 0, session_codes)]
    sizes = [len(columns[0][1]), len(columns[1][1]), 2, len(columns[2][1]),
             max(len(columns[3][1]), 1), max(len(sessions), 1)]
    flat = np.ravel_multi_index(parts, sizes)
    codes, uniques = pd.factorize(flat, sort=False)
    e, c, h, o, f, k = np.unravel_index(np.asarray(uniques), sizes)
    is_human = h.astype(bool)
    observer = columns[2][1][o]
    units = pd.DataFrame({
        "experiment": columns[0][1][e], "condition": columns[1][1][c],
        "group": np.where(is_human, HUMANS, observer).astype(object),
        "unit": np.where(is_human,
                         [f"{columns[3][1][i]}:{name}" for i, name in zip(f, observer,
                                                                         strict=True)],
                         [f"{name}:session-{sessions[i]}" for i, name in zip(k, observer,
                                                                           strict=True)]
                         ).astype(object),
    })
    # a cell is (experiment, condition, group): every human is in the one group
    cells, _ = pd.factorize(np.ravel_multi_index([e, c, h, np.where(is_human, 0, o)],
                                                 sizes[:4]), sort=False)
    return codes.astype(np.int64, copy=False), units, cells.astype(np.int64, copy=False)


def _code_of(uniques: np.ndarray, value: str) -> int:
    """The code of ``value`` among a column's distinct values; -1 when absent."""
    at = np.flatnonzero(uniques == value)
    return int(at[0]) if len(at) else -1


def unit_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy, entropy and trial count per experiment, condition, group and unit
    (columns experiment, condition, group, unit, accuracy, n_trials, n_correct, entropy),
    in first-appearance order."""
    return unit_table_with_cells(table)[0]


def unit_table_with_cells(table: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`unit_table` and per unit (row) the code of its (experiment, condition,
    group) cell, numbered in first-appearance order: what a per-cell summary reduces
    over, without grouping the per-unit table's strings again."""
    codes, per_unit, cells = _unit_codes(table)
    n_units = len(per_unit)
    correct = table["correct"].to_numpy(dtype=float)
    n_trials = np.bincount(codes, minlength=n_units)
    n_correct = np.bincount(codes, weights=correct, minlength=n_units)
    with np.errstate(all="ignore"):
        per_unit["accuracy"] = n_correct / n_trials
    per_unit["n_trials"] = n_trials.astype(np.int64)
    per_unit["n_correct"] = np.rint(n_correct).astype(np.int64)
    # entropy of the given answers ("na" excluded): a units x answers count matrix
    response_codes, responses = _codes(table["response"])
    answered = response_codes != _code_of(responses, NO_RESPONSE)
    counts = np.bincount(codes[answered] * max(len(responses), 1) + response_codes[answered],
                         minlength=n_units * max(len(responses), 1)).reshape(n_units, -1)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        p = counts / totals
        terms = np.where(counts > 0, -p * np.log2(np.where(counts > 0, p, 1.0)), 0.0)
    entropy = terms.sum(axis=1)
    per_unit["entropy"] = np.where(totals[:, 0] > 0, entropy, np.nan)
    return per_unit, cells


def summary_table(table: pd.DataFrame, *, entropy_range: bool = False) -> pd.DataFrame:
    """The per-condition table: one row per experiment, condition and observer group
    (columns :data:`TABLE_COLUMNS`, then ``entropy_min`` and ``entropy_max`` with
    ``entropy_range``: figure 3 draws that range), sorted by experiment, design condition
    order and group (humans first)."""
    summary = _cell_summary(*unit_table_with_cells(table))
    summary["accuracy_ci_low"], summary["accuracy_ci_high"] = wilson_interval(
        summary["_correct"], summary["n_trials"])
    extra = ["entropy_min", "entropy_max"] if entropy_range else []
    return sort_rows(summary)[list(TABLE_COLUMNS) + extra]


def _cell_summary(per_unit: pd.DataFrame, cells: np.ndarray) -> pd.DataFrame:
    """Per experiment, condition and group (first-appearance order) of the per-unit
    table: mean, min and max of accuracy and entropy over units (NaN left out, as pandas
    does), summed trials and correct answers, and the number of units. Array reductions
    over cell codes: the per-unit table has one row per unit, so the units of a cell are
    its rows."""
    keys = ["experiment", "condition", "group"]
    order = np.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    n_cells = int(cells.max()) + 1 if len(cells) else 0
    starts = np.searchsorted(sorted_cells, np.arange(n_cells))
    first_unit = order[starts]  # cells are numbered by first appearance
    out = pd.DataFrame({k: per_unit[k].to_numpy()[first_unit] for k in keys}).rename(
        columns={"group": "observer"})

    def reduce(column: str) -> dict[str, np.ndarray]:
        values = per_unit[column].to_numpy(dtype=float)[order]
        ok = ~np.isnan(values)
        count = np.bincount(sorted_cells, weights=ok, minlength=n_cells)
        total = np.bincount(sorted_cells, weights=np.where(ok, values, 0.0),
                            minlength=n_cells)
        with np.errstate(all="ignore"):
            mean = np.where(count > 0, total / count, np.nan)
        low = np.fmin.reduceat(values, starts) if n_cells else values[:0]
        high = np.fmax.reduceat(values, starts) if n_cells else values[:0]
        return {"mean": mean, "min": low, "max": high}

    accuracy, entropy = reduce("accuracy"), reduce("entropy")
    out["accuracy"], out["entropy"] = accuracy["mean"], entropy["mean"]
    out["n_trials"] = np.bincount(cells, weights=per_unit["n_trials"].to_numpy(),
                                  minlength=n_cells).astype(np.int64)
    out["accuracy_min"], out["accuracy_max"] = accuracy["min"], accuracy["max"]
    out["n_observers"] = np.bincount(cells, minlength=n_cells).astype(np.int64)
    out["_correct"] = np.bincount(cells, weights=per_unit["n_correct"].to_numpy(),
                                  minlength=n_cells).astype(np.int64)
    out["entropy_min"], out["entropy_max"] = entropy["min"], entropy["max"]
    return out


def sort_rows(frame: pd.DataFrame, group_column: str = "observer") -> pd.DataFrame:
    """Rows by experiment, design condition order, then humans before models (a stable
    sort: rows equal in all three keep their order). The condition ranks are computed on
    each experiment's distinct conditions (a rank depends only on the set of them)."""
    frame = frame.reset_index(drop=True)  # a copy; positions are the index
    if frame.empty:
        return frame
    experiments, experiment_names = pd.factorize(frame["experiment"], sort=True)
    conditions = frame["condition"].to_numpy(dtype=object)
    rank = np.zeros(len(frame))
    for code, experiment in enumerate(experiment_names):
        at = np.flatnonzero(experiments == code)
        inverse, distinct = pd.factorize(conditions[at], sort=False)
        ranks = condition_rank(experiment, pd.Series(distinct, dtype=object))
        rank[at] = ranks.to_numpy(dtype=float)[inverse]
    order = {g: i for i, g in enumerate(group_order(frame[group_column]))}
    group_rank = frame[group_column].map(order).to_numpy(dtype=float)
    return frame.take(np.lexsort((group_rank, rank, experiments))).reset_index(drop=True)


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
    "unit_table_with_cells", "with_units",
]
