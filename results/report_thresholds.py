"""Report sections for the psychometric thresholds and the critical-band channels."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from results.channels import banded_experiments, channel_tables
from results.figures_psychometric import channel_figure, psychometric_figures
from results.psychometric import DEFAULT_CRITERION, fit_all, fit_axis, threshold_table


def thresholds_sections(table: pd.DataFrame, out: Path, fig_dir: Path, *,
                        criterion: float = DEFAULT_CRITERION) -> str:
    """The ``thresholds`` and ``channels`` sections (HTML), writing ``thresholds.csv``,
    ``channels.csv``, ``channel_bands.csv`` and the figures."""
    from results.report import _csv, _image_html, _table_html

    parts = ['<h2 id="thresholds">Psychometric thresholds</h2>']
    if not any(fit_axis(e) for e in set(table["experiment"])):
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
    if banded_experiments(table["experiment"]):
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


def intervals_section(table: pd.DataFrame, out: Path, fig_dir: Path, *,
                      n_boot: int = 1000) -> str:
    """The ``intervals`` section: benchmark metrics and shape bias with 95 % bootstrap
    intervals, error consistency per group against the human noise ceiling."""
    from results.figures_psychometric import ceiling_figure
    from results.report import _csv, _image_html, _table_html
    from results.uncertainty import (
        benchmark_intervals,
        consistency_intervals,
        noise_ceilings,
        shape_bias_intervals,
    )

    parts = ['<h2 id="intervals">Uncertainty: bootstrap intervals and noise ceilings</h2>',
             '<p class="note">95 % percentile intervals over '
             f"{n_boot} bootstrap replicates (images resampled per condition, jointly for "
             "all observers; trials within observers for shape bias). The point values are "
             "the metrics above, unchanged. Noise ceiling: the between-human error "
             "consistency (shaded: its interval) and the split-half reliability of the "
             "humans' per-image accuracy. Tables: <code>benchmark_intervals.csv</code>, "
             "<code>consistency_intervals.csv</code>, <code>noise_ceilings.csv</code>, "
             "<code>shape_bias_intervals.csv</code>.</p>"]
    bench = benchmark_intervals(table, n_boot=n_boot)
    _csv(bench, out, "benchmark_intervals.csv")
    per_condition, per_pair, per_group = consistency_intervals(table, n_boot=n_boot)
    _csv(per_condition, out, "consistency_intervals.csv")
    ceilings = noise_ceilings(table, per_group, n_boot=n_boot)
    _csv(ceilings, out, "noise_ceilings.csv")
    for path in ceiling_figure(per_group, ceilings, fig_dir)[:1]:
        parts.append(_image_html(path, "error consistency against the human ceiling"))
    parts.append(_table_html(bench, "benchmark-intervals"))
    parts.append(_table_html(ceilings, "ceilings"))
    bias = shape_bias_intervals(table, n_boot=n_boot)
    if len(bias):
        _csv(bias, out, "shape_bias_intervals.csv")
        parts.append(_table_html(bias, "shape-bias-intervals"))
    return "\n".join(parts)
