"""Biases vs generalisation as Gavrikov & Keuper (2024) measured them.

Their definitions, read from ``paulgavrikov/biases_vs_generalization`` (``code/plots.ipynb``
cell 0, ``code/eval_spectral.py``; their per-model table ``raw-data/benchmark.csv`` and
model groups ``raw-data/r50_categories.json``, CC BY-SA 4.0, bundled in
``shared/data/gavrikov2024/``):

* biases (six rows): ``shape-bias`` (model-vs-human cue conflict, 16 classes by the **mean**
  of the ImageNet probabilities per class); ``LF`` and ``HF``, the spectral biases: the mean
  over cut-offs c = 0.1 .. 0.5 of top-1 accuracy on ideal square FFT low-pass (high-pass)
  filtered colour images divided by clean top-1 (``metric/bandpass/LFC/<c>``, ``HFC/<c>``;
  our manipulation ``spectral-ffc``); the critical-band channel's ``bw_norm``, ``cf_norm``
  and ``pns_norm`` (bandwidth, centre frequency, peak noise sensitivity);
* targets (four columns), each the mean of its accuracies (NaN skipped): **ID** =
  ImageNet, -v2, -ReaL; **Robustness** = ImageNet-A, -C, -C-bar; **Concepts** =
  ImageNet-Sketch, -R, stylized; **Adversarial** = PGD-40 (L-inf, eps 0.5/255). The
  bias-defining sets (cue conflict, the filtered images, critical-band noise) are never
  targets;
* Spearman's rho (average ranks for ties) with its two-sided p-value; a table shows
  ``rho_shown`` = rho where p < 0.05, else 0 (NaN stays NaN: a constant column).

Subsets: ``all`` (every model in the groups file), each group, and ``not:<group>`` (all
but that group); their table's "others" is ``not:adversarial_training``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from lab.errors import LabInputError

CUTOFFS: tuple[str, ...] = ("0.1", "0.2", "0.3", "0.4", "0.5")
TARGETS: dict[str, tuple[str, ...]] = {
    "ID": ("top1_acc/imagenet", "top1_acc/imagenet-v2", "top1_acc/imagenet-real"),
    "Robustness": ("top1_acc/imagenet-a", "top1_acc/imagenet-c", "top1_acc/imagenet-cbar"),
    "Concepts": ("top1_acc/imagenet-sketch", "top1_acc/imagenet-r", "top1_acc/stylized"),
    "Adversarial": ("top1_acc/PGD-40/low",),
}
BIASES: dict[str, tuple[str, ...]] = {
    "shape-bias": ("shape-bias",),
    "LF": tuple(f"metric/bandpass/LFC/{c}" for c in CUTOFFS),
    "HF": tuple(f"metric/bandpass/HFC/{c}" for c in CUTOFFS),
    "bw_norm": ("metric/criticalband/bw_norm",),
    "cf_norm": ("metric/criticalband/cf_norm",),
    "pns_norm": ("metric/criticalband/pns_norm",),
}
#: the decision rule each measure was made with in the papers (recorded with the table)
MEASURE_RULES: dict[str, str] = {
    "shape-bias": "mean (16 classes: mean ImageNet probability per class; model-vs-human)",
    "LF": "top-1 of 1000 ImageNet classes", "HF": "top-1 of 1000 ImageNet classes",
    "bw_norm": "top-1 of 1000 ImageNet classes", "cf_norm": "top-1 of 1000 ImageNet classes",
    "pns_norm": "top-1 of 1000 ImageNet classes",
}
CORRELATION_COLUMNS = ("subset", "bias", "target", "n", "rho", "p", "rho_shown")
ALPHA = 0.05


def is_benchmark_csv(path: str | Path) -> bool:
    """A per-model table like theirs: a CSV whose header has ``model`` and a
    ``top1_acc/`` column."""
    path = Path(path)
    if not (path.is_file() and path.suffix.lower() == ".csv"):
        return False
    with path.open(encoding="utf-8", errors="replace") as f:
        header = f.readline().split(",")
    return "model" in header and any(h.startswith("top1_acc/") for h in header)


def read_benchmark(path: str | Path) -> pd.DataFrame:
    """Their per-model table -> one row per model: ``model``, the six biases, the four
    targets (definitions in the module docstring)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise LabInputError(f"{path}: not a readable CSV ({exc})") from exc
    needed = sorted({c for cols in (*TARGETS.values(), *BIASES.values()) for c in cols}
                    | {"model"})
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise LabInputError(f"{path}: no column {missing[0]!r} ({len(missing)} missing); give "
                            "a per-model table like Gavrikov & Keuper's benchmark.csv")
    out = pd.DataFrame({"model": raw["model"].astype(str)})
    for name, cols in (*BIASES.items(), *TARGETS.items()):
        out[name] = raw[list(cols)].astype(float).mean(axis=1)
    return out


def read_groups(path: str | Path) -> dict[str, list[str]]:
    """``{group: [model, ...]}`` from a JSON file."""
    path = Path(path)
    try:
        groups = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabInputError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(groups, dict) or not all(
            isinstance(v, list) and all(isinstance(m, str) for m in v) for v in groups.values()):
        raise LabInputError(f"{path}: expected {{\"group\": [\"model\", ...], ...}}")
    return {str(k): list(v) for k, v in groups.items()}


def subsets(models: pd.Series, groups: dict[str, list[str]] | None
            ) -> dict[str, pd.Series]:
    """Boolean masks over ``models``: ``all`` (the grouped models, or every model without
    groups), each group and ``not:<group>``."""
    if not groups:
        return {"all": pd.Series(True, index=models.index)}
    grouped = {m for ms in groups.values() for m in ms}
    unknown = sorted(grouped - set(models))
    if unknown:
        raise LabInputError(f"groups file names {len(unknown)} model(s) not in the table, "
                            f"e.g. {unknown[0]!r}; fix the file or the table")
    everyone = models.isin(grouped)
    out = {"all": everyone}
    for g, ms in groups.items():
        out[g] = models.isin(ms)
    for g, ms in groups.items():
        out[f"not:{g}"] = everyone & ~models.isin(ms)
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho and two-sided p (scipy; NaN pairs dropped; NaN for < 3 pairs or a
    constant column)."""
    from scipy.stats import spearmanr

    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return math.nan, math.nan
    res = spearmanr(x[ok], y[ok])
    return float(res.statistic), float(res.pvalue)


def shown(rho: float, p: float, alpha: float = ALPHA) -> float:
    """Their display rule: rho where p < alpha, 0 otherwise; NaN stays NaN."""
    if math.isnan(rho):
        return math.nan
    return rho if p < alpha else 0.0


def correlation_table(table: pd.DataFrame, groups: dict[str, list[str]] | None = None,
                      *, biases: list[str] | None = None, targets: list[str] | None = None,
                      min_n: int = 4) -> pd.DataFrame:
    """One row per (subset, bias, target): :data:`CORRELATION_COLUMNS`. ``table`` has a
    ``model`` column and one column per bias and target."""
    biases = biases or [b for b in BIASES if b in table.columns]
    targets = targets or [t for t in TARGETS if t in table.columns]
    clash = sorted(set(biases) & set(targets))
    if clash:
        raise ValueError(f"{clash[0]!r} is both a bias and a target")
    rows = []
    for name, mask in subsets(table["model"], groups).items():
        part = table[mask.to_numpy()]
        if len(part) < min_n:
            continue
        for b in biases:
            for t in targets:
                x, y = part[b].to_numpy(float), part[t].to_numpy(float)
                rho, p = spearman(x, y)
                n = int((np.isfinite(x) & np.isfinite(y)).sum())
                rows.append((name, b, t, n, rho, p, shown(rho, p)))
    return pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))


def bias_rows(table: pd.DataFrame, groups: dict[str, list[str]] | None = None
              ) -> pd.DataFrame:
    """The per-model table (biases, targets) with each model's group."""
    out = table.copy()
    if groups:
        where = {m: g for g, ms in groups.items() for m in ms}
        out = out[out["model"].isin(where)].copy()
        out.insert(1, "group", out["model"].map(where))
    return out.reset_index(drop=True)
