"""Bootstrap confidence intervals for the metrics, and the human noise ceilings.

The metrics themselves are those of :mod:`results.tables`, :mod:`results.consistency`,
:mod:`results.shape_bias` and :mod:`results.benchmark`, unchanged; this module adds 95 %
percentile intervals (2.5 and 97.5 percentiles of ``n_boot`` replicates, default 1000)
and is vectorised: a replicate is a vector of resampling *weights* (how often each
observer, trial or image is drawn), so every metric of every replicate is a matrix product.

Group values are claims about people: by default (``resample="observers"``) each
replicate draws the observers with replacement, then their trials (two-stage bootstrap);
``resample="trials"`` keeps the observers and resamples only their trials (the
within-observer interval, for these observers only). Every table says which in its column
``resampled`` (:data:`RESAMPLE_LABELS`).

* **accuracy** (per experiment, condition and group): units (human, or network session)
  drawn with replacement, then each drawn unit's trials: ``c`` copies of a unit with ``k``
  of ``n`` correct sum to ``Binomial(c n, k/n) / n``; the group value is the mean over
  the drawn units.
* **error consistency and observed consistency** (Klein et al. 2025's point: differences
  between models need intervals): per experiment and condition the *images* are
  resampled, jointly for all observers (every observer sees the same resampled images,
  so pairs that share observers stay correlated as in the data); kappa and observed
  consistency per pair and condition, their mean over conditions per pair, and the mean
  per group (``humans`` = all human pairs; a model = its pairs with every human), where
  the humans are also drawn with replacement (pair weights ``c_a c_b`` or ``c_h``).
* **shape bias**: cue-conflict trials resampled within each observer; the pooled humans
  with the humans drawn first: multinomial over shape hit / texture hit / neither.
* **benchmark metrics**: images resampled per condition as above, humans drawn per
  experiment; OOD accuracy, accuracy difference, observed and error consistency
  recomputed with model-vs-human's averaging; the point values are
  :func:`results.benchmark.benchmark_table`'s own. Which conditions count (control and
  below-20 % exclusions) is decided once on the data, not per replicate.

Noise ceilings (:func:`noise_ceilings`): the **between-human consistency** (mean kappa
over human pairs, with its interval) is what a network that behaves like a typical human
would score; the **split-half reliability** of the humans' per-image accuracy (humans
split at random into two halves, the halves' per-image accuracies correlated over images,
Spearman-Brown corrected, averaged over 200 splits) bounds how well any observer can
track the human group's image-level difficulty: a network's correlation with the human
mean cannot exceed ``sqrt(reliability)`` in expectation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lab.readers import HUMAN
from results.benchmark import CHANCE_CUTOFF, EXPERIMENT_COUNTS, benchmark_table, ood_trials
from results.consistency import observer_ids
from results.shape_bias import cue_conflict_trials
from results.tables import (
    HUMANS,
    comparison_label,
    simulated_humans,
    unit_table_with_cells,
    with_units,
)

DEFAULT_BOOT = 1000


def percentile_interval(replicates: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2.5 and 97.5 percentiles over ``axis``, ignoring NaN (NaN where all are)."""
    replicates = np.asarray(replicates, dtype=float)
    if replicates.size == 0:  # nothing to summarise (e.g. no pairs): NaN, right shape
        shape = np.delete(replicates.shape, axis) if replicates.ndim > 1 else ()
        empty = np.full(tuple(shape), np.nan)
        return empty, empty.copy()
    with np.errstate(all="ignore"), _quiet():
        low, high = np.nanpercentile(replicates, [2.5, 97.5], axis=axis)
    return low, high


def kappa_from_counts(both_right: np.ndarray, right_1: np.ndarray, right_2: np.ndarray,
                      n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(observed consistency, kappa)`` from (weighted) counts, vectorised; kappa is 1
    where observed consistency is 1 (as :func:`results.consistency.error_consistency`)."""
    with np.errstate(all="ignore"):
        p1, p2 = right_1 / n, right_2 / n
        observed = (both_right + (n - right_1 - right_2 + both_right)) / n
        expected = p1 * p2 + (1 - p1) * (1 - p2)
        kappa = np.where(observed >= 1.0 - 1e-12, 1.0, (observed - expected) / (1 - expected))
    return observed, kappa


# -- what is resampled ---------------------------------------------------------------------
OBSERVERS = "observers"  #: observers resampled, then their trials (default: group claims)
TRIALS = "trials"  #: trials (or images) resampled within the observers at hand
RESAMPLE_LABELS = {
    OBSERVERS: "observers, then trials",
    TRIALS: "within observers (trials only)",
}
#: what the per-pair tables resample (a pair is two given observers: only images vary)
PAIR_RESAMPLED = "images (this pair)"
RESAMPLE_COLUMN = "resampled"  #: the column every interval table names its resampling in


def check_resample(resample: str) -> str:
    """``resample`` when it is :data:`OBSERVERS` or :data:`TRIALS`."""
    if resample not in RESAMPLE_LABELS:
        raise ValueError(f"resample={resample!r}: use {OBSERVERS!r} or {TRIALS!r}")
    return resample


def observer_counts(n_observers: int, n_boot: int, rng: np.random.Generator,
                    resample: str = OBSERVERS) -> np.ndarray:
    """``(n_boot + 1, n_observers)`` how often each observer is drawn when ``n_observers``
    are drawn with replacement (row 0, the data: all ones); all ones with :data:`TRIALS`."""
    counts = np.ones((n_boot + 1, n_observers))
    if check_resample(resample) == OBSERVERS and n_observers > 0:
        counts[1:] = rng.multinomial(n_observers, np.full(n_observers, 1 / n_observers),
                                     size=n_boot)
    return counts


# -- accuracy ------------------------------------------------------------------------------
def accuracy_replicates(n_correct: np.ndarray, n_trials: np.ndarray, cells: np.ndarray,
                        n_boot: int, rng: np.random.Generator, resample: str = OBSERVERS
                        ) -> np.ndarray:
    """``(n_boot, n_cells)`` bootstrap replicates of the mean accuracy over the units of
    each cell (``cells``: the cell code 0..C-1 of each unit, units sorted by cell).

    With :data:`OBSERVERS` each replicate draws the cell's units with replacement (a unit
    drawn ``c`` times counts ``c`` times), then each drawn unit's trials: the summed
    accuracy of ``c`` copies of a unit with ``k`` of ``n`` correct is
    ``Binomial(c n, k/n) / n``. With :data:`TRIALS` every unit is kept once."""
    n_units = len(cells)
    n_cells = int(cells.max()) + 1 if n_units else 0
    size = np.bincount(cells, minlength=n_cells)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    if check_resample(resample) == OBSERVERS:
        # slot s of cell C draws one of C's units: start[C] + floor(u * size[C])
        picks = start[cells] + (rng.random((n_boot, n_units)) * size[cells]).astype(np.int64)
        picks = np.minimum(picks, start[cells] + size[cells] - 1)
        counts = np.bincount((picks + (np.arange(n_boot) * n_units)[:, None]).ravel(),
                             minlength=n_boot * n_units).reshape(n_boot, n_units)
    else:
        counts = np.ones((n_boot, n_units), dtype=np.int64)
    p = np.divide(n_correct, n_trials, out=np.zeros(n_units), where=n_trials > 0)
    draws = rng.binomial(counts * n_trials, p) / np.maximum(n_trials, 1)
    return np.add.reduceat(draws, start, axis=1) / size if n_units else draws


def accuracy_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0,
                       resample: str = OBSERVERS) -> pd.DataFrame:
    """Per experiment, condition and group: accuracy (as :func:`summary_table`) with its
    95 % interval (``accuracy_low``, ``accuracy_high``), observers then trials resampled
    (default) or trials within observers (``resample="trials"``); column ``resampled``
    says which."""
    rng = np.random.default_rng(seed)
    # computed once, with each unit's cell; replicates are array operations
    per_unit, cells = unit_table_with_cells(table)
    key_columns = ["experiment", "condition", "group"]
    keys = per_unit.drop_duplicates(key_columns)[key_columns].reset_index(drop=True)
    order = np.argsort(cells, kind="stable")
    cells = cells[order]
    n = per_unit["n_trials"].to_numpy()[order]
    k = per_unit["n_correct"].to_numpy()[order]
    means = accuracy_replicates(k, n, cells, n_boot, rng, resample)
    low, high = percentile_interval(means)
    counts = np.bincount(cells, minlength=len(keys))
    point = np.bincount(cells, weights=per_unit["accuracy"].to_numpy()[order],
                        minlength=len(keys)) / counts
    return pd.DataFrame({
        "experiment": keys["experiment"].to_numpy(), "condition": keys["condition"].to_numpy(),
        "observer": keys["group"].to_numpy(), "accuracy": point, "accuracy_low": low,
        "accuracy_high": high, "n_units": counts,
        RESAMPLE_COLUMN: RESAMPLE_LABELS[resample],
    })


# -- image-resampled consistency -------------------------------------------------------------
def _condition_grids(table: pd.DataFrame):
    """Per (experiment, condition): observer names, their types, and the image x observer
    correctness grid (NaN where an observer did not see an image)."""
    work = table.assign(_who=observer_ids(table))
    work = work.drop_duplicates(["experiment", "condition", "_who", "image_key"])
    types = work.drop_duplicates("_who").set_index("_who")["observer_type"].to_dict()
    for (experiment, condition), cell in work.groupby(["experiment", "condition"],
                                                      sort=False):
        grid = cell.pivot(index="image_key", columns="_who", values="correct")
        names = sorted(grid.columns, key=lambda n: (types[n] != HUMAN, str(n)))
        yield experiment, condition, names, types, grid[names].to_numpy(dtype=float)


def _weights(n_images: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot + 1, n_images)`` resampling counts (how often each image is drawn when
    drawing ``n_images`` with replacement); row 0 is the data (all ones). The counts are
    whole numbers, held as float32: every sum a replicate makes of them (at most the
    number of images) is exact in float32, so the matrix products below give the same
    values as in float64, in half the time."""
    picks = rng.integers(0, n_images, size=(n_boot, n_images))
    picks += (np.arange(n_boot) * n_images)[:, None]  # one bincount for every replicate
    counts = np.empty((n_boot + 1, n_images), dtype=np.float32)
    counts[0] = 1.0
    counts[1:] = np.bincount(picks.ravel(), minlength=n_boot * n_images).reshape(
        n_boot, n_images)
    return counts


def _count_products(weights: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``weights @ counts`` in float64 for whole-number ``weights`` (resampling counts,
    :func:`_weights`) and whole-number ``counts`` (0/1 masks, trials per image): in
    float32 when every sum is a whole number below 2**24 (then exact, so the same values
    as float64, and twice as fast), else in float64."""
    counts = np.asarray(counts)
    largest = float(np.max(counts, initial=0)) * weights.shape[1]
    if weights.dtype == np.float32 and largest < 2 ** 24:
        return (weights @ counts.astype(np.float32)).astype(np.float64)
    return weights.astype(np.float64) @ counts.astype(np.float64)


def _pair_replicates(grid: np.ndarray, pairs: list[tuple[int, int]], weights: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy of both, observed consistency and kappa per replicate and pair
    ``(R, P)``, on the images both saw. The four counts per pair (images both saw, right
    by each, right by both) are one matrix product of the whole-number weights with 0/1
    masks: exact in float32 (sums of at most 2**24), returned as float64."""
    seen = ~np.isnan(grid)
    right = np.nan_to_num(grid) > 0.5
    i, j = (np.array(x, dtype=int) for x in zip(*pairs, strict=True))
    both = seen[:, i] & seen[:, j]
    masks = np.concatenate([both, both & right[:, i], both & right[:, j],
                            both & right[:, i] & right[:, j]], axis=1)
    n, r1, r2, r12 = np.split(_count_products(weights, masks), 4, axis=1)
    observed, kappa = kappa_from_counts(r12, r1, r2, n)
    with np.errstate(all="ignore"):
        return r1 / n, r2 / n, observed, kappa


def consistency_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0,
                          resample: str = OBSERVERS
                          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(per_condition, per_pair, per_group)`` error and observed consistency with 95 %
    intervals (images resampled per condition, jointly for all observers).

    ``per_condition``: experiment, condition, observer_1, observer_2, pair, n_trials,
    error_consistency (+ ``_low``/``_high``), observed_consistency (+ interval);
    ``per_pair``: the mean over conditions per experiment and pair (both: images
    resampled, the pair fixed); ``per_group``: per experiment, the mean over ``humans``
    pairs and over each model's pairs with humans, where by default (``resample=
    "observers"``) each replicate also draws the experiment's humans with replacement
    (pairs weighted by how often both were drawn; a human never pairs with itself), so
    the interval speaks for people, not only these people. Column ``resampled`` of
    ``per_group`` says which; ``compared_with`` names the humans (labelled where any is
    simulated)."""
    check_resample(resample)
    rng = np.random.default_rng(seed)
    cond_rows, replicate_store = [], []
    for experiment, condition, names, types, grid in _condition_grids(table):
        if len(names) < 2:
            continue
        pairs = [(a, b) for a in range(len(names)) for b in range(a + 1, len(names))]
        weights = _weights(grid.shape[0], n_boot, rng)
        _, _, observed, kappa = _pair_replicates(grid, pairs, weights)
        seen = ~np.isnan(grid)
        k_low, k_high = percentile_interval(kappa[1:])
        o_low, o_high = percentile_interval(observed[1:])
        for p, (a, b) in enumerate(pairs):
            n = int((seen[:, a] & seen[:, b]).sum())
            if n == 0:
                continue
            kind = _kind(types[names[a]], types[names[b]])
            cond_rows.append((experiment, condition, names[a], names[b], kind, n,
                              kappa[0, p], k_low[p], k_high[p], observed[0, p], o_low[p],
                              o_high[p]))
            replicate_store.append((kappa[:, p], observed[:, p]))
    columns = ["experiment", "condition", "observer_1", "observer_2", "pair", "n_trials",
               "error_consistency", "error_consistency_low", "error_consistency_high",
               "observed_consistency", "observed_consistency_low",
               "observed_consistency_high"]
    per_condition = pd.DataFrame(cond_rows, columns=columns)
    per_condition[RESAMPLE_COLUMN] = PAIR_RESAMPLED
    if per_condition.empty:
        return per_condition, per_condition.copy(), per_condition.copy()
    kappas = np.vstack([k for k, _ in replicate_store])  # (rows, R)
    observeds = np.vstack([o for _, o in replicate_store])
    per_pair = _average(per_condition, kappas, observeds,
                        ["experiment", "observer_1", "observer_2", "pair"])
    per_pair[RESAMPLE_COLUMN] = PAIR_RESAMPLED
    grouped = per_condition.assign(group=np.where(
        per_condition["pair"] == "human-human", HUMANS,
        np.where(per_condition["pair"] == "human-dnn", per_condition["observer_2"], "")))
    keep = (grouped["group"] != "").to_numpy()
    # mean over conditions per pair first, then over pairs (model-vs-human's averaging)
    pair_means = _average(grouped[keep], kappas[keep], observeds[keep],
                          ["experiment", "group", "observer_1", "observer_2"],
                          keep_replicates=True)
    per_group = _group_means(*pair_means, n_boot=n_boot, rng=rng, resample=resample)
    simulated = simulated_humans(table)
    per_group["compared_with"] = [
        comparison_label(_humans_in(pair_means[0], e, g), simulated)
        for e, g in zip(per_group["experiment"], per_group["group"], strict=True)]
    per_group[RESAMPLE_COLUMN] = RESAMPLE_LABELS[resample]
    return per_condition, per_pair, per_group


def _humans_in(pairs: pd.DataFrame, experiment: str, group: str) -> set[str]:
    """The humans of ``group``'s pairs in ``experiment``."""
    rows = pairs[(pairs["experiment"] == experiment) & (pairs["group"] == group)]
    names = set(rows["observer_1"])
    return names | set(rows["observer_2"]) if group == HUMANS else names


def _group_means(pairs: pd.DataFrame, kappas: np.ndarray, observeds: np.ndarray, *,
                 n_boot: int, rng: np.random.Generator, resample: str) -> pd.DataFrame:
    """Per experiment and group the mean over its pairs (``pairs``: one row per pair with
    its replicate vectors in ``kappas``/``observeds``, column 0 the data). Each replicate
    weights a pair by how often its humans were drawn (:func:`observer_counts`): a
    human-human pair by ``c_a c_b``, a model-human pair by ``c_h``."""
    rows = []
    for experiment, rows_e in pairs.groupby("experiment", sort=False):
        humans = sorted(set(rows_e.loc[rows_e["group"] == HUMANS, "observer_1"])
                        | set(rows_e.loc[rows_e["group"] == HUMANS, "observer_2"])
                        | set(rows_e.loc[rows_e["group"] != HUMANS, "observer_1"]))
        index = {h: i for i, h in enumerate(humans)}
        counts = observer_counts(len(humans), n_boot, rng, resample)  # (R + 1, H)
        for group, cell in rows_e.groupby("group", sort=False):
            at = cell.index.to_numpy()
            first = counts[:, [index[h] for h in cell["observer_1"]]]
            if group == HUMANS:
                weights = first * counts[:, [index[h] for h in cell["observer_2"]]]
            else:
                weights = first
            result = {"experiment": experiment, "group": group, "n_averaged": len(cell)}
            for name, values in (("error_consistency", kappas[at]),
                                 ("observed_consistency", observeds[at])):
                mean = _weighted_mean(values.T, weights)
                low, high = percentile_interval(mean[1:])
                result.update({name: mean[0], f"{name}_low": low, f"{name}_high": high})
            rows.append(result)
    columns = ["experiment", "group", "n_averaged", "error_consistency",
               "error_consistency_low", "error_consistency_high", "observed_consistency",
               "observed_consistency_low", "observed_consistency_high"]
    return pd.DataFrame(rows, columns=columns)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise mean of ``values`` (R, P) weighted by ``weights`` (R, P), NaN values left
    out; NaN where no weight remains (e.g. a replicate that drew one human only)."""
    ok = ~np.isnan(values)
    w = np.where(ok, weights, 0.0)
    total = w.sum(axis=1)
    with np.errstate(all="ignore"):
        return np.where(total > 0, (w * np.nan_to_num(values)).sum(axis=1) / total, np.nan)


def _kind(type_1: str, type_2: str) -> str:
    kinds = sorted("human" if t == HUMAN else "dnn" for t in (type_1, type_2))
    return "-".join(sorted(kinds, key=lambda k: k != "human"))


def _nan_means(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Mean of the rows of ``values`` per code, NaN (a replicate without shared images)
    left out rather than counted as 0."""
    ok = ~np.isnan(values)
    sums = np.zeros((n_groups, values.shape[1]))
    n = np.zeros_like(sums)
    np.add.at(sums, codes, np.where(ok, values, 0.0))
    np.add.at(n, codes, ok.astype(float))
    with np.errstate(all="ignore"):
        return np.where(n > 0, sums / n, np.nan)


def _average(frame: pd.DataFrame, kappas: np.ndarray, observeds: np.ndarray,
             keys: list[str], keep_replicates: bool = False):
    """Mean of the replicate rows per ``keys`` (row 0 of each replicate vector = the
    data); intervals from the remaining replicates."""
    # first-appearance order of the keys (no rows, e.g. networks only: an empty table)
    codes = frame.groupby(keys, sort=False).ngroup().to_numpy() if len(frame) else \
        np.zeros(0, dtype=np.int64)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    width = kappas.shape[1] if kappas.ndim == 2 else 1
    kappas, observeds = kappas.reshape(-1, width), observeds.reshape(-1, width)
    out_k, out_o = _nan_means(codes, n_groups, kappas), _nan_means(codes, n_groups, observeds)
    result = frame.drop_duplicates(keys)[keys].reset_index(drop=True)
    result["n_averaged"] = counts.astype(int)
    result["error_consistency"] = out_k[:, 0]
    low, high = percentile_interval(out_k[:, 1:], axis=1)
    result["error_consistency_low"], result["error_consistency_high"] = low, high
    result["observed_consistency"] = out_o[:, 0]
    low, high = percentile_interval(out_o[:, 1:], axis=1)
    result["observed_consistency_low"], result["observed_consistency_high"] = low, high
    if keep_replicates:
        return result, out_k, out_o
    return result


# -- shape bias ----------------------------------------------------------------------------
def shape_bias_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0,
                         resample: str = OBSERVERS) -> pd.DataFrame:
    """Shape bias per observer and group (``humans`` pooled too) over all classes, with a
    95 % interval: an observer's trials resampled (multinomial over shape hit / texture
    hit / neither); for the pooled ``humans`` row by default the humans are drawn with
    replacement first, then their trials (``resample="trials"``: trials within each human
    only). Column ``resampled`` says which."""
    check_resample(resample)
    rng = np.random.default_rng(seed)
    columns = ["observer", "group", "n_trials", "shape_bias", "shape_bias_low",
               "shape_bias_high", RESAMPLE_COLUMN]
    trials = cue_conflict_trials(table)
    if trials.empty:
        return pd.DataFrame(columns=columns)
    trials = with_units(trials)
    trials = trials.assign(_shape=(trials["response"] == trials["category"]).to_numpy(),
                           _texture=(trials["response"] == trials["texture"]).to_numpy())
    rows = []
    counts = trials.groupby(["group", "unit"], sort=True).agg(
        shape=("_shape", "sum"), texture=("_texture", "sum"), n=("_shape", "size"))
    if HUMANS in counts.index.get_level_values("group"):
        people = counts.loc[HUMANS]
        n = people["n"].to_numpy()
        p = np.stack([people["shape"], people["texture"],
                      n - people["shape"] - people["texture"]], axis=1) / n[:, None]
        c = observer_counts(len(n), n_boot, rng, resample)[1:]  # (R, H)
        draws = rng.multinomial((c * n).astype(np.int64), p).sum(axis=1)  # (R, 3)
        with np.errstate(all="ignore"):
            bias = draws[:, 0] / (draws[:, 0] + draws[:, 1])
        low, high = percentile_interval(bias)
        total = int(people["shape"].sum() + people["texture"].sum())
        rows.append((HUMANS, HUMANS, int(n.sum()),
                     people["shape"].sum() / total if total else math.nan, float(low),
                     float(high), RESAMPLE_LABELS[resample]))
    for (observer, group), cell in trials.groupby(["observer", "group"], sort=True):
        shape, texture, n = int(cell["_shape"].sum()), int(cell["_texture"].sum()), len(cell)
        draws = rng.multinomial(n, [shape / n, texture / n, 1 - (shape + texture) / n],
                                size=n_boot)
        with np.errstate(all="ignore"):
            bias = draws[:, 0] / (draws[:, 0] + draws[:, 1])
        low, high = percentile_interval(bias)
        total = shape + texture
        rows.append((observer, group, n, shape / total if total else math.nan,
                     float(low), float(high), "trials of this observer"))
    return pd.DataFrame(rows, columns=columns)


# -- benchmark metrics -----------------------------------------------------------------------
def _benchmark_cells(trials: pd.DataFrame):
    """Per (experiment, condition): observer names, types, the image x observer grid of
    the first trial of each image (what the consistency metrics use, as
    :func:`results.benchmark.benchmark_table`), and the correct and shown counts over
    *all* trials of each image (what OOD accuracy pools: repeats count)."""
    work = trials.assign(_who=observer_ids(trials))
    types = work.drop_duplicates("_who").set_index("_who")["observer_type"].to_dict()
    for (experiment, condition), cell in work.groupby(["experiment", "condition"],
                                                      sort=False):
        first = cell.drop_duplicates(["_who", "image_key"])
        grid = first.pivot(index="image_key", columns="_who", values="correct")
        names = sorted(grid.columns, key=lambda n: (types[n] != HUMAN, str(n)))
        grid = grid[names]
        row = pd.Index(grid.index).get_indexer(cell["image_key"])
        col = pd.Index(names).get_indexer(cell["_who"])
        shown = np.zeros(grid.shape)
        correct = np.zeros(grid.shape)
        np.add.at(shown, (row, col), 1.0)
        np.add.at(correct, (row, col), cell["correct"].to_numpy(dtype=float))
        yield experiment, condition, names, types, grid.to_numpy(dtype=float), correct, shown


BENCHMARK_METRICS = ("ood_accuracy", "accuracy_difference", "observed_consistency",
                     "error_consistency")


def benchmark_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0,
                        cutoff: float = CHANCE_CUTOFF, resample: str = OBSERVERS,
                        point: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per observer group: the benchmark metrics of :func:`results.benchmark.benchmark_table`
    (the point values *are* that function's: one computation per number) with 95 %
    intervals. Each replicate resamples the images of every included condition (jointly
    for all observers: the pairing by image is kept) and, by default (``resample=
    "observers"``), each experiment's humans with replacement (a human drawn ``c`` times
    weighs ``c`` times; pairs of two humans weigh ``c_a c_b`` and a human never pairs with
    itself). Columns ``compared_with`` (the humans, labelled where any is simulated) and
    ``resampled`` say against whom and how. ``point``: ``benchmark_table(table, cutoff)``
    where the caller has it already (the report's)."""
    check_resample(resample)
    rng = np.random.default_rng(seed)
    point = benchmark_table(table, cutoff) if point is None else point
    trials = ood_trials(table, cutoff)
    replicates = _benchmark_replicates(trials, n_boot, rng, resample)
    rows = []
    for record in point.to_dict("records"):
        group = record["observer"]
        row = {"observer": group}
        for metric in BENCHMARK_METRICS:
            values = replicates.get(group, {}).get(metric)
            low, high = (percentile_interval(values[1:]) if values is not None
                         else (math.nan, math.nan))
            row.update({metric: record[metric], f"{metric}_low": float(low),
                        f"{metric}_high": float(high)})
        row.update({count: record[count] for count in EXPERIMENT_COUNTS},
                   n_trials=record["n_trials"])
        rows.append(row)
    out = pd.DataFrame(rows, columns=["observer", *[f"{m}{s}" for m in BENCHMARK_METRICS
                                                    for s in ("", "_low", "_high")],
                                      *EXPERIMENT_COUNTS, "n_trials"])
    out["compared_with"] = point["compared_with"].to_numpy()
    out[RESAMPLE_COLUMN] = RESAMPLE_LABELS[resample]
    return out


def _benchmark_replicates(trials: pd.DataFrame, n_boot: int, rng: np.random.Generator,
                          resample: str) -> dict[str, dict[str, np.ndarray]]:
    """``group -> metric -> (n_boot + 1,)`` replicate values (index 0: the data), with
    model-vs-human's averaging: per (observer, human) the mean over conditions, then over
    humans (weighted by how often each was drawn), then over observers (for ``humans``),
    then over experiments."""
    # experiment -> group -> [correct, shown] (R+1,) per observer, and pair metrics
    pooled: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    pair_sums: dict[str, dict[str, dict[tuple[str, str], list[np.ndarray]]]] = {}
    human_names: dict[str, set[str]] = {}
    for experiment, _c, names, types, grid, correct_n, shown_n in _benchmark_cells(trials):
        weights = _weights(grid.shape[0], n_boot, rng)
        seen = ~np.isnan(grid)
        with np.errstate(all="ignore"):
            accuracy = (_count_products(weights, np.nan_to_num(grid))
                        / _count_products(weights, seen))
        correct = _count_products(weights, correct_n)  # (R + 1, O)
        shown = _count_products(weights, shown_n)
        humans = [i for i, n in enumerate(names) if types[n] == HUMAN]
        human_names.setdefault(experiment, set()).update(names[h] for h in humans)
        # every observer's pairs with the humans in one product (column p: pair p)
        all_pairs = [(i, h) for i in range(len(names)) for h in humans if h != i]
        if all_pairs:
            _, _, observed_all, kappa_all = _pair_replicates(grid, all_pairs, weights)
        first_pair = 0
        for i, name in enumerate(names):
            group = HUMANS if types[name] == HUMAN else name
            cell = pooled.setdefault(experiment, {}).setdefault(group, {})
            previous = cell.get(name, 0.0)
            cell[name] = previous + np.stack([correct[:, i], shown[:, i]])
            others = [h for h in humans if h != i]
            if not others:
                continue
            columns = slice(first_pair, first_pair + len(others))
            first_pair += len(others)
            observed, kappa = observed_all[:, columns], kappa_all[:, columns]
            diff = (accuracy[:, [i]] - accuracy[:, others]) ** 2
            store = pair_sums.setdefault(experiment, {}).setdefault(group, {})
            for h_pos, h in enumerate(others):
                store.setdefault((name, names[h]), []).append(np.stack(
                    [diff[:, h_pos], observed[:, h_pos], kappa[:, h_pos]]))
    per_experiment: dict[str, dict[str, list[np.ndarray]]] = {}
    for experiment, groups in pooled.items():
        humans = sorted(human_names.get(experiment, set()))
        index = {h: i for i, h in enumerate(humans)}
        counts = observer_counts(len(humans), n_boot, rng, resample)
        for group, observers in groups.items():
            names = sorted(observers)
            stacked = np.stack([observers[n] for n in names])  # (O, 2, R + 1)
            if group == HUMANS:
                c = counts[:, [index[n] for n in names]].T  # (O, R + 1)
                stacked = stacked * c[:, None, :]
            with np.errstate(all="ignore"):
                ood = stacked[:, 0].sum(axis=0) / stacked[:, 1].sum(axis=0)
            metrics = {"ood_accuracy": ood}
            pairs = pair_sums.get(experiment, {}).get(group)
            if pairs:
                metrics.update(_pair_average(pairs, counts, index, group == HUMANS))
            for metric, values in metrics.items():
                per_experiment.setdefault(group, {}).setdefault(metric, []).append(values)
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.errstate(all="ignore"), _quiet():
        for group, metrics in per_experiment.items():
            out[group] = {m: np.nanmean(np.stack(v), axis=0) for m, v in metrics.items()}
    return out


def _pair_average(pairs: dict[tuple[str, str], list[np.ndarray]], counts: np.ndarray,
                  index: dict[str, int], humans_group: bool) -> dict[str, np.ndarray]:
    """Accuracy difference, observed and error consistency of one group in one
    experiment: per (observer, human) the mean over conditions, then the mean over
    humans weighted by their draw counts, then (humans group) over observers, weighted
    likewise."""
    with np.errstate(all="ignore"), _quiet():
        per_pair = {key: np.nanmean(np.stack(v), axis=0) for key, v in pairs.items()}
    observers = sorted({o for o, _ in per_pair})
    per_observer, observer_weight = [], []
    for observer in observers:
        keys = [k for k in per_pair if k[0] == observer]
        values = np.stack([per_pair[k] for k in keys])  # (H, 3, R + 1)
        w = counts[:, [index[h] for _, h in keys]].T  # (H, R + 1)
        per_observer.append(np.stack([_weighted_mean(values[:, m].T, w.T)
                                      for m in range(3)]))
        observer_weight.append(counts[:, index[observer]] if humans_group
                               else np.ones(counts.shape[0]))
    values = np.stack(per_observer)  # (O, 3, R + 1)
    w = np.stack(observer_weight)  # (O, R + 1)
    mean = np.stack([_weighted_mean(values[:, m].T, w.T) for m in range(3)])
    return dict(zip(("accuracy_difference", "observed_consistency", "error_consistency"),
                    mean, strict=True))


def _quiet():
    import warnings
    context = warnings.catch_warnings()
    context.__enter__()
    warnings.simplefilter("ignore", RuntimeWarning)

    class _Exit:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            context.__exit__(*exc)
            return False

    return _Exit()


# -- noise ceilings --------------------------------------------------------------------------
def split_half_reliability(grid: np.ndarray, *, n_splits: int = 200,
                           rng: np.random.Generator | None = None) -> float:
    """Spearman-Brown corrected split-half reliability of the humans' per-image accuracy
    (``grid``: images x humans, 0/1, NaN = not seen), averaged over random splits.

    Each split puts a random half of the humans (``rng.permutation``, first ``H // 2``)
    in half A and the rest in half B; per image each half's accuracy is the mean over its
    humans who saw the image; the halves are correlated (Pearson) over the images both
    halves saw; a split with fewer than 3 such images, or a half constant over them, is
    left out. All splits at once: the halves' sums and counts are matrix products."""
    rng = np.random.default_rng(0) if rng is None else rng
    n_images, n_humans = grid.shape
    if n_humans < 2:
        return math.nan
    half = n_humans // 2
    in_a = np.zeros((n_splits, n_humans))
    for split in range(n_splits):
        in_a[split, rng.permutation(n_humans)[:half]] = 1.0
    seen = (~np.isnan(grid)).astype(float)
    right = np.nan_to_num(grid)
    with np.errstate(all="ignore"):
        a = (right @ in_a.T) / (seen @ in_a.T)  # (images, splits); NaN: no human of A
        b = (right @ (1 - in_a).T) / (seen @ (1 - in_a).T)
    ok = ~(np.isnan(a) | np.isnan(b))
    n_ok = ok.sum(axis=0)
    a, b = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
    constant = ((np.where(ok, a, -np.inf).max(axis=0) == np.where(ok, a, np.inf).min(axis=0))
                | (np.where(ok, b, -np.inf).max(axis=0)
                   == np.where(ok, b, np.inf).min(axis=0)))
    use = (n_ok >= 3) & ~constant
    if not use.any():
        return math.nan
    a, b, ok, n_ok = a[:, use], b[:, use], ok[:, use], n_ok[use]
    da = np.where(ok, a - a.sum(axis=0) / n_ok, 0.0)
    db = np.where(ok, b - b.sum(axis=0) / n_ok, 0.0)
    r = (da * db).sum(axis=0) / np.sqrt((da * da).sum(axis=0) * (db * db).sum(axis=0))
    r = np.clip(r, -1.0, 1.0)  # as numpy's corrcoef
    return float(np.mean(2 * r / (1 + r)))


def noise_ceilings(table: pd.DataFrame, per_group: pd.DataFrame | None = None, *,
                   n_boot: int = DEFAULT_BOOT, seed: int = 0, resample: str = OBSERVERS
                   ) -> pd.DataFrame:
    """Per experiment: between-human error consistency (mean over human pairs, with its
    interval) and the split-half reliability of per-image human accuracy (mean over the
    experiment's conditions)."""
    if per_group is None:
        per_group = consistency_intervals(table, n_boot=n_boot, seed=seed,
                                          resample=resample)[2]
    rng = np.random.default_rng(seed)
    reliability: dict[str, list[float]] = {}
    humans_only = table[table["observer_type"] == HUMAN]
    for experiment, _c, _names, _types, grid in _condition_grids(humans_only):
        value = split_half_reliability(grid, rng=rng)
        if not math.isnan(value):
            reliability.setdefault(experiment, []).append(value)
    rows = []
    human_rows = per_group[per_group["group"] == HUMANS] if len(per_group) else per_group
    for _, row in human_rows.iterrows():
        rel = reliability.get(row["experiment"], [])
        rows.append((row["experiment"], row["error_consistency"],
                     row["error_consistency_low"], row["error_consistency_high"],
                     float(np.mean(rel)) if rel else math.nan,
                     row.get("compared_with", HUMANS),
                     row.get(RESAMPLE_COLUMN, RESAMPLE_LABELS[OBSERVERS])))
    return pd.DataFrame(rows, columns=["experiment", "human_consistency",
                                       "human_consistency_low", "human_consistency_high",
                                       "split_half_reliability", "compared_with",
                                       RESAMPLE_COLUMN])
