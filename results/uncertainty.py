"""Bootstrap confidence intervals for the metrics, and the human noise ceilings.

The metrics themselves are those of :mod:`results.tables`, :mod:`results.consistency`,
:mod:`results.shape_bias` and :mod:`results.benchmark`, unchanged; this module adds 95 %
percentile intervals (2.5 and 97.5 percentiles of ``n_boot`` replicates, default 1000)
and is vectorised: a replicate is a vector of resampling *weights* (how often each
trial or image is drawn), so every metric of every replicate is a matrix product.

* **accuracy** (per experiment, condition and group): trials are resampled within each
  unit (human, or network session); the resampled accuracy of a unit with ``k`` of ``n``
  correct is ``Binomial(n, k/n) / n``, exactly the distribution of the mean of ``n``
  trials drawn with replacement; the group value is the mean over units.
* **error consistency and observed consistency** (Klein et al. 2025's point: differences
  between models need intervals): per experiment and condition the *images* are
  resampled, jointly for all observers (every observer sees the same resampled images,
  so pairs that share observers stay correlated as in the data); kappa and observed
  consistency per pair and condition, their mean over conditions per pair, and the mean
  per group (``humans`` = all human pairs; a model = its pairs with every human).
* **shape bias**: cue-conflict trials resampled within each observer (and within the
  pooled humans): multinomial over shape hit / texture hit / neither.
* **benchmark metrics**: images resampled per condition as above; OOD accuracy, accuracy
  difference, observed and error consistency recomputed with model-vs-human's averaging
  (conditions, then humans, then experiments). Which conditions count (control and
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
from results.benchmark import CHANCE_CUTOFF, ood_trials
from results.consistency import observer_ids
from results.shape_bias import cue_conflict_trials
from results.tables import HUMANS, unit_table, with_units

DEFAULT_BOOT = 1000


def percentile_interval(replicates: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2.5 and 97.5 percentiles over ``axis``, ignoring NaN (NaN where all are)."""
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


# -- accuracy ------------------------------------------------------------------------------
def accuracy_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0
                       ) -> pd.DataFrame:
    """Per experiment, condition and group: accuracy (as :func:`summary_table`) with its
    95 % interval (``accuracy_low``, ``accuracy_high``)."""
    rng = np.random.default_rng(seed)
    per_unit = unit_table(table)
    n = per_unit["n_trials"].to_numpy()
    k = np.rint(per_unit["accuracy"].to_numpy() * n).astype(int)
    draws = rng.binomial(n[None, :], (k / n)[None, :], size=(n_boot, len(n))) / n
    keys = per_unit[["experiment", "condition", "group"]].astype(str).agg("\x1f".join, axis=1)
    codes, uniques = pd.factorize(keys)
    counts = np.bincount(codes)
    sums = np.zeros((n_boot, len(uniques)))
    np.add.at(sums.T, codes, draws.T)
    means = sums / counts
    low, high = percentile_interval(means)
    point = per_unit.groupby(codes)["accuracy"].mean().to_numpy()
    parts = [u.split("\x1f") for u in uniques]
    return pd.DataFrame({
        "experiment": [p[0] for p in parts], "condition": [p[1] for p in parts],
        "observer": [p[2] for p in parts], "accuracy": point, "accuracy_low": low,
        "accuracy_high": high, "n_units": counts,
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
    drawing ``n_images`` with replacement); row 0 is the data (all ones)."""
    picks = rng.integers(0, n_images, size=(n_boot, n_images))
    counts = np.zeros((n_boot + 1, n_images))
    counts[0] = 1.0
    np.add.at(counts, (np.repeat(np.arange(1, n_boot + 1), n_images), picks.ravel()), 1.0)
    return counts


def _pair_replicates(grid: np.ndarray, pairs: list[tuple[int, int]], weights: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy of both, observed consistency and kappa per replicate and pair
    ``(R, P)``, on the images both saw."""
    seen = ~np.isnan(grid)
    right = np.nan_to_num(grid) > 0.5
    i, j = (np.array(x, dtype=int) for x in zip(*pairs, strict=True))
    both = (seen[:, i] & seen[:, j]).astype(float)
    n = weights @ both
    r1 = weights @ (both * right[:, i])
    r2 = weights @ (both * right[:, j])
    r12 = weights @ (both * (right[:, i] & right[:, j]))
    observed, kappa = kappa_from_counts(r12, r1, r2, n)
    with np.errstate(all="ignore"):
        return r1 / n, r2 / n, observed, kappa


def consistency_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0
                          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(per_condition, per_pair, per_group)`` error and observed consistency with 95 %
    intervals (images resampled per condition, jointly for all observers).

    ``per_condition``: experiment, condition, observer_1, observer_2, pair, n_trials,
    error_consistency (+ ``_low``/``_high``), observed_consistency (+ interval);
    ``per_pair``: the mean over conditions per experiment and pair; ``per_group``: per
    experiment, the mean over ``humans`` pairs and over each model's pairs with humans."""
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
    if per_condition.empty:
        return per_condition, per_condition.copy(), per_condition.copy()
    kappas = np.vstack([k for k, _ in replicate_store])  # (rows, R)
    observeds = np.vstack([o for _, o in replicate_store])
    per_pair = _average(per_condition, kappas, observeds,
                        ["experiment", "observer_1", "observer_2", "pair"])
    grouped = per_condition.assign(group=np.where(
        per_condition["pair"] == "human-human", HUMANS,
        np.where(per_condition["pair"] == "human-dnn", per_condition["observer_2"], "")))
    keep = (grouped["group"] != "").to_numpy()
    # mean over conditions per pair first, then over pairs (model-vs-human's averaging)
    pair_means = _average(grouped[keep], kappas[keep], observeds[keep],
                          ["experiment", "group", "observer_1", "observer_2"],
                          keep_replicates=True)
    per_group = _average(pair_means[0], pair_means[1], pair_means[2],
                         ["experiment", "group"])
    return per_condition, per_pair, per_group


def _kind(type_1: str, type_2: str) -> str:
    kinds = sorted("human" if t == HUMAN else "dnn" for t in (type_1, type_2))
    return "-".join(sorted(kinds, key=lambda k: k != "human"))


_CONSISTENCY_VALUES = ("error_consistency", "error_consistency_low", "error_consistency_high",
                       "observed_consistency", "observed_consistency_low",
                       "observed_consistency_high")


def _average(frame: pd.DataFrame, kappas: np.ndarray, observeds: np.ndarray,
             keys: list[str], keep_replicates: bool = False):
    """Mean of the replicate rows per ``keys`` (row 0 of each replicate vector = the
    data); intervals from the remaining replicates."""
    if frame.empty:  # e.g. networks only: no pair with a human to average
        result = pd.DataFrame(columns=[*keys, "n_averaged", *_CONSISTENCY_VALUES])
        none = np.zeros((0, kappas.shape[1]))
        return (result, none, none) if keep_replicates else result
    codes, uniques = pd.factorize(frame[keys].astype(str).agg("\x1f".join, axis=1))
    counts = np.bincount(codes).astype(float)
    out_k = np.zeros((len(uniques), kappas.shape[1]))
    out_o = np.zeros_like(out_k)
    np.add.at(out_k, codes, np.nan_to_num(kappas))
    np.add.at(out_o, codes, np.nan_to_num(observeds))
    out_k /= counts[:, None]
    out_o /= counts[:, None]
    first = frame.groupby(codes, sort=True).first().sort_index()
    result = first[keys].reset_index(drop=True)
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
def shape_bias_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0
                         ) -> pd.DataFrame:
    """Shape bias per observer and group (``humans`` pooled too) over all classes, with a
    95 % interval (trials resampled within each observer, or within the pooled humans)."""
    rng = np.random.default_rng(seed)
    trials = cue_conflict_trials(table)
    if trials.empty:
        return pd.DataFrame(columns=["observer", "group", "n_trials", "shape_bias",
                                     "shape_bias_low", "shape_bias_high"])
    trials = with_units(trials)
    humans = trials[trials["group"] == HUMANS].assign(observer=HUMANS)
    rows = []
    for frame in (humans, trials):
        for (observer, group), cell in frame.groupby(["observer", "group"], sort=True):
            shape = int((cell["response"] == cell["category"]).sum())
            texture = int((cell["response"] == cell["texture"]).sum())
            n = len(cell)
            draws = rng.multinomial(n, [shape / n, texture / n, 1 - (shape + texture) / n],
                                    size=n_boot)
            with np.errstate(all="ignore"):
                bias = draws[:, 0] / (draws[:, 0] + draws[:, 1])
            low, high = percentile_interval(bias)
            total = shape + texture
            rows.append((observer, group, n, shape / total if total else math.nan,
                         float(low), float(high)))
    return pd.DataFrame(rows, columns=["observer", "group", "n_trials", "shape_bias",
                                       "shape_bias_low", "shape_bias_high"])


# -- benchmark metrics -----------------------------------------------------------------------
def benchmark_intervals(table: pd.DataFrame, *, n_boot: int = DEFAULT_BOOT, seed: int = 0,
                        cutoff: float = CHANCE_CUTOFF) -> pd.DataFrame:
    """Per observer group: the four benchmark metrics (as :func:`benchmark_table`) with
    95 % intervals, images resampled per included condition."""
    rng = np.random.default_rng(seed)
    trials = ood_trials(table, cutoff)
    metrics = ("ood_accuracy", "accuracy_difference", "observed_consistency",
               "error_consistency")
    # per group: experiment -> list of replicate vectors per (observer, human) pair metric
    store: dict[str, dict[str, dict[str, list[np.ndarray]]]] = {}
    pooled: dict[tuple[str, str], list[np.ndarray]] = {}
    for experiment, _condition, names, types, grid in _condition_grids(trials):
        weights = _weights(grid.shape[0], n_boot, rng)
        seen = ~np.isnan(grid)
        right = np.nan_to_num(grid)
        correct = weights @ right  # (R, O)
        shown = weights @ seen.astype(float)
        with np.errstate(all="ignore"):
            accuracy = correct / shown
        humans = [i for i, n in enumerate(names) if types[n] == HUMAN]
        for i, name in enumerate(names):
            group = HUMANS if types[name] == HUMAN else name
            pooled.setdefault((group, experiment), []).append(np.stack([correct[:, i],
                                                                        shown[:, i]]))
            others = [h for h in humans if h != i]
            if not others:
                continue
            _, _, observed, kappa = _pair_replicates(grid, [(i, h) for h in others], weights)
            diff = (accuracy[:, [i]] - accuracy[:, others]) ** 2
            cell = store.setdefault(group, {}).setdefault(experiment, {}).setdefault(name, {})
            for h_pos, h in enumerate(others):
                cell.setdefault(names[h], []).append(np.stack(
                    [diff[:, h_pos], observed[:, h_pos], kappa[:, h_pos]]))
    rows = []
    for group in sorted({g for g, _ in pooled}, key=lambda g: (g != HUMANS, g)):
        per_experiment = [np.stack(v).sum(axis=0) for (g, _), v in pooled.items() if g == group]
        with np.errstate(all="ignore"):
            ood = np.mean([c[0] / c[1] for c in per_experiment], axis=0)
        values = {"ood_accuracy": ood}
        if group in store:
            per_exp = []
            with np.errstate(all="ignore"), _quiet():
                for observers in store[group].values():
                    # mean over conditions per (observer, human), then over humans, then
                    # over observers, then (below) over experiments: as benchmark_table
                    per_observer = [
                        np.nanmean(np.stack([np.nanmean(np.stack(v), axis=0)
                                             for v in humans_of.values()]), axis=0)
                        for humans_of in observers.values()]
                    per_exp.append(np.nanmean(np.stack(per_observer), axis=0))
                mean = np.nanmean(np.stack(per_exp), axis=0)  # (3, R)
            values.update(accuracy_difference=mean[0], observed_consistency=mean[1],
                          error_consistency=mean[2])
        row = {"observer": group}
        for metric in metrics:
            v = values.get(metric)
            if v is None:
                row.update({metric: math.nan, f"{metric}_low": math.nan,
                            f"{metric}_high": math.nan})
                continue
            low, high = percentile_interval(v[1:])
            row.update({metric: float(v[0]), f"{metric}_low": float(low),
                        f"{metric}_high": float(high)})
        rows.append(row)
    return pd.DataFrame(rows)


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
    (``grid``: images x humans, 0/1, NaN = not seen), averaged over random splits."""
    rng = np.random.default_rng(0) if rng is None else rng
    n_humans = grid.shape[1]
    if n_humans < 2:
        return math.nan
    values = []
    for _ in range(n_splits):
        order = rng.permutation(n_humans)
        half = n_humans // 2
        with np.errstate(all="ignore"), _quiet():
            a = np.nanmean(grid[:, order[:half]], axis=1)
            b = np.nanmean(grid[:, order[half:]], axis=1)
        ok = ~(np.isnan(a) | np.isnan(b))
        if ok.sum() < 3 or a[ok].std() == 0 or b[ok].std() == 0:
            continue
        r = float(np.corrcoef(a[ok], b[ok])[0, 1])
        values.append(2 * r / (1 + r))
    return float(np.mean(values)) if values else math.nan


def noise_ceilings(table: pd.DataFrame, per_group: pd.DataFrame | None = None, *,
                   n_boot: int = DEFAULT_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per experiment: between-human error consistency (mean over human pairs, with its
    interval) and the split-half reliability of per-image human accuracy (mean over the
    experiment's conditions)."""
    if per_group is None:
        per_group = consistency_intervals(table, n_boot=n_boot, seed=seed)[2]
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
                     float(np.mean(rel)) if rel else math.nan))
    return pd.DataFrame(rows, columns=["experiment", "human_consistency",
                                       "human_consistency_low", "human_consistency_high",
                                       "split_half_reliability"])
