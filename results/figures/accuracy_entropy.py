"""Figure: accuracy and response entropy against signal strength (Geirhos et al. 2018,
figure 3), drawn from :func:`results.tables.summary_table`."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from results.figures._common import (
    axis_for,
    experiment_order,
    fewest_trials,
    mark_low_n,
    n_text,
    offsets,
)
from results.intervals import MIN_TRIALS_PER_POINT, too_few
from results.observers import group_names
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure
from results.tables import group_order, summary_table

log = logging.getLogger(__name__)


def figure3_points(table: pd.DataFrame) -> pd.DataFrame:
    """What figure 3 plots: :func:`results.tables.summary_table` (one row per experiment,
    condition and observer group; mean over units, their range, trials pooled, the 95 %
    Wilson interval) with the range of the entropy over units as well."""
    return summary_table(table, entropy_range=True)


def figure3(table: pd.DataFrame, out_dir: str | Path,
            names: dict[str, str] | None = None) -> list[Panel]:
    """Accuracy and response entropy against signal strength, one panel per experiment,
    humans beside each network; bars: within-observer 95 % Wilson interval of the pooled
    trials (between-observer variance left out: ``results intervals`` resamples observers);
    band: range over observers (humans) or sessions (networks) where a group has several; under
    each tick the trials per point. Experiments with a single condition are left out."""
    points = figure3_points(table)
    experiments = [e for e in experiment_order(points["experiment"].unique())
                   if points.loc[points["experiment"] == e, "condition"].nunique() > 1]
    if not experiments:
        log.info("figure 3: no experiment with more than one condition; skipped")
        return []
    names = names if names is not None else group_names(table)
    groups = group_order(points["observer"])
    several = bool((points["n_observers"] > 1).any())
    shown = points[points["experiment"].isin(experiments)]
    min_n = fewest_trials(shown["n_trials"])
    n_values = shown.groupby("observer")["n_trials"].agg(["min", "max"])
    constant_n = {g for g in groups if n_values.at[g, "min"] == n_values.at[g, "max"]}

    def n_label(group: str) -> str:
        low, high = int(n_values.at[group, "min"]), int(n_values.at[group, "max"])
        return f"n={low} per point" if low == high else f"n={low}-{high}, see the panels"

    panels: list[Panel] = []
    for metric, label, top, reference, ref_text in (
        ("accuracy", "classification accuracy", 1.0, 1 / 16, "chance (1/16)"),
        ("entropy", "response entropy (bits)", 4.0, 4.0, "maximum (4 bits)"),
    ):
        ncols = min(4, len(experiments))
        nrows = math.ceil(len(experiments) / ncols)
        height = 2.6 * nrows + 0.9
        with style():
            fig = new_figure(max(2.8 * ncols, 6.0), height)
            axes = fig.subplots(nrows, ncols, squeeze=False)
            for ax, experiment in zip(axes.flat, experiments, strict=False):
                rows = points[points["experiment"] == experiment]
                ordered, ticks, xlabel = axis_for(experiment, list(rows["condition"].unique()))
                x = np.arange(len(ordered))
                present = [g for g in groups if (rows["observer"] == g).any()]
                # n constant within this panel: said once under its title (legend order);
                # only where it varies within the panel is it written at each point
                panel_n = rows.groupby("observer")["n_trials"].agg(["min", "max"])
                steady = all(panel_n.at[g, "min"] == panel_n.at[g, "max"] for g in present)
                in_title = steady and len(constant_n) < len(groups)
                for offset, group in offsets(present):
                    stats = rows[rows["observer"] == group].set_index("condition").reindex(ordered)
                    colour = colour_of(group)
                    xo = x + offset
                    if (stats["n_observers"] > 1).any():
                        ax.fill_between(xo, stats[f"{metric}_min"], stats[f"{metric}_max"],
                                        color=colour, alpha=0.18, linewidth=0)
                    ax.plot(xo, stats[metric], color=colour, linewidth=1.3)
                    low = stats["n_trials"].to_numpy(float) < MIN_TRIALS_PER_POINT
                    for hollow in (False, True):
                        pick = low if hollow else ~low
                        ax.plot(xo[pick], stats[metric].to_numpy(float)[pick], linestyle="",
                                marker=marker_of(group), markersize=4, color=colour,
                                markerfacecolor="white" if hollow else colour)
                    if group not in constant_n and not steady:
                        for xi, yi, ni in zip(xo, stats[metric], stats["n_trials"], strict=True):
                            if not pd.isna(ni):
                                ax.annotate(f"{int(ni)}", (xi, yi), xytext=(4, 3),
                                            textcoords="offset points", ha="left",
                                            va="bottom", fontsize=5.5, color=colour,
                                            bbox={"boxstyle": "square,pad=0.05",
                                                  "fc": "white", "ec": "none",
                                                  "alpha": 0.7})
                    if metric == "accuracy":
                        mean = stats["accuracy"].to_numpy(float)
                        ax.errorbar(xo, mean,
                                    yerr=[np.clip(mean - stats["accuracy_ci_low"], 0, None),
                                          np.clip(stats["accuracy_ci_high"] - mean, 0, None)],
                                    fmt="none", ecolor=colour, elinewidth=0.8, capsize=1.5)
                ax.axhline(reference, color="0.5", linestyle=":", linewidth=0.9)
                ax.set_xticks(x, ticks, rotation=45 if len(x) > 6 else 0)
                ax.set_xlim(-0.4, len(x) - 0.6)
                ax.set_ylim(0, top * 1.03)
                ax.set_title(experiment, pad=10 if in_title else 6)
                if in_title:
                    ax.text(0.5, 1.0, n_text([panel_n.at[g, "min"] for g in present]),
                            transform=ax.transAxes, ha="center", va="bottom", fontsize=5.5,
                            color="0.35")
                ax.set_xlabel(xlabel)
                ax.set_ylabel(label)
            for ax in list(axes.flat)[len(experiments):]:
                ax.set_visible(False)
            handles = [Line2D([], [], color=colour_of(g), marker=marker_of(g), markersize=5,
                              label=f"{names.get(g, display_name(g))} ({n_label(g)})")
                       for g in groups]
            if metric == "accuracy":
                handles.append(Line2D([], [], color="0.3", marker="|", linestyle="",
                                      markersize=8,
                                      label="95 % interval (Wilson, within observers)"))
            if several:
                handles.append(Patch(color="0.6", alpha=0.35,
                                     label="range over observers (sessions)"))
            handles.append(Line2D([], [], color="0.5", linestyle=":", label=ref_text))
            per_row = 2 if ncols <= 2 else 4
            fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), per_row),
                       frameon=False, bbox_to_anchor=(0.5, 1.0))
            fig.text(0.5, 0.035 if too_few(min_n) else 0.005,
                     "n = trials per point (pooled over observers): under a panel's title "
                     "(legend order) where it is the same at every point, else at each "
                     f"point; hollow markers: fewer than {MIN_TRIALS_PER_POINT} trials",
                     ha="center", va="bottom", fontsize=6, color="0.35")
            mark_low_n(fig, min_n)
            legend_rows = math.ceil(len(handles) / per_row)
            fig.tight_layout(rect=(0, 0.06 if too_few(min_n) else 0.035, 1,
                                   1 - (0.2 + 0.17 * legend_rows) / height))
            paths = save(fig, out_dir, f"figure3_{metric}")
        caption = ("accuracy: mean over observers, bars within-observer 95 % Wilson "
                   "intervals of the pooled trials (between-observer variance left out; "
                   "observers resampled: results intervals --what accuracy)"
                   if metric == "accuracy" else "response entropy")
        panels.append(Panel(paths, caption, min_n))
    return panels


@register_figure("figure3", section="accuracy", title="Accuracy and response entropy",
                 order=10,
                 example="python -m results plot data/ out/dnn --out figures --kind figure3")
def plot_figure3(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Accuracy and response entropy against signal strength (the paper's figure 3)."""
    return figure3(data.table, out_dir, data.names)
