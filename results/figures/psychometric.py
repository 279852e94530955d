"""Figure: psignifit 4 fits (Schütt et al. 2016) per experiment and observer."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from results.figures._common import panels_of, short_label
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.psychometric import PsychometricFit, fit_axis
from results.registry import FigureInput, Panel, register_figure
from results.tables import HUMANS
from stimuli.manipulations.bandpass import band_centre

FitKey = tuple[str, str, str, str]


def psychometric_figures(fits: dict[FitKey, PsychometricFit], out_dir: str | Path,
                         simulated: dict[str, str] | None = None) -> list[Path]:
    """Per experiment (critical-band: per band), one panel per observer: proportion
    correct per level (marker area ~ trials; the trials per level in the panel's title),
    the fitted psignifit function, and the threshold at the criterion with its 95 %
    credible interval."""
    paths: list[Path] = []
    panels: dict[tuple[str, str], list[tuple[str, str, PsychometricFit]]] = {}
    for (experiment, band, group, observer), fit in fits.items():
        panels.setdefault((experiment, band), []).append((group, observer, fit))
    by_experiment: dict[str, list[tuple[str, list]]] = {}
    for (experiment, band), cells in sorted(panels.items()):
        by_experiment.setdefault(experiment, []).append((band, cells))
    for experiment, bands in by_experiment.items():
        first = bands[0][1][0][2]
        axis = first.axis or fit_axis(experiment)
        rows = [(band, cells) for band, cells in bands]
        n_obs = max(len(cells) for _, cells in rows)
        ncols = min(n_obs, 6)
        nrows = sum(math.ceil(len(cells) / ncols) for _, cells in rows)
        with style():
            fig = new_figure(2.4 * ncols, 2.1 * nrows + 0.4)
            axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
            r = 0
            for band, cells in rows:
                for i, (group, observer, fit) in enumerate(sorted(
                        cells, key=lambda c: (c[0] != HUMANS, c[1]))):
                    ax = axes[r + i // ncols, i % ncols]
                    _psychometric_panel(ax, group, observer, fit)
                    title = (short_label(observer, simulated or {}) if group == HUMANS
                             else display_name(group))
                    if band:
                        title = f"{band_centre(int(band)):g} c/img: {title}"
                    title = f"{title} ({trials_per_level(fit)})"
                    ax.set_title(title, color=colour_of(group), fontsize=7)
                    ax.set_xlabel(axis.label, fontsize=7)
                used = len(cells)
                for j in range(used, ncols * math.ceil(used / ncols)):
                    axes[r + j // ncols, j % ncols].set_visible(False)
                r += math.ceil(used / ncols)
            fig.suptitle(f"{experiment}: psignifit fits (16-AFC); threshold at "
                         f"{next(iter(fits.values())).criterion:.0%} correct with 95 % "
                         "credible interval", fontsize=8)
            fig.set_layout_engine("constrained")  # the title sits just above the panels
            paths += save(fig, out_dir, f"psychometric_{experiment}")
    return paths


def trials_per_level(fit: PsychometricFit) -> str:
    """The panel's n: ``n = 160 per level``, or ``n = 80-160 per level`` where they differ."""
    n = np.asarray(fit.n_trials, dtype=int)
    low, high = int(n.min()), int(n.max())
    return f"n = {low} per level" if low == high else f"n = {low}\u2013{high} per level"


def _psychometric_panel(ax, group: str, observer: str, fit: PsychometricFit) -> None:
    colour = colour_of(group)
    x = fit.levels
    finite = x[np.isfinite(x)]
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.05 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, 200)
    p = fit.n_correct / np.maximum(fit.n_trials, 1)
    ax.scatter(x, p, s=6 + 30 * fit.n_trials / fit.n_trials.max(), color=colour,
               marker=marker_of(group), edgecolors="0.3", linewidths=0.3, zorder=3)
    ax.plot(grid, fit.proportion_correct(grid), color=colour, linewidth=1.2)
    ax.axhline(1 / 16, color="0.6", linestyle=":", linewidth=0.8)
    if np.isfinite(fit.threshold) and lo - pad <= fit.threshold <= hi + pad:
        low, high = (np.clip(v, lo - pad, hi + pad) for v in fit.threshold_ci)
        ax.errorbar([fit.threshold], [fit.criterion],
                    xerr=[[fit.threshold - low], [high - fit.threshold]], color="0.2",
                    marker="|", capsize=2, linewidth=0.9)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(lo - pad, hi + pad)
    ax.tick_params(labelsize=6)
    ax.set_ylabel("proportion correct", fontsize=7)


@register_figure("psychometric", section="thresholds", title="Psychometric thresholds",
                 order=44, collapsed=True, needs=("psychometric_fits",))
def plot_psychometric(data: FigureInput, out_dir: Path) -> list[Panel]:
    """psignifit fits (16-AFC) per experiment and observer, threshold with its 95 %
    credible interval."""
    return panels_of(psychometric_figures(data.psychometric_fits, out_dir, data.simulated))
