"""Figure: each network's error consistency with the humans against the human noise
ceiling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from results.figures._common import interval_bar, panels_of
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure
from results.tables import HUMANS


def ceiling_figure(per_group: pd.DataFrame, ceilings: pd.DataFrame, out_dir: str | Path,
                   metric: str = "error_consistency", humans: str = "humans"
                   ) -> list[Path]:
    """Per experiment, each network's mean error consistency with the humans (95 %
    interval) against the human noise ceiling (between-human consistency, its interval
    shaded)."""
    if per_group.empty:
        return []
    experiments = sorted(per_group["experiment"].unique())
    with style():
        # at most five panels a row, so that the figure stays readable at page width
        ncols = min(len(experiments), 5)
        nrows = -(-len(experiments) // ncols)
        fig = new_figure(max(4.0, 2.6 * ncols), 3.2 * nrows)
        grid = fig.subplots(nrows, ncols, squeeze=False)
        for ax in grid.flat[len(experiments):]:
            ax.set_visible(False)
        axes = grid.flat[:len(experiments)]
        for index, (ax, experiment) in enumerate(zip(axes, experiments, strict=True)):
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
                interval_bar(ax, i, row[metric], row[f"{metric}_low"], row[f"{metric}_high"],
                             colour=colour_of(row["group"]), marker=marker_of(row["group"]))
            ax.set_xticks(x, [display_name(g) for g in rows["group"]], rotation=45,
                          ha="right", fontsize=6)
            ax.axhline(0, color="0.6", linestyle=":", linewidth=0.8)
            ax.set_xlim(-0.7, max(len(rows), 1) - 0.3)
            ax.set_title(experiment, fontsize=8)
            if index % ncols == 0:
                ax.set_ylabel(f"error consistency with\n{humans} (kappa)")
        if axes[0].get_legend_handles_labels()[0]:  # no ceiling there: nothing to explain
            axes[0].legend(fontsize=6, frameon=False, loc="best")
        fig.tight_layout()
        return save(fig, out_dir, "error_consistency_ceiling")


@register_figure("ceiling", section="intervals",
                 title="Uncertainty: bootstrap intervals and noise ceilings", order=42)
def plot_ceiling(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Each network's error consistency with the humans (95 % interval) against the
    human noise ceiling."""
    per_group = data.consistency_intervals[2]
    ceilings = data.noise_ceilings
    humans = set(data.table.loc[data.table["observer_type"] == "human", "observer"].unique())
    simulated = bool(humans) and humans <= set(data.simulated)
    return panels_of(ceiling_figure(per_group, ceilings, out_dir,
                                    humans="simulated humans" if simulated else "humans"),
                     "error consistency against the human ceiling")
