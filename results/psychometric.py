"""Psychometric functions fitted with psignifit 4 (Schütt, Harmeling, Macke & Wichmann
2016), the Wichmann lab's Bayesian toolbox: 16-AFC, so the guess rate is fixed at 1/16;
lapse rate and overdispersion are estimated; Gaussian (``norm``) sigmoid; psignifit's
default priors and grids.

The **threshold** is the stimulus level at which the fitted function reaches the
*criterion* proportion correct (default 0.5, i.e. 50 % correct; configurable), with the
guess and lapse rates included (psignifit's own ``threshold`` parameter is the level at
the midpoint of the *unscaled* sigmoid: about 53 % correct here). Its 95 % credible
interval is computed from psignifit's posterior grid: the criterion level of every grid
point, weighted by its posterior mass (2.5 and 97.5 percentiles). The **width** is
psignifit's (the distance between the 5 % and 95 % points of the unscaled sigmoid, in
fit units) with psignifit's 95 % credible interval.

Which experiments are parametric and on which axis they are fitted is part of each
design (``psychometric_axis``, ``psychometric_rising``: contrast on log10 of the contrast
in percent; high-pass on 1/sigma so the unfiltered control sits at 0; the others on the
design's levels). Thresholds are
reported in the design's level units (``threshold``) and on the fit axis
(``threshold_fit``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import pickle
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lab.readers import HUMAN
from results.tables import HUMANS, design_for, group_order

log = logging.getLogger(__name__)

N_CHOICES = 16  #: 16-AFC: guess rate 1/16
DEFAULT_CRITERION = 0.5
N_QUANTILES = 1000  #: posterior quantiles of the threshold kept for resampling


@dataclass(frozen=True)
class FitAxis:
    """How one experiment's levels become the fit's stimulus axis."""

    to_fit: Callable[[np.ndarray], np.ndarray]
    to_level: Callable[[np.ndarray], np.ndarray]
    decreasing: bool  #: accuracy falls as the fit value grows
    label: str


def _identity(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _reciprocal(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(x), 0.0, 1.0 / x)


def _inverse_reciprocal(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(x == 0, np.inf, 1.0 / x)


_TRANSFORMS: dict[str, tuple[Callable, Callable, str]] = {
    "linear": (_identity, _identity, "{}"),
    "log10": (np.log10, lambda x: 10.0 ** np.asarray(x, dtype=float), "log10 {}"),
    "reciprocal": (_reciprocal, _inverse_reciprocal, "1 / {}"),
}


def fit_axis(experiment: str, conditions=()) -> FitAxis | None:
    """The fit axis of ``experiment`` from its design (``psychometric_axis``,
    ``psychometric_rising``), or ``None`` when it is not parametric or has no design."""
    design = design_for(experiment, conditions)
    if design is None or not design.psychometric_axis:
        return None
    to_fit, to_level, label = _TRANSFORMS[design.psychometric_axis]
    return FitAxis(to_fit, to_level, not design.psychometric_rising,
                   label.format(design.level_label))


#: ``shown`` and ``censored`` come before the numbers: for a bound the first thing a reader
#: sees is ``> 100``, not the tested level that ``threshold`` holds
THRESHOLD_COLUMNS: tuple[str, ...] = (
    "experiment", "band", "group", "observer", "criterion", "shown", "censored", "threshold",
    "threshold_low", "threshold_high", "threshold_fit", "threshold_fit_low",
    "threshold_fit_high", "width", "width_low", "width_high", "lapse", "fit_axis",
    "n_trials", "n_levels",
)
#: ``censored`` values: the threshold is beyond the highest tested level (reported as
#: that level, shown ``> level``), before the lowest (``< level``), or the criterion is not
#: reached at any tested level where the lowest is 0 (no threshold: NaN, shown
#: ``not reached``); empty when the threshold lies within the tested levels
CENSORED_ABOVE, CENSORED_BELOW, NOT_REACHED = "above", "below", "not reached"


def bounded_threshold(threshold: float, low: float, high: float, levels: np.ndarray
                      ) -> tuple[float, float, float, str, str]:
    """A threshold (level units) and its interval kept within the tested levels:
    ``(threshold, low, high, censored, shown)``. A fit extrapolates past the tested range
    (a contrast threshold of 231 % when 100 % was the highest tested, a negative noise
    SD); what the data say there is only a bound.

    >>> bounded_threshold(2.31, 1.29, 12.78, np.array([0.01, 0.1, 1.0]))[3:]
    ('above', '> 1')
    >>> bounded_threshold(-0.03, -0.08, -0.01, np.array([0.0, 0.02, 0.16]))[3:]
    ('not reached', 'not reached')
    """
    lo, hi = float(np.min(levels)), float(np.max(levels))
    clip = (lambda v: float(min(max(v, lo), hi)) if v == v else v)  # noqa: E731
    tol = 1e-9 * max(abs(hi), 1.0)
    if math.isnan(threshold):
        return threshold, low, high, "", "n/a"
    if threshold > hi + tol:
        return hi, clip(low), hi, CENSORED_ABOVE, f"> {hi:g}"
    if threshold < lo - tol:
        if lo <= 0:
            return math.nan, math.nan, math.nan, NOT_REACHED, NOT_REACHED
        return lo, lo, clip(high), CENSORED_BELOW, f"< {lo:g}"
    return threshold, clip(low), clip(high), "", f"{threshold:.4g}"


@dataclass(frozen=True)
class PsychometricFit:
    """One psignifit fit, summarised (all values on the fit axis)."""

    criterion: float
    threshold: float  #: level where the function reaches ``criterion`` (MAP parameters)
    threshold_ci: tuple[float, float]  #: 95 % credible interval (posterior grid)
    width: float
    width_ci: tuple[float, float]
    lapse: float
    decreasing: bool
    levels: np.ndarray
    n_correct: np.ndarray
    n_trials: np.ndarray
    params: dict[str, float] = field(repr=False)  #: psignifit MAP parameters (on the
    #: fitted, increasing axis: ``-x`` for a decreasing experiment)
    #: posterior quantiles of the threshold at ``(i + 0.5) / N_QUANTILES``: draw a uniform
    #: index to sample the posterior (infinite where the criterion is never reached)
    threshold_quantiles: np.ndarray = field(repr=False)
    axis: FitAxis | None = field(default=None, repr=False)  #: set by :func:`fit_all`

    def proportion_correct(self, x: np.ndarray) -> np.ndarray:
        """The fitted function (MAP parameters) at fit-axis values ``x``."""
        x = np.asarray(x, dtype=float)
        return _sigmoid()(-x if self.decreasing else x, self.params["threshold"],
                          self.params["width"], self.params["gamma"], self.params["lambda"])


@functools.cache
def _sigmoid():
    """psignifit's Gaussian sigmoid (``norm``: threshold at the unscaled midpoint, width
    from 5 % to 95 %) with its normal cdf/ppf/pdf evaluated through ``scipy.special``
    instead of ``scipy.stats.norm``: the same functions, without the per-call overhead of
    scipy.stats that made one fit take seconds."""
    from psignifit import sigmoids
    from scipy.special import ndtr, ndtri

    class FastGaussian(sigmoids.Gaussian):
        def _ppf(self, x, loc=0, scale=1):
            return loc + scale * ndtri(x)

        def _cdf(self, x, loc=0, scale=1):
            return ndtr((np.asarray(x) - loc) / scale)

        def _pdf(self, x, loc=0, scale=1):
            z = (np.asarray(x) - loc) / scale
            return np.exp(-0.5 * z * z) / (math.sqrt(2.0 * math.pi) * scale)

    return FastGaussian(PC=0.5, alpha=0.05)


# -- psignifit's default priors, evaluated without scipy.stats' per-call overhead ------------
# psignifit evaluates its priors at every step of its Nelder-Mead search (some 200 calls per
# fit); its width prior builds a frozen ``scipy.stats.norm`` and calls its ``ppf`` four
# times per call, its lapse and overdispersion priors call ``scipy.stats.beta.pdf``: two
# thirds of a fit's search time was that overhead. The functions below are psignifit 4.3's
# default priors (``psignifit._priors``: same formulas, same constants, same order of
# operations), with the width's rescaling constants computed once and the beta density
# evaluated by the function ``scipy.stats.beta.pdf`` itself calls; they return the same
# floating-point values (tests/results/test_results_psychometric.py compares them on grids),
# so the fit is unchanged. They are passed as psignifit's ``priors`` option, which
# normalises them exactly as it normalises its defaults.
def _width_prior(alpha: float, wmin: float, wmax: float) -> Callable[[np.ndarray], np.ndarray]:
    """psignifit's default width prior (``_priors.width_prior``) for one fit."""
    import scipy.stats

    norminv = scipy.stats.norm(loc=0, scale=1).ppf
    spread = norminv(.95) - norminv(.05)  # psignifit's expression, in its order:
    rescale = norminv(1 - alpha) - norminv(alpha)  # (x * spread) / rescale

    def prior(x):
        y = x * spread / rescale
        p = np.zeros_like(x)
        p[((2 * wmin) < y) & (y < wmax)] = 1.
        left = (wmin <= y) & (y <= (2 * wmin))
        p[left] = (1 - np.cos(np.pi * (y[left] - wmin) / wmin)) / 2
        right = (wmax <= y) & (y <= (3 * wmax))
        p[right] = (1 + np.cos(np.pi / 2 * (y[right] - wmax) / wmax)) / 2
        return p

    return prior


def _beta_prior(b: float) -> Callable[[np.ndarray], np.ndarray]:
    """``scipy.stats.beta.pdf(x, 1, b)`` (psignifit's lapse, guess and overdispersion
    priors) as that function computes it for a location 0 and scale 1: the density on the
    closed support [0, 1], 0 outside it, NaN for NaN."""
    import scipy.stats

    beta = scipy.stats.beta

    def prior(x):
        x = np.asarray(x, dtype=np.promote_types(np.asarray(x).dtype, np.float64))
        inside = (x >= 0.0) & (x <= 1.0)
        out = np.zeros(x.shape)
        out[np.isnan(x)] = np.nan
        if inside.any():
            out[inside] = beta._pdf(x[inside], 1.0, float(b))
        return out[()] if out.ndim == 0 else out

    return prior


def default_priors(levels: np.ndarray, *, width_alpha: float = 0.05, beta_prior: float = 10
                   ) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """psignifit 4.3's default priors for data at ``levels`` (stimulus range = the tested
    levels, minimal width = the smallest step between them), evaluated fast (see above)."""
    from psignifit._priors import threshold_prior

    levels = np.asarray(levels, dtype=float)
    low, high = levels.min(), levels.max()
    width_min = np.diff(np.unique(levels)).min()
    return {
        "threshold": functools.partial(threshold_prior, stimulus_range=(low, high)),
        "width": _width_prior(width_alpha, width_min, high - low),
        "lambda": _beta_prior(10),
        "gamma": _beta_prior(10),
        "eta": _beta_prior(beta_prior),
    }


def criterion_level(criterion: float, threshold: np.ndarray, width: np.ndarray,
                    gamma: np.ndarray | float, lapse: np.ndarray) -> np.ndarray:
    """Stimulus level where the increasing ``gamma + (1 - gamma - lapse) * F`` equals
    ``criterion`` (vectorised over parameter arrays): ``-inf`` where the function is
    always above it, ``+inf`` where it never reaches it."""
    threshold, width, lapse = np.broadcast_arrays(np.asarray(threshold, float),
                                                  np.asarray(width, float),
                                                  np.asarray(lapse, float))
    q = (criterion - gamma) / (1.0 - gamma - lapse)
    out = np.empty(threshold.shape)
    low, high = q <= 0, q >= 1
    ok = ~(low | high)
    out[ok] = _sigmoid().inverse(q[ok], threshold[ok], width[ok])
    out[low] = -np.inf
    out[high] = np.inf
    return out


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs: np.ndarray
                        ) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order])
    cdf /= cdf[-1]
    index = np.searchsorted(cdf, probs, side="left").clip(0, len(order) - 1)
    return values[order][index]


def fit_psychometric(levels: np.ndarray, n_correct: np.ndarray, n_trials: np.ndarray, *,
                     decreasing: bool, criterion: float = DEFAULT_CRITERION,
                     n_choices: int = N_CHOICES) -> PsychometricFit:
    """Fit one psychometric function with psignifit 4 (``nAFC``, guess rate ``1/n_choices``).

    A decreasing function (accuracy falls as the level grows) is fitted as an increasing
    one on the negated axis: psignifit 4.3's ``neg_`` sigmoids flip the whole scaled
    function, which would put the guess rate at the top and the lapse at the bottom.

    >>> import numpy as np
    >>> fit = fit_psychometric(np.array([0, .02, .04, .08, .16]), np.array([60, 58, 40, 8, 4]),
    ...                        np.full(5, 64), decreasing=True)
    >>> 0.04 < fit.threshold < 0.08
    True
    """
    import psignifit

    gamma = 1.0 / n_choices
    if not gamma < criterion < 1.0:
        raise ValueError(f"criterion must lie between the guess rate {gamma:g} and 1, "
                         f"got {criterion}")
    levels = np.asarray(levels, dtype=float)
    sign = -1.0 if decreasing else 1.0
    data = np.column_stack([sign * levels, np.asarray(n_correct, float),
                            np.asarray(n_trials, float)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = psignifit.psignifit(data, experiment_type=f"{n_choices}AFC",
                                     sigmoid=_sigmoid(), verbose=False, debug=True,
                                     priors=default_priors(data[:, 0]))
    params = dict(result.parameter_estimate_MAP)
    grid = result.parameter_values
    names = sorted(grid)
    mesh = dict(zip(names, np.meshgrid(*(grid[n] for n in names), indexing="ij"),
                    strict=True))
    posterior = np.asarray(result.debug["posteriors"], dtype=float)
    keep = posterior > posterior.max() * 1e-9
    values = sign * criterion_level(criterion, mesh["threshold"][keep], mesh["width"][keep],
                                    gamma, mesh["lambda"][keep])
    weights = posterior[keep]
    probs = np.concatenate([[0.025, 0.975], (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES])
    low, high, *rest = _weighted_quantiles(values, weights, probs)
    quantiles = np.asarray(rest)
    estimate = sign * float(criterion_level(criterion, params["threshold"], params["width"],
                                            gamma, params["lambda"]))
    width_ci = result.confidence_intervals["width"]["0.95"]
    return PsychometricFit(
        criterion=criterion, threshold=estimate, threshold_ci=(float(low), float(high)),
        width=float(params["width"]), width_ci=(float(width_ci[0]), float(width_ci[1])),
        lapse=float(params["lambda"]), decreasing=decreasing, levels=levels,
        n_correct=np.asarray(n_correct), n_trials=np.asarray(n_trials), params=params,
        threshold_quantiles=quantiles)


# -- over a record table ---------------------------------------------------------------------
def fit_units(table: pd.DataFrame) -> pd.DataFrame:
    """``group`` (``humans`` or the model) and ``observer`` per trial: each human (prefixed
    by the data set when several are read together) and each network (all its sessions)."""
    human = (table["observer_type"] == HUMAN).to_numpy()
    several = table.loc[human, "source_format"].nunique() > 1
    observer = table["observer"].astype(object).to_numpy().copy()
    if several:
        observer[human] = (table.loc[human, "source_format"] + ":"
                           + table.loc[human, "observer"]).to_numpy()
    group = np.where(human, HUMANS, table["observer"].to_numpy(dtype=object))
    return table.assign(group=group, fit_observer=observer)


def band_of(experiment: str, condition: str) -> str:
    """The noise band (``"0"`` .. ``"6"``) of a condition, from the design's parameters
    (``band``, ``noise_sd``); ``""`` for a noise-free condition (the critical-band control,
    shared by every band) and for experiments without bands."""
    design = design_for(experiment)
    if design is None or condition not in design.conditions:
        return ""
    parameters = design.parameters_of(condition)
    if "band" not in parameters or not parameters.get("noise_sd", 0) > 0:
        return ""
    return str(parameters["band"])


def psychometric_data(table: pd.DataFrame) -> pd.DataFrame:
    """Counts per experiment, band, observer and level for every parametric experiment:
    columns ``experiment, band, group, observer, condition, level, x, n_correct,
    n_trials``. A critical-band observer's control trials are counted in every band."""
    rows = []
    work = fit_units(table)
    for experiment, trials in work.groupby("experiment", sort=True):
        design = design_for(experiment, trials["condition"].unique())
        axis = fit_axis(experiment, trials["condition"].unique())
        if design is None or axis is None:
            continue
        counts = trials.groupby(["group", "fit_observer", "condition"], sort=False)[
            "correct"].agg(n_correct="sum", n_trials="size").reset_index()
        counts = counts[counts["condition"].isin(design.conditions)]
        counts["level"] = counts["condition"].map(design.level_of)
        counts["x"] = axis.to_fit(counts["level"].to_numpy())
        counts["band"] = [band_of(experiment, c) for c in counts["condition"]]
        if counts["band"].ne("").any():  # a banded design: the control joins every band
            control = counts[counts["band"] == ""]
            bands = sorted(set(counts["band"]) - {""})
            counts = pd.concat([counts[counts["band"] != ""]]
                               + [control.assign(band=b) for b in bands], ignore_index=True)
        rows.append(counts.assign(experiment=experiment))
    if not rows:
        return pd.DataFrame(columns=["experiment", "band", "group", "observer", "condition",
                                     "level", "x", "n_correct", "n_trials"])
    out = pd.concat(rows, ignore_index=True).rename(columns={"fit_observer": "observer"})
    return out[["experiment", "band", "group", "observer", "condition", "level", "x",
                "n_correct", "n_trials"]]


def fit_all(table: pd.DataFrame, *, criterion: float = DEFAULT_CRITERION,
            workers: int | None = None) -> dict[tuple[str, str, str, str], PsychometricFit]:
    """A fit per (experiment, band, group, observer) with at least 3 levels.

    The fits are independent, so they run in ``workers`` processes (default: one per core
    this process may use, :func:`available_cores`; 1: all in this process). Each fit is
    the same computation wherever it runs, so the result does not depend on ``workers``."""
    data = psychometric_data(table)
    jobs: list[tuple[tuple[str, str, str, str], FitAxis, tuple]] = []
    for key, cell in data.groupby(["experiment", "band", "group", "observer"], sort=True):
        cell = cell.sort_values("x")
        if cell["x"].nunique() < 3:
            log.info("%s: fewer than 3 levels; no psychometric fit", "/".join(key))
            continue
        axis = fit_axis(key[0], cell["condition"].unique())
        jobs.append((key, axis, (cell["x"].to_numpy(), cell["n_correct"].to_numpy(),
                                 cell["n_trials"].to_numpy(), axis.decreasing, criterion)))
    results = _run_fits([args for _, _, args in jobs], workers)
    return {key: dataclasses.replace(fit, axis=axis)
            for (key, axis, _), fit in zip(jobs, results, strict=True)}


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity; 2 on CI)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: fewer fits than this per extra process and starting one (an interpreter importing
#: numpy, pandas and psignifit: about a second) costs more than it saves
MIN_FITS_PER_WORKER = 6


def _fit_job(args: tuple) -> PsychometricFit:
    levels, n_correct, n_trials, decreasing, criterion = args
    return fit_psychometric(levels, n_correct, n_trials, decreasing=decreasing,
                            criterion=criterion)


def _run_fits(jobs: list[tuple], workers: int | None) -> list[PsychometricFit]:
    """:func:`fit_psychometric` for every job, in order: in ``workers`` processes when
    there are enough fits to pay for starting them, else here.

    The processes are fresh interpreters (``python -c``, jobs in and fits out as pickles
    over their standard streams), not ``multiprocessing``: its ``spawn`` and
    ``forkserver`` re-run the caller's main script in every process (a script without an
    ``if __name__ == "__main__"`` guard would run twice), and ``fork`` copies a process
    that holds pyarrow's threads (Python 3.12 warns about it). Job ``i`` goes to process
    ``i % workers``. A process that fails (killed, out of memory) leaves its jobs to be
    fitted here, with a warning."""
    workers = available_cores() if workers is None else workers
    workers = min(workers, len(jobs) // MIN_FITS_PER_WORKER)
    if workers <= 1:
        return [_fit_job(job) for job in jobs]
    root = str(Path(__file__).resolve().parents[1])  # this checkout's ``results``
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    chunks = [list(range(w, len(jobs), workers)) for w in range(workers)]
    try:
        processes = [subprocess.Popen(
            [sys.executable, "-c",
             "from results.psychometric import _serve_fits; _serve_fits()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for _ in chunks]
    except OSError as error:  # no interpreter to start: fit here
        log.warning("cannot start fitting processes (%s); fitting here", error)
        return [_fit_job(job) for job in jobs]
    results: list[PsychometricFit | None] = [None] * len(jobs)

    def exchange(process: subprocess.Popen, chunk: list[int]) -> None:
        out, err = process.communicate(pickle.dumps([jobs[i] for i in chunk]))
        try:
            if process.returncode != 0:
                raise RuntimeError(f"exit {process.returncode}")
            for i, fit in zip(chunk, pickle.loads(out), strict=True):
                results[i] = fit
        except Exception as error:  # noqa: BLE001 - any failure: fit those jobs here
            log.warning("a fitting process failed (%s: %s); fitting its %d jobs here",
                        error, err.decode(errors="replace").strip()[-300:], len(chunk))

    threads = [threading.Thread(target=exchange, args=pair)
               for pair in zip(processes, chunks, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [fit if fit is not None else _fit_job(jobs[i]) for i, fit in enumerate(results)]


def _serve_fits() -> None:
    """A fitting process (:func:`_run_fits`): a pickled list of jobs on standard input,
    the pickled list of fits on standard output."""

    jobs = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps([_fit_job(job) for job in jobs]))
    sys.stdout.buffer.flush()


def threshold_table(fits: dict[tuple[str, str, str, str], PsychometricFit]) -> pd.DataFrame:
    """One row per fit (columns :data:`THRESHOLD_COLUMNS`), humans first."""
    rows = []
    for (experiment, band, group, observer), fit in fits.items():
        axis = fit.axis or fit_axis(experiment)
        ends = axis.to_level(np.array([fit.threshold, *fit.threshold_ci]))
        low, high = sorted(ends[1:])
        tested = axis.to_level(np.asarray(fit.levels, dtype=float))
        value, low, high, censored, shown = bounded_threshold(
            float(ends[0]), float(low), float(high), tested)
        rows.append({  # by name: the column order is THRESHOLD_COLUMNS's alone
            "experiment": experiment, "band": band, "group": group, "observer": observer,
            "criterion": fit.criterion, "shown": shown, "censored": censored,
            "threshold": value, "threshold_low": low, "threshold_high": high,
            "threshold_fit": fit.threshold, "threshold_fit_low": fit.threshold_ci[0],
            "threshold_fit_high": fit.threshold_ci[1], "width": fit.width,
            "width_low": fit.width_ci[0], "width_high": fit.width_ci[1],
            "lapse": fit.lapse, "fit_axis": axis.label,
            "n_trials": int(fit.n_trials.sum()), "n_levels": len(fit.levels)})
    frame = pd.DataFrame(rows, columns=list(THRESHOLD_COLUMNS))
    if frame.empty:
        return frame
    order = {g: i for i, g in enumerate(group_order(frame["group"]))}
    frame["_g"] = frame["group"].map(order)
    frame["_b"] = pd.to_numeric(frame["band"], errors="coerce").fillna(-1)
    frame["_h"] = frame["observer"] != HUMANS
    frame = frame.sort_values(["experiment", "_b", "_g", "observer"], kind="stable")
    return frame.drop(columns=["_g", "_b", "_h"]).reset_index(drop=True)


def is_finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))
