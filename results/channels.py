"""The spatial-frequency channel from critical-band masking (Subramanian et al. 2023).

Per observer (each human; each network, all sessions together) and band ``k`` (noise
centred at ``1.75 * 2**k`` cycles/image):

1. the **noise threshold**: the noise SD at which accuracy falls to the criterion
   (default 50 % correct). Two methods:

   * ``psignifit`` (default): from the band's psychometric function fitted with
     psignifit 4 (:mod:`results.psychometric`; the band's four noise levels plus the
     shared noise-free control);
   * ``stepped`` (Subramanian et al.'s): the highest tested noise SD at which accuracy
     is still above the criterion (0 when only the control is; the band's largest SD
     when every level is).

2. **sensitivity** ``1 / threshold``. Thresholds are floored at half the smallest tested
   SD (0.01: an observer already below criterion at the weakest noise gets sensitivity
   100). A threshold above the largest tested SD (0.16) is *censored*: the data only say
   the sensitivity is below ``1 / 0.16``.

3. the **channel**: a Gaussian over log2 frequency, ``S(k) = P exp(-(k - mu)² /
   (2 sigma²))``, fitted by least squares on log2 sensitivity (so errors count relative
   to the sensitivity, like thresholds' errors); a censored band adds a penalty only
   when the curve rises above its bound (a one-sided, Tobit-style residual). The fit is a
   grid search over ``mu`` (-1 to 7, i.e. 0.9 to 224 c/img) and ``sigma`` (0.15 to 4
   octaves) with the best ``log2 P`` in closed form; it is vectorised over bootstrap
   replicates. Centre frequency ``1.75 * 2**mu`` cycles/image (and cycles/degree =
   cycles/image / the image's size in degrees where the viewing geometry is known),
   bandwidth ``2 sqrt(ln 4) sigma`` octaves (the full width at half maximum), peak
   sensitivity ``P``. At least two uncensored bands are needed; with only two, the
   bandwidth is bounded by the censored bands rather than measured, and its interval
   says so.

95 % intervals: a bootstrap of ``n_boot`` replicates (default 1000). ``psignifit``:
each replicate draws every band's threshold from its psignifit posterior (a parametric
bootstrap over the seven independent fits) and refits the channel; ``stepped``: each
replicate redraws every band-and-level count from a binomial with the observed
proportion and recomputes the stepped thresholds and the channel. The intervals are the
2.5 and 97.5 percentiles.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from results.psychometric import DEFAULT_CRITERION, PsychometricFit, fit_all, psychometric_data
from results.tables import HUMANS, design_for, group_order
from stimuli.manipulations.bandpass import band_centre

log = logging.getLogger(__name__)

EXPERIMENT = "critical-band"  #: the bundled design; any design with banded conditions works


def banded_experiments(names) -> list[str]:
    """The experiments among ``names`` whose design gives conditions a noise ``band``
    (critical-band masking), sorted."""
    out = []
    for name in sorted(pd.unique(pd.Series(names))):  # distinct first: a column of trials
        design = design_for(name)
        if design is not None and any("band" in design.parameters_of(c)
                                      for c in design.conditions):
            out.append(name)
    return out
FWHM_PER_SIGMA = 2.0 * math.sqrt(math.log(4.0))  #: bandwidth (octaves) = this x sigma
THRESHOLD_FLOOR = 0.01  #: half the smallest tested noise SD
METHODS = ("psignifit", "stepped")
CHANNEL_COLUMNS: tuple[str, ...] = (
    "group", "observer", "method", "criterion", "centre_cpi", "centre_cpi_low",
    "centre_cpi_high", "centre_cpd", "centre_cpd_low", "centre_cpd_high", "image_degrees",
    "geometry", "bandwidth_octaves", "bandwidth_low", "bandwidth_high", "peak_sensitivity",
    "peak_low", "peak_high", "mu", "sigma", "n_measured_bands", "identified", "n_bands",
    "n_boot", "reason",
)
BAND_COLUMNS: tuple[str, ...] = (
    "group", "observer", "method", "band", "centre_cpi", "threshold", "threshold_low",
    "threshold_high", "sensitivity", "censored", "status",
)
#: band ``status``: a threshold within the tested noise SDs, above the largest (a bound),
#: or none (the criterion not reached even at the lowest noise: no threshold, not a
#: negative SD; such a band is left out of the channel fit)
MEASURED, ABOVE_RANGE, NOT_REACHED = "measured", "above tested range", "criterion not reached"
MU_BOUNDS, SIGMA_BOUNDS = (-1.0, 7.0), (0.15, 4.0)  #: the channel search's bounds


def unidentified_reason(channel: Channel, n_measured: int, control_above: bool) -> str:
    """Why a channel cannot be known ('' when it can): the observer never exceeds the
    criterion, too few measured bands, or the fit on a bound of its search."""
    if not control_above:
        return "never above the criterion, even without noise"
    if n_measured < 3:
        return f"only {n_measured} band(s) with a measured threshold (3 needed)"
    if not np.isfinite([channel.mu, channel.sigma]).all():
        return "no fit"
    tol = 1e-6
    if min(abs(channel.mu - b) for b in MU_BOUNDS) < tol:
        return f"centre on the search bound (mu = {channel.mu:g})"
    if min(abs(channel.sigma - b) for b in SIGMA_BOUNDS) < tol:
        return f"width on the search bound (sigma = {channel.sigma:g})"
    return ""


@dataclass(frozen=True)
class Channel:
    """A fitted channel: ``S(k) = peak exp(-(k - mu)² / (2 sigma²))``, ``k`` = log2 of
    frequency / 1.75 c/img."""

    mu: float
    sigma: float
    peak_sensitivity: float

    @property
    def centre_cpi(self) -> float:
        return band_centre(0) * 2.0 ** self.mu

    @property
    def bandwidth_octaves(self) -> float:
        return FWHM_PER_SIGMA * self.sigma

    def sensitivity(self, k: np.ndarray) -> np.ndarray:
        k = np.asarray(k, dtype=float)
        return self.peak_sensitivity * np.exp(-0.5 * ((k - self.mu) / self.sigma) ** 2)


_LOG2E = math.log2(math.e)


def _grid(fine: bool) -> tuple[np.ndarray, np.ndarray]:
    mu = np.arange(MU_BOUNDS[0], MU_BOUNDS[1] + 1e-9, 0.01 if fine else 0.05)
    sigma = np.geomspace(*SIGMA_BOUNDS, 240 if fine else 64)
    m, s = np.meshgrid(mu, sigma, indexing="ij")
    return m.ravel(), s.ravel()


def fit_channels(bands: np.ndarray, sensitivity: np.ndarray, censored: np.ndarray, *,
                 fine: bool = False) -> np.ndarray:
    """Fit a channel to each row of ``sensitivity`` ``(B, K)`` (bands ``k``); ``censored``
    marks bands where the sensitivity is only an upper bound. Returns ``(B, 3)``:
    ``mu, sigma, log2 peak`` (NaN rows where fewer than two bands are uncensored).

    For every grid point ``g`` and replicate ``b`` the best log2 peak on the measured
    bands is closed-form, ``a = mean_k (y_bk - shape_gk)``; the loss is the sum of squared
    residuals on the measured bands (matrix products) plus the one-sided residuals on the
    censored ones (a loop over the bands)."""
    k = np.asarray(bands, dtype=float)
    y = np.log2(np.atleast_2d(sensitivity).astype(float))
    cens = np.broadcast_to(np.atleast_2d(censored), y.shape).astype(bool)
    meas = (~cens).astype(float)
    y0 = np.where(cens, 0.0, y)
    mu, sigma = _grid(fine)
    shape = -0.5 * _LOG2E * ((k[None, :] - mu[:, None]) / sigma[:, None]) ** 2  # (G, K)
    n = np.maximum(meas.sum(axis=1), 1.0)[:, None]  # (B, 1)
    out = np.full((y.shape[0], 3), np.nan)
    chunk = max(1, int(3e6 // shape.shape[0]))
    for lo in range(0, y.shape[0], chunk):
        m, yy, c, nn = meas[lo:lo + chunk], y0[lo:lo + chunk], cens[lo:lo + chunk], \
            n[lo:lo + chunk]
        # sums over measured bands of (shape - y) and (shape - y)²
        first = m @ shape.T - (m * yy).sum(axis=1, keepdims=True)  # (b, G)
        second = m @ (shape ** 2).T - 2.0 * (m * yy) @ shape.T + (m * yy ** 2).sum(
            axis=1, keepdims=True)
        log_peak = -first / nn
        loss = second - first ** 2 / nn
        for j in np.flatnonzero(c.any(axis=0)):
            over = log_peak + shape[None, :, j] - y[lo:lo + chunk, j:j + 1]
            loss += np.where(c[:, j:j + 1], np.maximum(over, 0.0) ** 2, 0.0)
        best = np.argmin(loss, axis=1)
        rows = np.arange(len(best))
        out[lo:lo + chunk] = np.column_stack([mu[best], sigma[best], log_peak[rows, best]])
    out[meas.sum(axis=1) < 2] = np.nan
    return out


def fit_channel(bands: np.ndarray, sensitivity: np.ndarray,
                censored: np.ndarray | None = None) -> Channel:
    """One channel: the grid optimum (the same grid as the bootstrap replicates), refined
    by a local least-squares fit when at least three bands are uncensored (with two, the
    valley of equally good fits is flat and the grid's choice is kept, as in the
    replicates).

    >>> k = np.arange(7.0)
    >>> c = fit_channel(k, 40 * np.exp(-0.5 * ((k - 3.5) / 0.6) ** 2))
    >>> round(c.mu, 3), round(c.bandwidth_octaves, 3), round(c.peak_sensitivity, 2)
    (3.5, 1.413, 40.0)
    """
    from scipy.optimize import least_squares

    k = np.asarray(bands, dtype=float)
    s = np.asarray(sensitivity, dtype=float)
    cens = np.zeros(s.shape, bool) if censored is None else np.asarray(censored, bool)
    start = fit_channels(k, s[None], cens[None])[0]
    if np.isnan(start).any():
        return Channel(math.nan, math.nan, math.nan)
    if (~cens).sum() < 3:
        return Channel(float(start[0]), float(start[1]), float(2.0 ** start[2]))
    y = np.log2(s)

    def residuals(p: np.ndarray) -> np.ndarray:
        fitted = p[2] - 0.5 * _LOG2E * ((k - p[0]) / p[1]) ** 2
        return np.where(cens, np.maximum(fitted - y, 0.0), fitted - y)

    fit = least_squares(residuals, start, bounds=([MU_BOUNDS[0], SIGMA_BOUNDS[0], -np.inf],
                                                  [MU_BOUNDS[1], SIGMA_BOUNDS[1], np.inf]))
    best = fit.x if fit.cost <= 0.5 * float((residuals(start) ** 2).sum()) else start
    return Channel(float(best[0]), float(best[1]), float(2.0 ** best[2]))


def stepped_thresholds(levels: np.ndarray, accuracy: np.ndarray,
                       criterion: float = DEFAULT_CRITERION) -> float:
    """Subramanian et al.'s threshold: the highest level whose accuracy is still above
    ``criterion`` (levels sorted ascending; 0 when only the first is; NaN when none is)."""
    above = np.flatnonzero(np.asarray(accuracy) > criterion)
    return float(np.asarray(levels)[above.max()]) if above.size else math.nan


def sensitivity_of(threshold: np.ndarray) -> np.ndarray:
    """``1 / max(threshold, 0.01)``; an infinite threshold is sensitivity 0."""
    t = np.asarray(threshold, dtype=float)
    with np.errstate(divide="ignore"):
        return 1.0 / np.maximum(np.nan_to_num(t, nan=THRESHOLD_FLOOR), THRESHOLD_FLOOR)


def censored_of(threshold: np.ndarray, top_level: float, *, inclusive: bool = False
                ) -> np.ndarray:
    """Thresholds above the largest tested level (``inclusive``: at or above it, for the
    stepped method, whose threshold is the top level when every level is above criterion)
    are censored; NaN is not."""
    t = np.asarray(threshold, dtype=float)
    top = top_level * (1 - 1e-9) if inclusive else top_level * (1 + 1e-9)
    return (t >= top) if inclusive else (t > top)


def _interval(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    low, high = np.percentile(v, [2.5, 97.5])
    return float(low), float(high)


def _bootstrap(bands: list[int], draws: np.ndarray, top_level: float, inclusive: bool
               ) -> dict[str, tuple[float, float]]:
    """Channel intervals from replicate thresholds ``(n_boot, n_bands)``."""
    fits = fit_channels(np.asarray(bands, float), sensitivity_of(draws),
                        censored_of(draws, top_level, inclusive=inclusive))
    return {
        "centre_cpi": _interval(list(band_centre(0) * 2.0 ** fits[:, 0])),
        "bandwidth_octaves": _interval(list(FWHM_PER_SIGMA * fits[:, 1])),
        "peak_sensitivity": _interval(list(2.0 ** fits[:, 2])),
    }


# -- viewing geometry ------------------------------------------------------------------------
def image_degrees_of(trial_file: str | Path) -> float | None:
    """The image's size in degrees from a session sidecar beside a trial file
    (``*_beh.json``: viewing distance, image px and the display's cm per px), or ``None``."""
    path = Path(trial_file)
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        profile = meta["display_profile"]
        cm_per_px = float(profile["width_cm"]) / float(profile["resolution"][0])
        size_cm = float(meta["image_px"]) * cm_per_px
        distance = float(meta["viewing_distance_cm"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return math.degrees(2.0 * math.atan(size_cm / (2.0 * distance)))


def _geometry(table: pd.DataFrame, experiment: str, group: str, observer: str
              ) -> tuple[float, str]:
    """Image size in degrees of a human observer's sessions (sidecar, else the design's
    nominal size); NaN for networks."""
    if group != HUMANS:
        return math.nan, "n/a"
    rows = table[(table["experiment"] == experiment) & (table["observer_type"] == "human")]
    mine = rows[(rows["observer"] == observer) | (
        rows["source_format"] + ":" + rows["observer"] == observer)]
    found = {d for f in mine["file"].astype(str).unique()
             if (d := image_degrees_of(f)) is not None}
    if len(found) == 1:
        return found.pop(), "session"
    if len(found) > 1:
        log.warning("%s: sessions with different viewing geometry; using their mean", observer)
        return float(np.mean(sorted(found))), "session (mean)"
    design = design_for(experiment)
    return (design.image_degrees, "design") if design else (math.nan, "n/a")


# -- per observer ----------------------------------------------------------------------------
def channel_tables(table: pd.DataFrame, *, method: str = "psignifit",
                   criterion: float = DEFAULT_CRITERION, n_boot: int = 1000, seed: int = 0,
                   fits: dict[tuple[str, str, str, str], PsychometricFit] | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(channels, bands)``: one row per observer (:data:`CHANNEL_COLUMNS`) and one per
    observer and band (:data:`BAND_COLUMNS`). ``fits`` may pass psignifit fits already
    made (from :func:`results.psychometric.fit_all` with the same criterion)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    trials = table[table["experiment"].isin(banded_experiments(table["experiment"]))]
    if trials.empty:
        return (pd.DataFrame(columns=list(CHANNEL_COLUMNS)),
                pd.DataFrame(columns=list(BAND_COLUMNS)))
    data = psychometric_data(trials)
    if method == "psignifit" and fits is None:
        fits = fit_all(trials, criterion=criterion)
    rng = np.random.default_rng(seed)
    channels, band_rows = [], []
    for (experiment, group, observer), cell in data.groupby(
            ["experiment", "group", "observer"], sort=False):
        bands = sorted(int(b) for b in cell["band"].unique())
        if len(bands) < 4:
            log.info("%s: only %d bands; no channel fit", observer, len(bands))
            continue
        if method == "psignifit":
            keyed = [fits.get((experiment, str(b), group, observer)) for b in bands]
            if any(f is None for f in keyed):
                continue
            thresholds = np.array([f.threshold for f in keyed])
            ci = [f.threshold_ci for f in keyed]
            pick = rng.integers(0, len(keyed[0].threshold_quantiles), (n_boot, len(bands)))
            draws = np.column_stack([f.threshold_quantiles[pick[:, i]]
                                     for i, f in enumerate(keyed)])
        else:
            thresholds, draws, ci = _stepped(cell, bands, criterion, n_boot, rng)
        top = float(cell["level"].max())
        lowest = float(cell["level"].min())
        inclusive = method == "stepped"
        # a threshold below the lowest tested noise SD (0: the control) is no threshold:
        # the observer is at or below the criterion everywhere in that band
        reached = ~(np.isnan(thresholds) | (thresholds < lowest - 1e-12))
        thresholds = np.where(reached, thresholds, np.nan)
        ci = [c if r else (math.nan, math.nan) for c, r in zip(ci, reached, strict=True)]
        draws = np.maximum(draws, lowest)
        sens = np.where(reached, sensitivity_of(thresholds), np.nan)
        cens = censored_of(thresholds, top, inclusive=inclusive)
        kept = np.flatnonzero(reached)
        kept_bands = [bands[i] for i in kept]
        if kept.size >= 2:
            channel = fit_channel(np.asarray(kept_bands, float), sens[kept], cens[kept])
            intervals = _bootstrap(kept_bands, draws[:, kept], top, inclusive)
        else:
            channel = Channel(math.nan, math.nan, math.nan)
            nan2 = (math.nan, math.nan)
            intervals = {"centre_cpi": nan2, "bandwidth_octaves": nan2,
                         "peak_sensitivity": nan2}
        n_measured = int((reached & ~cens).sum())
        control = cell[cell["level"] == lowest]
        control_above = bool(len(control)) and float(
            control["n_correct"].sum() / control["n_trials"].sum()) > criterion
        reason = unidentified_reason(channel, n_measured, control_above)
        degrees, geometry = _geometry(table, experiment, group, observer)
        cpd = channel.centre_cpi / degrees if degrees == degrees else math.nan
        low, high = intervals["centre_cpi"]
        channels.append((
            group, observer, method, criterion, channel.centre_cpi, low, high, cpd,
            low / degrees if degrees == degrees else math.nan,
            high / degrees if degrees == degrees else math.nan, degrees, geometry,
            channel.bandwidth_octaves, *intervals["bandwidth_octaves"],
            channel.peak_sensitivity, *intervals["peak_sensitivity"], channel.mu,
            channel.sigma, n_measured, reason == "", len(bands), n_boot, reason))
        for b, t, (t_low, t_high), sv, c, r in zip(bands, thresholds, ci, sens, cens,
                                                   reached, strict=True):
            status = NOT_REACHED if not r else ABOVE_RANGE if c else MEASURED
            if c:  # the data only say "above the largest tested SD"
                t, t_high = top, top
            band_rows.append((group, observer, method, b, band_centre(b), float(t),
                              float(t_low), float(t_high), float(sv), bool(c), status))
    out = pd.DataFrame(channels, columns=list(CHANNEL_COLUMNS))
    bands_out = pd.DataFrame(band_rows, columns=list(BAND_COLUMNS))
    order = {g: i for i, g in enumerate(group_order(out["group"]))} if len(out) else {}

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(_g=frame["group"].map(order))
        return frame.sort_values(["_g", "observer"], kind="stable").drop(
            columns="_g").reset_index(drop=True)

    return ordered(out), ordered(bands_out)


def _stepped(cell: pd.DataFrame, bands: list[int], criterion: float, n_boot: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list]:
    thresholds, draws, ci = [], [], []
    for b in bands:
        rows = cell[cell["band"] == str(b)].sort_values("level")
        levels = rows["level"].to_numpy(float)
        n = rows["n_trials"].to_numpy(int)
        p = rows["n_correct"].to_numpy(float) / n
        thresholds.append(stepped_thresholds(levels, p, criterion))
        replicate = rng.binomial(n, p, size=(n_boot, len(n))) / n
        above = replicate > criterion
        # highest level above criterion per replicate (NaN when none)
        last = np.where(above.any(axis=1),
                        len(levels) - 1 - np.argmax(above[:, ::-1], axis=1), -1)
        values = np.where(last >= 0, levels[np.clip(last, 0, None)], np.nan)
        draws.append(values)
        ci.append(_interval(list(values)))
    return np.asarray(thresholds), np.column_stack(draws), ci
