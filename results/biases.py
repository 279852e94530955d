"""Biases across many networks, and whether they predict robustness (Gavrikov & Keuper
2024; Subramanian et al. 2023).

One row per network (:func:`bias_table`):

* ``shape_bias``: cue-conflict shape bias over all classes (Geirhos et al. 2019);
* ``low_pass_half_sigma`` / ``high_pass_half_sigma``: the *spectral bias*, the filter
  sigma (px) at which accuracy falls to half of its accuracy on the unfiltered control,
  linearly interpolated between the tested sigmas. A network that never halves within
  the tested range gets the strongest tested sigma as a bound (low-pass ``> 40``,
  high-pass ``< 0.4``) and ``<column>_censored`` = 1; rank correlations treat it as tied
  at the end of the range, where it belongs. A network that still recognises heavily
  low-passed images (large low-pass sigma) leans on low frequencies; one that survives
  strong high-pass filtering (small high-pass sigma) on high frequencies;
* ``lf_bias`` / ``hf_bias``: Gavrikov & Keuper's spectral biases (design ``spectral-ffc``):
  accuracy on square-FFT low- (high-) passed images divided by clean accuracy, averaged
  over the cut-offs 0.1 .. 0.5 (:mod:`results.gavrikov`);
* ``channel_centre_cpi`` / ``channel_bandwidth_octaves`` / ``channel_peak_sensitivity``:
  the critical-band channel (:mod:`results.channels`; NaN where it is not identified) and
  ``channel_pns``, Subramanian et al.'s peak noise sensitivity ``2**(A - 4)``
  (:mod:`results.subramanian`; NaN where their fit is not identified), and Gavrikov &
  Keuper's ``bw_norm`` / ``cf_norm`` / ``pns_norm``: the same fit on accuracy as percent
  of clean accuracy (:func:`results.subramanian.normalised_matrix`). All keep the
  authors' signs: a wider channel has the larger bandwidth, PNS ``2**(A - 4)`` grows with
  noise sensitivity, none is negated (their ``code/plots.ipynb`` plots the raw columns);
* ``accuracy_<experiment>``: accuracy on each distortion over its out-of-distribution
  conditions, and ``mean_ood_accuracy``, their mean (:mod:`results.benchmark`'s rules);
* with ImageNet/PGD trial files (``python -m models imagenet`` / ``adversarial``,
  :func:`lab.readers.read_imagenet_trials`): ``top1_<set>`` and Gavrikov & Keuper's
  targets ``target_ID`` / ``_Robustness`` / ``_Concepts`` / ``_Adversarial``
  (:func:`generalisation_targets`).
  The sets that define a bias (cue conflict, low-/high-pass, spectral-ffc, critical-band)
  are never robustness targets: a bias would be correlated with its own trials.

Decision rule: both papers made 16-class decisions from the mean ImageNet probability
per class (``--rule mean``; :data:`MEASURE_RULES`), so ``python -m results biases`` reads
network trials with ``mean`` unless ``--rule`` says otherwise.

:func:`bias_correlations`: Spearman rank correlation across networks of every bias with
every robustness column, with a 95 % bootstrap interval (networks resampled with
replacement, ``n_boot`` replicates, vectorised ranking). With few networks the intervals
are wide; Gavrikov & Keuper found, over 48 ResNet-50s, that no single bias predicts
robustness holistically.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from lab.readers import HUMAN
from results.benchmark import ood_trials
from results.channels import banded_experiments, channel_tables
from results.shape_bias import shape_bias
from results.tables import design_for

BIAS_COLUMNS = ("shape_bias", "low_pass_half_sigma", "high_pass_half_sigma", "lf_bias",
                "hf_bias", "channel_centre_cpi", "channel_bandwidth_octaves",
                "channel_peak_sensitivity", "channel_pns", "bw_norm", "cf_norm", "pns_norm")
#: experiments whose trials define a bias: never robustness (generalisation) targets
BIAS_DEFINING = frozenset({"cue-conflict", "low-pass", "high-pass", "spectral-ffc"})
#: the decision rule each measure was made with (Gavrikov & Keuper 2024: model-vs-human's
#: mean probability per class; Subramanian et al. 2023: ``probs1000_to_cat16``, the mean)
MEASURE_RULES = {"shape_bias": "mean", "channel": "mean", "lf_bias": "mean",
                 "hf_bias": "mean"}
DEFAULT_RULE = "mean"
#: 1 where the half sigma is a bound (never halved within the tested sigmas)
CENSORED_COLUMNS = ("low_pass_half_sigma_censored", "high_pass_half_sigma_censored")
FFC_CUTOFFS = ("0.1", "0.2", "0.3", "0.4", "0.5")
#: networks a rank correlation needs (with both the bias and the robustness value)
MIN_CORRELATION_NETWORKS = 4
#: networks a panel of the bias figure needs (with the bias and mean OOD accuracy)
MIN_FIGURE_NETWORKS = 2


def distortions(trials: pd.DataFrame) -> list[str]:
    """Experiments that measure robustness to a distortion: more than one condition in
    the data, and not one that defines a bias (:data:`BIAS_DEFINING`, banded designs)."""
    banded = set(banded_experiments(trials["experiment"])) | BIAS_DEFINING
    counts = trials.groupby("experiment")["condition"].nunique()
    return [e for e, n in counts.items() if n > 1 and e not in banded]


def ffc_bias(table: pd.DataFrame) -> pd.DataFrame:
    """``lf_bias`` and ``hf_bias`` per network from ``spectral-ffc`` trials: mean over
    c = 0.1 .. 0.5 of accuracy(lp-c or hp-c) / accuracy(clean "0"); NaN where a cut-off
    or the control is missing or clean accuracy is 0."""
    acc = _network_accuracy(table, "spectral-ffc")
    if acc.empty or "0" not in acc.columns:
        return pd.DataFrame()
    out = {}
    for column, prefix in (("lf_bias", "lp"), ("hf_bias", "hp")):
        wanted = [f"{prefix}-{c}" for c in FFC_CUTOFFS]
        if not all(w in acc.columns for w in wanted):
            continue
        clean = acc["0"].where(acc["0"] > 0)
        out[column] = acc[wanted].div(clean, axis=0).mean(axis=1, skipna=False)
    return pd.DataFrame(out)


def half_accuracy_level(levels: np.ndarray, accuracy: np.ndarray) -> float:
    """The level at which accuracy first falls to half of the first (control) level's
    accuracy, walking from the control; linear interpolation between tested levels; NaN
    when it never does (:func:`half_accuracy_bound` says what is known then).

    >>> half_accuracy_level(np.array([0, 1, 3, 5]), np.array([0.8, 0.7, 0.3, 0.1]))
    2.5
    """
    return half_accuracy_bound(levels, accuracy)[0] if _halves(accuracy) else math.nan


def _halves(accuracy: np.ndarray) -> bool:
    accuracy = np.asarray(accuracy, dtype=float)
    return bool((accuracy[1:] <= accuracy[0] / 2.0).any())


def half_accuracy_bound(levels: np.ndarray, accuracy: np.ndarray) -> tuple[float, bool]:
    """``(level, censored)``: the level of :func:`half_accuracy_level`, or, for a network
    whose accuracy never halves within the tested levels, the last (strongest) tested
    level with ``censored`` True: its half level lies beyond it (a low-pass sigma
    ``> 40``, a high-pass sigma ``< 0.4`` for the 2018 designs). NaN (not censored) only
    without a control and one more level.

    >>> half_accuracy_bound(np.array([0, 1, 3]), np.array([0.8, 0.7, 0.6]))
    (3.0, True)
    """
    levels = np.asarray(levels, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    if len(levels) < 2 or not np.isfinite(accuracy).all():
        return math.nan, False
    target = accuracy[0] / 2.0
    for i in range(1, len(levels)):
        if accuracy[i] <= target:
            a0, a1 = accuracy[i - 1], accuracy[i]
            l0, l1 = levels[i - 1], levels[i]
            if math.isinf(l0):  # high-pass: from the unfiltered control straight down
                return float(l1), False
            frac = (a0 - target) / (a0 - a1) if a0 != a1 else 1.0
            return float(l0 + frac * (l1 - l0)), False
    return float(levels[-1]), True


def _network_accuracy(table: pd.DataFrame, experiment: str) -> pd.DataFrame:
    """Accuracy per network and condition of ``experiment`` (design order)."""
    rows = table[(table["experiment"] == experiment) & (table["observer_type"] != HUMAN)]
    if rows.empty:
        return pd.DataFrame()
    design = design_for(experiment, rows["condition"].unique())
    acc = rows.groupby(["observer", "condition"])["correct"].mean().unstack()
    if design is not None:
        acc = acc[[c for c in design.conditions if c in acc.columns]]
    return acc


def spectral_bias(table: pd.DataFrame) -> pd.DataFrame:
    """``low_pass_half_sigma`` and ``high_pass_half_sigma`` per network, each with its
    ``<column>_censored`` flag (1: the network never halved within the tested sigmas, the
    value is the bound, :func:`half_accuracy_bound`)."""
    out: dict[str, dict[str, float]] = {}
    for experiment, column in (("low-pass", "low_pass_half_sigma"),
                               ("high-pass", "high_pass_half_sigma")):
        acc = _network_accuracy(table, experiment)
        if acc.empty:
            continue
        design = design_for(experiment, list(acc.columns))
        levels = np.array([design.level_of(c) for c in acc.columns])
        values = {net: half_accuracy_bound(levels, row.to_numpy())
                  for net, row in acc.iterrows()}
        out[column] = {net: v for net, (v, _) in values.items()}
        out[f"{column}_censored"] = {net: float(c) for net, (_, c) in values.items()}
    return pd.DataFrame(out)


#: Gavrikov & Keuper's four generalisation targets from our ImageNet/PGD trial files
#: (``code/plots.ipynb`` cell 0): each the mean (NaN skipped) of the sets present;
#: ImageNet-ReaL and -C-bar have no variant here, ``stylized`` is the 16-class
#: model-vs-human set (our design ``stylized``), as theirs.
TARGET_SETS: dict[str, tuple[str, ...]] = {
    "ID": ("imagenet-val", "imagenet-v2"),
    "Robustness": ("imagenet-a", "imagenet-c"),
    "Concepts": ("imagenet-sketch", "imagenet-r", "stylized"),
    "Adversarial": ("imagenet-pgd",),
}
PGD_EPS = 0.5 / 255  #: their "PGD-40/low"


def _eps_value(text: str) -> float:
    try:
        a, _, b = str(text).partition("/")
        return float(a) / float(b) if b else float(a)
    except ValueError:
        return math.nan


def generalisation_targets(imagenet: pd.DataFrame, table: pd.DataFrame | None = None
                           ) -> pd.DataFrame:
    """Per network: ``top1_<experiment>`` of each ImageNet set (the mean over its
    conditions of the per-condition top-1, so ImageNet-C is the mean over corruption x
    severity as theirs), ``top1_stylized`` from 16-class ``stylized`` trials in ``table``,
    ``top1_imagenet-pgd`` (robust accuracy at eps 0.5/255, else at the smallest eps given,
    with a warning) and ``target_<name>`` of :data:`TARGET_SETS`."""
    import logging

    per: dict[str, pd.Series] = {}
    if len(imagenet):
        rows = imagenet
        pgd = rows[rows["experiment"] == "imagenet-pgd"]
        if len(pgd):
            eps = {c: _eps_value(c) for c in pgd["condition"].unique()}
            exact = [c for c, v in eps.items() if math.isclose(v, PGD_EPS, rel_tol=1e-6)]
            chosen = exact[0] if exact else min(eps, key=lambda c: eps[c])
            if not exact:
                logging.getLogger(__name__).warning(
                    "no PGD trials at eps 0.5/255 (Gavrikov & Keuper's); Adversarial uses "
                    "eps %s", chosen)
            rows = rows[(rows["experiment"] != "imagenet-pgd") | (rows["condition"] == chosen)]
        acc = rows.groupby(["observer", "experiment", "condition"])["correct"].mean()
        acc = acc.groupby(["observer", "experiment"]).mean().unstack()
        for experiment in acc.columns:
            per[experiment] = acc[experiment]
    if table is not None and len(table) and per:
        st = table[(table["experiment"] == "stylized") & (table["observer_type"] != HUMAN)]
        if len(st):
            per["stylized"] = st.groupby("observer")["correct"].mean()
    if not per:
        return pd.DataFrame()
    out = pd.DataFrame(per)
    result = out.rename(columns={c: f"top1_{c}" for c in out.columns})
    for name, sets in TARGET_SETS.items():
        have = [s for s in sets if s in out.columns]
        if have:
            result[f"target_{name}"] = out[have].mean(axis=1, skipna=True)
    return result



def _identified_into(out: pd.DataFrame, channels: pd.DataFrame, columns: dict[str, str]
                     ) -> None:
    """``out[name] = channels[column]`` per observer for each ``name: column``, NaN where
    the channel was not identified (at chance, on a bound); nothing without rows."""
    if not len(channels):
        return
    table = channels.set_index("observer")
    identified = table["identified"].astype(bool)
    for name, column in columns.items():
        out[name] = table[column].where(identified)

def bias_table(table: pd.DataFrame, *, channel_method: str = "psignifit",
               n_boot: int = 200, imagenet: pd.DataFrame | None = None,
               channels: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per network: biases and robustness (module docstring); ``imagenet``
    (:func:`lab.readers.read_imagenet_trials`) adds the generalisation targets of
    :func:`generalisation_targets`; ``channels``: the critical-band channels already
    computed (the first table of :func:`results.channels.channel_tables`, e.g. the
    report's, fitted once), instead of fitting them here with ``channel_method``."""
    networks = sorted(table.loc[table["observer_type"] != HUMAN, "observer"].unique())
    out = pd.DataFrame(index=pd.Index(networks, name="network"))
    bias = shape_bias(table)
    if len(bias):
        overall = bias[(bias["category"] == "all") & (bias["observer"] == bias["group"])]
        out["shape_bias"] = overall.set_index("observer")["shape_bias"]
    out = out.join(spectral_bias(table))
    out = out.join(ffc_bias(table))
    if banded_experiments(table["experiment"]):
        from results.subramanian import (
            matrices_from_trials,
            normalised_matrix,
            subramanian_table,
        )
        dnn = table[table["observer_type"] != HUMAN]
        if channels is None:
            channels, _ = channel_tables(dnn, method=channel_method, n_boot=n_boot)
        _identified_into(out, channels, {"channel_centre_cpi": "centre_cpi",
                                         "channel_bandwidth_octaves": "bandwidth_octaves",
                                         "channel_peak_sensitivity": "peak_sensitivity"})
        matrices = matrices_from_trials(dnn)
        _identified_into(out, subramanian_table(matrices, group_rows=False),
                         {"channel_pns": "pns"})
        normed = subramanian_table({k: normalised_matrix(m) for k, m in matrices.items()},
                                   group_rows=False)
        _identified_into(out, normed, {"bw_norm": "bandwidth_octaves",
                                       "cf_norm": "centre_cpi", "pns_norm": "pns"})
    trials = ood_trials(table)
    trials = trials[(trials["observer_type"] != HUMAN)
                    & trials["experiment"].isin(distortions(table))]
    if len(trials):
        per = trials.groupby(["observer", "experiment"])["correct"].mean().unstack()
        for experiment in per.columns:
            out[f"accuracy_{experiment}"] = per[experiment]
        out["mean_ood_accuracy"] = per.mean(axis=1)
    if imagenet is not None and len(imagenet):
        targets = generalisation_targets(imagenet, table)
        out = out.join(targets, how="left")
    for column in BIAS_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    for column in CENSORED_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    ordered = list(BIAS_COLUMNS) + list(CENSORED_COLUMNS)
    ordered += sorted(c for c in out.columns if c.startswith("accuracy_"))
    ordered += ["mean_ood_accuracy"] if "mean_ood_accuracy" in out.columns else []
    ordered += sorted(c for c in out.columns if c.startswith("top1_"))
    ordered += [f"target_{t}" for t in TARGET_SETS if f"target_{t}" in out.columns]
    return out[ordered].astype(float).reset_index()


def plotted_biases(biases: pd.DataFrame) -> list[str]:
    """The bias columns of :func:`bias_table` that the figure plots against
    ``mean_ood_accuracy``: those :data:`MIN_FIGURE_NETWORKS` or more networks have
    together with it."""
    if "mean_ood_accuracy" not in biases.columns:
        return []
    return [b for b in BIAS_COLUMNS
            if biases[[b, "mean_ood_accuracy"]].notna().all(axis=1).sum()
            >= MIN_FIGURE_NETWORKS]


def figure_missing(biases: pd.DataFrame) -> str:
    """Why the bias figure draws nothing, in one line (lower case, no full stop): the most
    networks any bias has together with ``mean_ood_accuracy``."""
    both = 0
    if "mean_ood_accuracy" in biases.columns:
        both = max(int(biases[[b, "mean_ood_accuracy"]].notna().all(axis=1).sum())
                   for b in BIAS_COLUMNS)
    return (f"a bias against mean OOD accuracy needs {MIN_FIGURE_NETWORKS} or more networks "
            f"with both; this data has {both}")


def ood_correlations(correlations: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`bias_correlations` over all networks against
    ``mean_ood_accuracy`` (the report's table and the figure's panel titles)."""
    return correlations[(correlations["subset"] == "all")
                        & (correlations["robustness"] == "mean_ood_accuracy")]


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair of ``x`` and ``y`` ``(B, n)`` (average ranks for
    ties); NaN where a row is constant."""
    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        return (rx * ry).sum(axis=1) / np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum(axis=1))


def bias_correlations(biases: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0,
                      groups: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Spearman rho of every bias with every robustness column across networks, with its
    two-sided p-value, ``rho_shown`` (Gavrikov & Keuper's display: 0 where p >= 0.05) and
    a 95 % bootstrap interval (networks resampled). Pairs with fewer than
    :data:`MIN_CORRELATION_NETWORKS` networks having both values are left out. ``groups``
    (``{group: [network, ...]}``): the same per subset (``all``, each group,
    ``not:<group>``; :func:`results.gavrikov.subsets`)."""
    from results.gavrikov import shown, spearman, subsets

    rng = np.random.default_rng(seed)
    robustness = [c for c in biases.columns if c.startswith(("accuracy_", "target_"))
                  or c == "mean_ood_accuracy"]
    rows = []
    for subset, mask in subsets(biases["network"].astype(str), groups).items():
        part = biases[mask.to_numpy()]
        for bias in BIAS_COLUMNS:
            for target in robustness:
                both = part[[bias, target]].dropna()
                n = len(both)
                if n < MIN_CORRELATION_NETWORKS:
                    continue
                x, y = both[bias].to_numpy(float), both[target].to_numpy(float)
                rho, p = spearman(x, y)
                pick = rng.integers(0, n, size=(n_boot, n))
                reps = spearman_rows(x[pick], y[pick])
                with np.errstate(all="ignore"):
                    low, high = np.nanpercentile(reps, [2.5, 97.5])
                rows.append((subset, bias, target, n, rho, p, shown(rho, p), float(low),
                             float(high)))
    return pd.DataFrame(rows, columns=["subset", "bias", "robustness", "n_networks",
                                       "spearman_rho", "p", "rho_shown", "rho_low",
                                       "rho_high"])
