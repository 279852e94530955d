"""The gamma fit (PsychoPy's ``GammaCalculator``) and its plot (matplotlib, no pyplot).

``GammaCalculator(inputs, lums, eq=1)`` fits ``lum = a + (b * x) ** gamma`` with
``a = min`` (the black reading) and ``b = (max - a) ** (1 / gamma)`` (``max`` = the white
reading) to levels on 0..255; the fit's rms is computed here from PsychoPy's own
``gammaFun`` so the number describes exactly the curve PsychoPy will linearise with.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from psychopy.monitors import GammaCalculator, gammaFun

from experiment.files.calibration import Calibration, Readings


@dataclass(frozen=True)
class GammaFit:
    gamma: float
    min_cd_m2: float
    max_cd_m2: float
    rms_cd_m2: float

    def curve(self, levels_255: np.ndarray) -> np.ndarray:
        """Fitted luminance at ``levels_255`` (0..255)."""
        x = np.asarray(levels_255, float) / 255.0
        return np.asarray(gammaFun(x, self.min_cd_m2, self.max_cd_m2, self.gamma, eq=1))


def fit_gamma(readings: Readings) -> GammaFit:
    """Fit min, max and gamma to ``readings`` (eq=1 on 0..255 inputs)."""
    calc = GammaCalculator(inputs=list(readings.levels), lums=list(readings.luminance), eq=1)
    gamma = float(np.ravel(calc.gamma)[0])
    fit = GammaFit(gamma=gamma, min_cd_m2=float(calc.min), max_cd_m2=float(calc.max),
                   rms_cd_m2=0.0)
    residual = fit.curve(np.asarray(readings.levels)) - np.asarray(readings.luminance)
    rms = float(np.sqrt(np.mean(residual ** 2)))
    return GammaFit(gamma, fit.min_cd_m2, fit.max_cd_m2, rms)


def make_calibration(readings: Readings, fit: GammaFit, *, plot: str | None = None,
                     when: _dt.datetime | None = None, warnings: list[str] | None = None
                     ) -> Calibration:
    """The record stored in the profile (``warnings``: default the readings')."""
    when = when or _dt.datetime.now().astimezone()
    return Calibration(
        date=when.isoformat(timespec="seconds"), gamma=round(fit.gamma, 4),
        min_cd_m2=fit.min_cd_m2, max_cd_m2=fit.max_cd_m2,
        rms_cd_m2=round(fit.rms_cd_m2, 6), levels=list(readings.levels),
        luminance_cd_m2=list(readings.luminance),
        source=(readings.source if readings.source == "typed"
                else str(Path(readings.source).resolve())), plot=plot,
        warnings=list(readings.warnings if warnings is None else warnings))


def plot_fit(readings: Readings, fit: GammaFit, path: Path, *, title: str) -> Path:
    """Readings as points, the fitted curve as a line, gamma in the legend (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.linspace(0, 255, 256)
    ax.plot(x, fit.curve(x), "-", color="tab:blue",
            label=f"fit: gamma {fit.gamma:.3f} (rms {fit.rms_cd_m2:.3g} cd/m²)")
    ax.plot(readings.levels, readings.luminance, "o", color="black",
            label=f"readings ({len(readings.levels)} levels)")
    ax.set_xlabel("grey level (0..255)")
    ax.set_ylabel("luminance (cd/m²)")
    ax.set_xlim(0, 255)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
