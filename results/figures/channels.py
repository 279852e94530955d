"""Figure: critical-band masking, per-band thresholds and the fitted spatial-frequency
channel (Subramanian et al. 2023)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from results.channels import FWHM_PER_SIGMA, Channel
from results.figures._common import panels_of, short_label
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure
from results.tables import HUMANS
from stimuli.manipulations.bandpass import band_centre


def channel_figure(channels: pd.DataFrame, bands: pd.DataFrame, out_dir: str | Path,
                   simulated: dict[str, str] | None = None) -> list[Path]:
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
            label = (short_label(observer, simulated or {}) if group == HUMANS
                     else display_name(group))
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


@register_figure("channels", section="channels",
                 title="Spatial-frequency channels (critical-band masking)", order=46,
                 needs=("psychometric_fits",))
def plot_channels(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Critical-band masking: per-band noise thresholds and the fitted channel."""
    from results.channels import banded_experiments

    if not banded_experiments(data.table["experiment"]):
        return []
    channels, bands = data.channel_tables
    return panels_of(channel_figure(channels, bands, out_dir, data.simulated), "channels")
