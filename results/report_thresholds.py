"""Report sections for the psychometric thresholds and the critical-band channels."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from results.channels import EXPERIMENT, channel_tables
from results.figures_psychometric import channel_figure, psychometric_figures
from results.psychometric import DEFAULT_CRITERION, PSYCHOMETRIC_AXES, fit_all, threshold_table


def thresholds_sections(table: pd.DataFrame, out: Path, fig_dir: Path, *,
                        criterion: float = DEFAULT_CRITERION) -> str:
    """The ``thresholds`` and ``channels`` sections (HTML), writing ``thresholds.csv``,
    ``channels.csv``, ``channel_bands.csv`` and the figures."""
    from results.report import _csv, _image_html, _table_html

    parts = ['<h2 id="thresholds">Psychometric thresholds</h2>']
    if not set(table["experiment"]) & set(PSYCHOMETRIC_AXES):
        parts.append('<p class="note">No parametric experiment in the input.</p>')
        return "\n".join(parts)
    fits = fit_all(table, criterion=criterion)
    thresholds = threshold_table(fits)
    _csv(thresholds, out, "thresholds.csv")
    parts.append(
        '<p class="note">psignifit 4 (Schütt et al. 2016), 16-AFC (guess rate 1/16), '
        f"Gaussian sigmoid, per human and per network: threshold at {criterion:.0%} "
        "correct (level units; <code>threshold_fit</code> on the fit axis) with its 95 % "
        "credible interval, width (5 % to 95 % of the sigmoid, fit axis) and lapse rate. "
        "Table: <code>thresholds.csv</code>.</p>")
    for path in psychometric_figures(fits, fig_dir)[::2]:
        parts.append(f"<details><summary>{html.escape(path.stem)}</summary>"
                     f"{_image_html(path, path.stem)}</details>")
    parts.append(_table_html(thresholds.drop(columns=["criterion"]), "thresholds"))
    if EXPERIMENT in set(table["experiment"]):
        channels, bands = channel_tables(table, criterion=criterion, fits=fits)
        _csv(channels, out, "channels.csv")
        _csv(bands, out, "channel_bands.csv")
        parts.append('<h2 id="channels">Spatial-frequency channels (critical-band '
                     "masking)</h2>")
        parts.append(
            '<p class="note">Per band, the noise SD at the criterion from the psignifit '
            "fit; sensitivity = 1 / threshold; a Gaussian over log2 frequency gives the "
            "channel's centre (cycles/image, and cycles/degree from the viewing geometry), "
            "bandwidth (full width at half maximum, octaves) and peak sensitivity, with "
            "95 % bootstrap intervals (Subramanian et al. 2023). Humans in that study: "
            "1.43 ± 0.54 octaves, centre about 39 cycles/image.</p>")
        for path in channel_figure(channels, bands, fig_dir)[:1]:
            parts.append(_image_html(path, "channels"))
        parts.append(_table_html(channels, "channels", digits=3))
    return "\n".join(parts)
