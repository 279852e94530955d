"""Figure: each bias against mean OOD accuracy across networks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from results.figures._common import panels_of
from results.plot_style import colour_of, marker_of, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure


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


@register_figure("biases", section="biases", title="Biases across networks", order=48)
def plot_biases(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Each bias against the mean OOD accuracy across networks, with Spearman's rho and
    its 95 % bootstrap interval."""
    from results.biases import bias_correlations, bias_table

    if not (data.table["observer_type"] != "human").any():
        return []
    frame = bias_table(data.table)
    return panels_of(bias_figure(frame, bias_correlations(frame), out_dir), "biases")
