"""Figure: each bias against mean OOD accuracy across networks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from results.figures._common import panels_of
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.registry import FigureInput, NothingToDraw, Panel, register_figure


def bias_figure(biases: pd.DataFrame, correlations: pd.DataFrame, out_dir: str | Path,
                *, n_experiments: int | None = None) -> list[Path]:
    """Each bias against the mean OOD accuracy across networks (:func:`draw_bias_figure`),
    saved as ``biases``; no file where there is nothing to draw."""
    with style():  # drawn and saved with the report's look
        fig = draw_bias_figure(biases, correlations, n_experiments=n_experiments)
        return [] if fig is None else save(fig, out_dir, "biases")


def draw_bias_figure(biases: pd.DataFrame, correlations: pd.DataFrame, *,
                     n_experiments: int | None = None) -> Figure | None:
    """Each bias against the mean OOD accuracy across networks, one panel per bias with 2
    or more networks, with Spearman's rho and its 95 % bootstrap interval where
    :data:`~results.biases.MIN_CORRELATION_NETWORKS` networks have both values; a legend
    names each network. ``n_experiments``: the distortions the mean is over (the y label
    says it). ``None``: nothing to draw."""
    from results.biases import MIN_CORRELATION_NETWORKS, ood_correlations, plotted_biases
    present = plotted_biases(biases)
    if not present:
        return None
    correlations = ood_correlations(correlations)
    ylabel = "mean OOD accuracy"
    if n_experiments is not None:
        ylabel += f"\n({n_experiments} distortions defining no bias)"
    with style():
        fig = new_figure(2.8 * len(present) + 1.6, 2.9)
        axes = np.atleast_1d(fig.subplots(1, len(present), squeeze=False)[0])
        handles = {}
        for ax, bias in zip(axes, present, strict=True):
            both = biases[biases[[bias, "mean_ood_accuracy"]].notna().all(axis=1)]
            for _, row in both.iterrows():
                name = str(row["network"])
                handles[name] = ax.scatter(
                    row[bias], row["mean_ood_accuracy"], color=colour_of(name),
                    marker=marker_of(name), s=24, edgecolors="0.3", linewidths=0.3)
            found = correlations[correlations["bias"] == bias]
            title = bias.replace("_", " ")
            if len(found):
                r = found.iloc[0]
                title += (f"\nrho {r['spearman_rho']:.2f} [{r['rho_low']:.2f}, "
                          f"{r['rho_high']:.2f}], n = {r['n_networks']} networks")
            else:
                title += (f"\nn = {len(both)} networks (rho needs "
                          f"{MIN_CORRELATION_NETWORKS})")
            ax.set_title(title, fontsize=7)
            ax.set_xlabel(bias.replace("_", " "), fontsize=7)
            ax.set_ylabel(ylabel, fontsize=7)
        axes[-1].legend(handles.values(), [display_name(n) for n in handles],
                        loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False,
                        fontsize=7, title="network", title_fontsize=7)
        fig.tight_layout()
    return fig


@register_figure("biases", section="biases", title="Biases across networks", order=48,
                 needs=("psychometric_fits",))
def plot_biases(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Each bias against the mean OOD accuracy across networks, with Spearman's rho and
    its 95 % bootstrap interval."""
    from results.biases import distortions, figure_missing

    frame, correlations = data.biases
    if frame.empty:
        raise NothingToDraw("biases are measured on networks; this data has none")
    n_experiments = len(distortions(data.table[data.table["observer_type"] != "human"]))
    paths = bias_figure(frame, correlations, out_dir, n_experiments=n_experiments)
    if not paths:
        raise NothingToDraw(figure_missing(frame))
    return panels_of(paths, "biases")
