"""The critical-band channel as Subramanian et al. (2023) computed it (``--method
subramanian2023``).

Read from the authors' code (``ajaysub110/critical-band-masking``, ``analysis/analysis.py``
and ``analysis/human_analysis.ipynb``):

1. an **accuracy matrix** per observer: 5 noise SDs (0, 0.02, 0.04, 0.08, 0.16; rows) x 7
   bands (columns), percent correct. The group's matrix is the unweighted mean of its
   observers' percent matrices (not pooled trials);
2. the **threshold index** ``j`` per band: counting ``j = 0..4`` from the strongest noise
   (row ``4 - j``), the first ``j`` whose accuracy is above 50 % (strictly); ``j = 4`` when
   no row is above (so "only the noise-free images" and "never" are the same ``j``);
3. the **fit**: ``A exp(-(b - mu)² / (2 sigma²))`` to ``j`` over band index ``b = 0..6``
   (``scipy.optimize.curve_fit``, start ``(1, 0, 1)``, ``0 <= A <= 4``, trust-region);
4. **BW** ``= 2 sqrt(ln 4) sigma`` octaves, **CF** ``= 1.75 * 2**mu`` c/img, **PNS** ``=
   2**(A - 4)``.

On the authors' human group ``j = (0, 0, 0, 0, 2, 2, 0)`` this gives 1.00 octave, 39.6 c/img
and PNS 1.00 (their notebook's stored output); per observer, 1.43 ± 0.54 octave and 39.1 ±
3.0 c/img (mean ± SD, ddof 0).

What the authors' code does not do, and this module adds: ``identified`` is false, with a
``reason``, when ``j`` is the same in every band (no channel: e.g. a network at chance has
``j = 4`` everywhere and the fit runs off to a width of thousands of octaves), when the
observer never exceeds the criterion even without noise, when ``A`` sits on its lower
bound 0, when the centre lies outside the tested bands (``mu`` outside 0..6) or when the
width is not positive or wider than the tested range (6 octaves). ``A`` on its upper bound
4 is the model's ceiling (the human group's fit sits there) and is allowed.

Their per-network files (``solomon_<net>_accuracies_<time>.json`` or ``cbm_...``) hold
``{"noise<s>freq<k>": [1, 0, ...]}``; :func:`read_json_matrix` reads them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lab.errors import LabInputError

NOISE_SDS: tuple[float, ...] = (0.0, 0.02, 0.04, 0.08, 0.16)
N_BANDS = 7
THRESHOLD_ACC = 50.0  #: percent; accuracy must be strictly above it
BASE_CPI = 1.75
FWHM_PER_SIGMA = 2.0 * math.sqrt(math.log(4.0))
A_MAX = 4.0
COLUMNS: tuple[str, ...] = (
    "group", "observer", "method", "j", "A", "mu", "sigma", "bandwidth_octaves",
    "centre_cpi", "pns", "identified", "reason",
)
_KEY = re.compile(r"^noise(?P<sd>[0-9.]+)freq(?P<k>\d+)$")
_FILE = re.compile(r"^(?:solomon|cbm)_(?P<net>.+)_accuracies(?:_.*)?\.json$")


def threshold_index(matrix: np.ndarray, threshold_acc: float = THRESHOLD_ACC) -> np.ndarray:
    """``j`` per band of a ``(5, 7)`` percent matrix (rows: noise 0 .. 0.16)."""
    m = np.asarray(matrix, dtype=float)
    if m.shape != (len(NOISE_SDS), N_BANDS):
        raise ValueError(f"accuracy matrix must be 5 x 7, got {m.shape}")
    out = np.empty(N_BANDS, dtype=int)
    for b in range(N_BANDS):
        j = 0
        for j in range(len(NOISE_SDS)):
            if m[len(NOISE_SDS) - 1 - j, b] > threshold_acc:
                break
        out[b] = j
    return out


def gaussian(x: np.ndarray, a: float, mu: float, sigma: float) -> np.ndarray:
    return a * np.exp(-((x - mu) ** 2) / (2 * sigma ** 2))


@dataclass(frozen=True)
class SubramanianChannel:
    """The fit to one observer's ``j`` and what it is worth."""

    j: tuple[int, ...]
    a: float
    mu: float
    sigma: float
    identified: bool
    reason: str

    @property
    def bandwidth_octaves(self) -> float:
        return FWHM_PER_SIGMA * self.sigma

    @property
    def centre_cpi(self) -> float:
        return BASE_CPI * 2.0 ** self.mu

    @property
    def pns(self) -> float:
        return 2.0 ** (self.a - A_MAX)


def fit_j(j: np.ndarray, *, never_above: bool = False) -> SubramanianChannel:
    """The authors' fit to ``j`` (7 values). ``never_above``: the observer was at or below
    the criterion in every cell, the noise-free row included.

    >>> c = fit_j(np.array([0, 0, 0, 0, 2, 2, 0]))
    >>> f"{c.bandwidth_octaves:.2f} {c.centre_cpi:.1f} {c.pns:.2f} {c.identified}"
    '1.00 39.6 1.00 True'
    """
    from scipy.optimize import curve_fit

    j = np.asarray(j, dtype=int)
    x = np.arange(N_BANDS, dtype=float)
    try:
        (a, mu, sigma), _ = curve_fit(gaussian, x, j.astype(float), p0=[1.0, 0.0, 1.0],
                                      bounds=((0, -np.inf, -np.inf), (A_MAX, np.inf, np.inf)))
    except (RuntimeError, ValueError) as exc:
        return SubramanianChannel(tuple(int(v) for v in j), math.nan, math.nan, math.nan,
                                  False, f"the fit failed ({exc})")
    reason = ""
    if never_above:
        reason = "never above the criterion, even without noise (chance)"
    elif np.all(j == j[0]):
        reason = f"the same threshold index j = {int(j[0])} in every band: no channel"
    elif a <= 1e-6:
        reason = "amplitude A on its lower bound 0"
    elif not 0 <= mu <= N_BANDS - 1:
        reason = f"centre mu = {mu:.2f} outside the tested bands 0-6"
    elif not 0 < abs(sigma) <= N_BANDS - 1:
        reason = f"width sigma = {sigma:.3g} outside (0, 6] octaves"
    # sigma enters squared: the authors' code can return it negative; its size is the width
    return SubramanianChannel(tuple(int(v) for v in j), float(a), float(mu),
                              float(abs(sigma)), reason == "", reason)


# -- accuracy matrices --------------------------------------------------------------------
def _row_of(sd: float, where: str) -> int:
    for i, s in enumerate(NOISE_SDS):
        if abs(s - sd) < 1e-9:
            return i
    raise LabInputError(f"{where}: noise SD {sd!r} is not one of 0, 0.02, 0.04, 0.08, 0.16")


def matrix_from_lists(cells: dict[str, list], where: str) -> np.ndarray:
    """``{"noise<s>freq<k>": [0/1, ...]}`` -> ``(5, 7)`` percent matrix (a missing cell is
    NaN, which counts as not above the criterion, as the
    authors' zero-initialised matrix does)."""
    m = np.full((len(NOISE_SDS), N_BANDS), np.nan)
    for key, values in cells.items():
        match = _KEY.match(str(key))
        if match is None:
            raise LabInputError(f"{where}: key {key!r} is not noise<s>freq<k> (e.g. "
                                "noise0.02freq3); fix the file")
        k = int(match["k"])
        if k >= N_BANDS:
            raise LabInputError(f"{where}: band {k} in {key!r}; bands are 0-6")
        if not isinstance(values, list) or not values:
            raise LabInputError(f"{where}: {key!r} must be a non-empty list of 0/1")
        m[_row_of(float(match["sd"]), where), k] = 100.0 * float(np.mean(values))
    return m


def read_json_matrix(path: str | Path) -> tuple[str, np.ndarray]:
    """``(network, percent matrix)`` from one of the authors' per-network JSON files."""
    path = Path(path)
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabInputError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(cells, dict):
        raise LabInputError(f"{path}: expected an object {{'noise<s>freq<k>': [...]}}")
    match = _FILE.match(path.name)
    return (match["net"] if match else path.stem), matrix_from_lists(cells, str(path))


def is_subramanian_json(path: str | Path) -> bool:
    return bool(_FILE.match(Path(path).name))


def matrices_from_trials(table: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """``(group, observer) -> percent matrix`` from the lab's critical-band trials."""
    from results.channels import banded_experiments
    from results.psychometric import psychometric_data

    trials = table[table["experiment"].isin(banded_experiments(table["experiment"]))]
    out: dict[tuple[str, str], np.ndarray] = {}
    if trials.empty:
        return out
    data = psychometric_data(trials)
    for (group, observer), cell in data.groupby(["group", "observer"], sort=False):
        m = np.full((len(NOISE_SDS), N_BANDS), np.nan)
        for row in cell.itertuples():
            if str(row.band) == "" or int(row.band) >= N_BANDS:
                continue
            m[_row_of(float(row.level), f"observer {observer}"), int(row.band)] = (
                100.0 * row.n_correct / row.n_trials)
        out[(str(group), str(observer))] = m
    return out


def normalised_matrix(matrix: np.ndarray) -> np.ndarray:
    """Gavrikov & Keuper's ``*_norm`` (``bw_norm``, ``cf_norm``, ``pns_norm`` of their
    ``raw-data/benchmark.csv``): each cell as percent of the observer's clean accuracy (the
    mean of the noise-free row, which no band changes), so the 50 % rule asks where
    accuracy falls to half of clean. Their code for it is not published; their table
    confirms it: ``resnet50_untrained`` (at chance, clean/clean everywhere) has exactly the
    fit of ``j = 0`` in every band, (10.32 octaves, 2.9e-6 c/img, 0.0881). All NaN when
    clean accuracy is 0 or unknown."""
    m = np.asarray(matrix, dtype=float)
    clean = float(np.nanmean(m[0])) if np.isfinite(m[0]).any() else math.nan
    if not clean > 0:
        return np.full_like(m, np.nan)
    return 100.0 * m / clean


def channel_row(group: str, observer: str, matrix: np.ndarray) -> tuple:
    j = threshold_index(matrix)
    never = not np.any(np.nan_to_num(matrix, nan=0.0) > THRESHOLD_ACC)
    c = fit_j(j, never_above=never)
    return (group, observer, "subramanian2023", " ".join(map(str, c.j)), c.a, c.mu, c.sigma,
            c.bandwidth_octaves, c.centre_cpi, c.pns, c.identified, c.reason)


def subramanian_table(matrices: dict[tuple[str, str], np.ndarray], *,
                      group_rows: bool = True) -> pd.DataFrame:
    """One row per observer (:data:`COLUMNS`), and with ``group_rows`` one per group whose
    matrix is the mean of its observers' percent matrices (observer ``(group)``)."""
    rows = [channel_row(g, o, m) for (g, o), m in matrices.items()]
    if group_rows:
        groups: dict[str, list[np.ndarray]] = {}
        for (g, _), m in matrices.items():
            groups.setdefault(g, []).append(m)
        for g, ms in groups.items():
            if len(ms) > 1:
                rows.append(channel_row(g, "(group)", np.nanmean(np.stack(ms), axis=0)))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def split_json_inputs(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """``(authors' JSON files, other inputs)``: a folder holding such files is searched for
    them; one holding nothing else is not passed on to the trial readers."""
    found, rest = [], []
    for p in paths:
        if p.is_file() and is_subramanian_json(p):
            found.append(p)
        elif p.is_dir():
            mine = sorted(f for f in p.rglob("*.json") if is_subramanian_json(f))
            found.extend(mine)
            others = [f for f in p.rglob("*") if f.is_file() and f not in mine]
            if others or not mine:
                rest.append(p)
        else:
            rest.append(p)
    return found, rest


def subramanian_from_inputs(paths: list[Path], read_trials) -> pd.DataFrame:
    """The ``channels --method subramanian2023`` table from trial files and/or the
    authors' JSON files (``read_trials(paths) -> table`` reads the former)."""
    json_files, rest = split_json_inputs(paths)
    matrices: dict[tuple[str, str], np.ndarray] = {}
    if rest:
        matrices.update(matrices_from_trials(read_trials(rest)))
    for f in json_files:
        net, m = read_json_matrix(f)
        key = ("networks (Subramanian et al. 2023 files)", net)
        if key in matrices:
            net = f"{net} ({f.stem})"
        matrices[(key[0], net)] = m
    if not matrices:
        raise LabInputError("no critical-band trials and no noise<s>freq<k> JSON files in the "
                            "input; give critical-band data")
    return subramanian_table(matrices)
