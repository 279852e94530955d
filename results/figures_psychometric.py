"""Figures of the psychometric fits, the critical-band channels and the bias study.

Each function writes PNG + PDF (``results.plot_style.save``) and returns the paths.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from results.channels import FWHM_PER_SIGMA, Channel
from results.figure_registry import FigureInput, Panel, register_figure
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.psychometric import PsychometricFit, fit_axis
from results.tables import HUMANS
from stimuli.manipulations.bandpass import band_centre

FitKey = tuple[str, str, str, str]


def psychometric_figures(fits: dict[FitKey, PsychometricFit], out_dir: str | Path
                         ) -> list[Path]:
    """Per experiment (critical-band: per band), one panel per observer: proportion
    correct per level (marker area ~ trials), the fitted psignifit function, and the
    threshold at the criterion with its 95 % credible interval."""
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
                    title = display_name(observer if group == HUMANS else group)
                    if band:
                        title = f"{band_centre(int(band)):g} c/img: {title}"
                    ax.set_title(title, color=colour_of(group), fontsize=7)
                    ax.set_xlabel(axis.label, fontsize=7)
                used = len(cells)
                for j in range(used, ncols * math.ceil(used / ncols)):
                    axes[r + j // ncols, j % ncols].set_visible(False)
                r += math.ceil(used / ncols)
            fig.suptitle(f"{experiment}: psignifit fits (16-AFC); threshold at "
                         f"{next(iter(fits.values())).criterion:.0%} correct with 95 % "
                         "credible interval", fontsize=8)
            fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (2.1 * nrows + 0.4)))
            paths += save(fig, out_dir, f"psychometric_{experiment}")
    return paths


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


def channel_figure(channels: pd.DataFrame, bands: pd.DataFrame, out_dir: str | Path
                   ) -> list[Path]:
    """Noise sensitivity (1 / threshold) against band centre frequency (log axis) for
    every observer, with each fitted channel; humans in red, networks in their colours;
    censored bands as open markers. Right panel: the noise thresholds themselves."""
    if channels.empty:
        return []
    method = str(channels["method"].iloc[0])
    with style():
        fig = new_figure(9.0, 3.6)
        ax_s, ax_t = fig.subplots(1, 2)
        k = np.linspace(-0.5, 6.5, 200)
        for _, row in channels.iterrows():
            group, observer = row["group"], row["observer"]
            colour = colour_of(group)
            mine = bands[(bands["group"] == group) & (bands["observer"] == observer)]
            f = band_centre(0) * 2.0 ** mine["band"].to_numpy(float)
            cens = mine["censored"].to_numpy(bool)
            label = display_name(observer if group == HUMANS else group)
            for ax, column in ((ax_s, "sensitivity"), (ax_t, "threshold")):
                values = mine[column].to_numpy(float)
                ax.scatter(f[~cens], values[~cens], color=colour, marker=marker_of(group),
                           s=18, zorder=3)
                ax.scatter(f[cens], values[cens], facecolors="none", edgecolors=colour,
                           marker=marker_of(group), s=18, zorder=3)
            if np.isfinite(row["mu"]):
                channel = Channel(row["mu"], row["sigma"], row["peak_sensitivity"])
                fk = band_centre(0) * 2.0 ** k
                ax_s.plot(fk, channel.sensitivity(k), color=colour, linewidth=1.1,
                          label=f"{label}: {row['centre_cpi']:.0f} c/img, "
                                f"{FWHM_PER_SIGMA * row['sigma']:.2f} oct")
                ax_t.plot(fk, 1.0 / np.maximum(channel.sensitivity(k), 1e-3), color=colour,
                          linewidth=1.1)
        for ax in (ax_s, ax_t):
            ax.set_xscale("log", base=2)
            ticks = [band_centre(b) for b in range(7)]
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.set_xlabel("noise band centre (cycles/image)")
        ax_s.set_ylabel("noise sensitivity (1 / threshold SD)")
        ax_t.set_ylabel("noise threshold SD")
        ax_t.set_ylim(0, 0.3)
        ax_t.axhline(0.16, color="0.6", linestyle=":", linewidth=0.8)
        ax_s.set_title(f"critical-band channels ({method} thresholds)", fontsize=8)
        ax_t.set_title("thresholds (open: beyond the highest noise tested)", fontsize=8)
        ax_s.legend(fontsize=6, frameon=False, loc="upper left")
        fig.tight_layout()
        return save(fig, out_dir, f"channels_{method}")


def ceiling_figure(per_group: pd.DataFrame, ceilings: pd.DataFrame, out_dir: str | Path,
                   metric: str = "error_consistency") -> list[Path]:
    """Per experiment, each network's mean error consistency with the humans (95 %
    interval) against the human noise ceiling (between-human consistency, its interval
    shaded)."""
    if per_group.empty:
        return []
    experiments = sorted(per_group["experiment"].unique())
    with style():
        fig = new_figure(max(4.0, 2.6 * len(experiments)), 3.2)
        axes = np.atleast_1d(fig.subplots(1, len(experiments), squeeze=False)[0])
        for ax, experiment in zip(axes, experiments, strict=True):
            rows = per_group[(per_group["experiment"] == experiment)
                             & (per_group["group"] != HUMANS)]
            ceiling = ceilings[ceilings["experiment"] == experiment]
            if len(ceiling):
                c = ceiling.iloc[0]
                ax.axhspan(c["human_consistency_low"], c["human_consistency_high"],
                           color=colour_of(HUMANS), alpha=0.15, linewidth=0)
                ax.axhline(c["human_consistency"], color=colour_of(HUMANS), linewidth=1.2,
                           label="human ceiling (between humans)")
            x = np.arange(len(rows))
            for i, (_, row) in enumerate(rows.iterrows()):
                ax.errorbar([i], [row[metric]], yerr=[[row[metric] - row[f"{metric}_low"]],
                                                      [row[f"{metric}_high"] - row[metric]]],
                            color=colour_of(row["group"]), marker=marker_of(row["group"]),
                            capsize=3, linestyle="none")
            ax.set_xticks(x, [display_name(g) for g in rows["group"]], rotation=45,
                          ha="right", fontsize=6)
            ax.axhline(0, color="0.6", linestyle=":", linewidth=0.8)
            ax.set_xlim(-0.7, max(len(rows), 1) - 0.3)
            ax.set_title(experiment, fontsize=8)
            ax.set_ylabel("error consistency with humans (kappa)")
        axes[0].legend(fontsize=6, frameon=False, loc="upper right")
        fig.tight_layout()
        return save(fig, out_dir, "error_consistency_ceiling")


def bias_figure(biases: pd.DataFrame, correlations: pd.DataFrame, out_dir: str | Path
                ) -> list[Path]:
    """Each bias against the mean OOD accuracy across networks, one panel per bias, with
    Spearman's rho and its 95 % bootstrap interval."""
    if "mean_ood_accuracy" not in biases.columns:
        return []
    from results.biases import BIAS_COLUMNS
    present = [b for b in BIAS_COLUMNS if biases[b].notna().sum() >= 2]
    if not present:
        return []
    with style():
        fig = new_figure(2.8 * len(present), 2.9)
        axes = np.atleast_1d(fig.subplots(1, len(present), squeeze=False)[0])
        for ax, bias in zip(axes, present, strict=True):
            for _, row in biases.iterrows():
                ax.scatter(row[bias], row["mean_ood_accuracy"], color=colour_of(row["network"]),
                           marker=marker_of(row["network"]), s=24, edgecolors="0.3",
                           linewidths=0.3)
            found = correlations[(correlations["bias"] == bias)
                                 & (correlations["robustness"] == "mean_ood_accuracy")]
            title = bias.replace("_", " ")
            if len(found):
                r = found.iloc[0]
                title += (f"\nrho {r['spearman_rho']:.2f} [{r['rho_low']:.2f}, "
                          f"{r['rho_high']:.2f}], n = {r['n_networks']}")
            ax.set_title(title, fontsize=7)
            ax.set_xlabel(bias.replace("_", " "), fontsize=7)
            ax.set_ylabel("mean OOD accuracy", fontsize=7)
        fig.tight_layout()
        return save(fig, out_dir, "biases")


# -- the registered figures (``results plot --kind NAME`` and the report) -----------------
def _panels(paths: list[Path], caption: str = "") -> list[Panel]:
    """One :class:`Panel` per image (``save`` writes a PNG and a PDF of each)."""
    by_stem: dict[str, list[Path]] = {}
    for path in paths:
        by_stem.setdefault(path.stem, []).append(path)
    return [Panel(sorted(files, key=lambda p: p.suffix != ".png"), caption or stem)
            for stem, files in by_stem.items()]


def psychometric_fits(data: FigureInput) -> dict[FitKey, PsychometricFit]:
    """The psignifit fits of every parametric experiment (computed once per input)."""
    from results.psychometric import fit_all
    return data.cached("psychometric_fits", lambda: fit_all(data.table))


def consistency_interval_tables(data: FigureInput) -> tuple[pd.DataFrame, ...]:
    """Bootstrap intervals of error consistency (per condition, pair, group; computed once
    per input)."""
    from results.uncertainty import consistency_intervals
    return data.cached("consistency_intervals", lambda: consistency_intervals(data.table))


@register_figure("ceiling", section="intervals",
                 title="Uncertainty: bootstrap intervals and noise ceilings", order=42)
def plot_ceiling(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Each network's error consistency with the humans (95 % interval) against the
    human noise ceiling."""
    from results.uncertainty import noise_ceilings

    per_group = consistency_interval_tables(data)[2]
    ceilings = data.cached("noise_ceilings", lambda: noise_ceilings(data.table, per_group))
    return _panels(ceiling_figure(per_group, ceilings, out_dir),
                   "error consistency against the human ceiling")


@register_figure("psychometric", section="thresholds", title="Psychometric thresholds",
                 order=44, collapsed=True)
def plot_psychometric(data: FigureInput, out_dir: Path) -> list[Panel]:
    """psignifit fits (16-AFC) per experiment and observer, threshold with its 95 %
    credible interval."""
    return _panels(psychometric_figures(psychometric_fits(data), out_dir))


@register_figure("channels", section="channels",
                 title="Spatial-frequency channels (critical-band masking)", order=46)
def plot_channels(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Critical-band masking: per-band noise thresholds and the fitted channel."""
    from results.channels import banded_experiments, channel_tables

    if not banded_experiments(data.table["experiment"]):
        return []
    channels, bands = data.cached(
        "channel_tables", lambda: channel_tables(data.table, fits=psychometric_fits(data)))
    return _panels(channel_figure(channels, bands, out_dir), "channels")


@register_figure("biases", section="biases", title="Biases across networks", order=48)
def plot_biases(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Each bias against the mean OOD accuracy across networks, with Spearman's rho and
    its 95 % bootstrap interval."""
    from results.biases import bias_correlations, bias_table

    if not (data.table["observer_type"] != "human").any():
        return []
    frame = bias_table(data.table)
    return _panels(bias_figure(frame, bias_correlations(frame), out_dir), "biases")
