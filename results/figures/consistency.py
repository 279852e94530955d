"""Figure: observer x observer error consistency (Geirhos, Meding & Wichmann 2020)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from results.figures._common import experiment_order, fewest_trials, mark_low_n, short_label
from results.intervals import too_few
from results.plot_style import HUMAN_COLOUR, colour_of, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure


def consistency_figure(matrix: pd.DataFrame, experiment: str, humans: set[str],
                       out_dir: str | Path, counts: pd.DataFrame | None = None,
                       simulated: dict[str, str] | None = None) -> list[Panel]:
    """Observer x observer error consistency (kappa, mean over conditions); each cell also
    shows ``counts`` (trials both observers saw, summed over conditions) when given."""
    n = len(matrix)
    if n < 2:
        return []
    simulated = simulated or {}
    size = max(3.6, 0.42 * n + 1.8)
    with style():
        fig = new_figure(size + 0.8, size)
        ax = fig.subplots()
        norm = TwoSlopeNorm(vmin=-0.5, vcenter=0.0, vmax=1.0)
        image = ax.imshow(matrix.to_numpy(dtype=float), cmap="RdBu_r", norm=norm,
                          interpolation="nearest")
        names = [short_label(str(name), simulated) for name in matrix.index]
        ax.set_xticks(range(n), names, rotation=90)
        ax.set_yticks(range(n), names)
        for label, name in zip(ax.get_xticklabels(), matrix.index, strict=True):
            label.set_color(HUMAN_COLOUR if name in humans else colour_of(str(name)))
        for label, name in zip(ax.get_yticklabels(), matrix.index, strict=True):
            label.set_color(HUMAN_COLOUR if name in humans else colour_of(str(name)))
        values = matrix.to_numpy(dtype=float)
        shared = (counts.reindex(index=matrix.index, columns=matrix.columns).to_numpy(float)
                  if counts is not None else np.full(values.shape, np.nan))
        off_diagonal = ~np.eye(n, dtype=bool) & ~np.isnan(shared)
        min_n = fewest_trials(shared[off_diagonal]) if off_diagonal.any() else None
        if n <= 14:
            for i in range(n):
                for j in range(n):
                    if np.isnan(values[i, j]):
                        continue
                    text = f"{values[i, j]:.2f}"
                    if i != j and not np.isnan(shared[i, j]):
                        text += f"\nn={int(shared[i, j])}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=5 if n > 8 else 6,
                            color="white" if abs(values[i, j]) > 0.6 else "black")
        title = f"{experiment}: error consistency (Cohen's kappa)"
        if off_diagonal.any():
            low, high = int(shared[off_diagonal].min()), int(shared[off_diagonal].max())
            title += (f"\nn = trials both saw: {low}" if low == high else
                      f"\nn = trials both saw: {low}-{high} per pair")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.7, label="kappa (mean over conditions)")
        mark_low_n(fig, min_n)
        if too_few(min_n):
            fig.subplots_adjust(bottom=0.2)
        paths = save(fig, out_dir, f"error_consistency_{experiment}")
    return [Panel(paths, experiment, min_n)]


def shared_trials_matrix(pairs: pd.DataFrame) -> pd.DataFrame:
    """Observer x observer trials both saw, summed over conditions (of one experiment)."""
    total = pairs.groupby(["observer_1", "observer_2"])["n_trials"].sum()
    both = pd.concat([total, total.rename_axis(["observer_2", "observer_1"])
                      .reorder_levels(["observer_1", "observer_2"])])
    return both.unstack()


@register_figure("consistency", section="consistency", title="Error consistency",
                 order=20, collapsed=True)
def plot_consistency(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Observer x observer error consistency, one matrix per experiment."""
    from results.consistency import consistency_matrix, human_observers

    pairs = data.pairs
    panels: list[Panel] = []
    for experiment in experiment_order(pairs["experiment"].unique()) if len(pairs) else []:
        rows = pairs[pairs["experiment"] == experiment]
        counts = shared_trials_matrix(rows)
        for panel in consistency_figure(consistency_matrix(pairs, experiment), experiment,
                                        human_observers(rows), out_dir, counts,
                                        data.simulated):
            median_n = int(rows["n_trials"].median())
            panels.append(Panel(panel.paths, f"{experiment} (median {median_n} shared "
                                             "trials per pair and condition)", panel.min_n))
    return panels
