"""Report sections for the bootstrap intervals, the psychometric thresholds and the
critical-band channels. Their figures are registered in :mod:`results.figures_psychometric`
and drawn into these sections by the report."""

from __future__ import annotations

from results.channels import banded_experiments, channel_tables
from results.figures_psychometric import consistency_interval_tables, psychometric_fits
from results.psychometric import DEFAULT_CRITERION, fit_axis, threshold_table
from results.report import ReportContext, Section, _csv, _table_html

N_BOOT = 1000


def intervals_section(ctx: ReportContext) -> Section:
    """Benchmark metrics and shape bias with 95 % bootstrap intervals; error consistency
    per group against the human noise ceiling (its figure: ``ceiling``)."""
    from results.uncertainty import benchmark_intervals, noise_ceilings, shape_bias_intervals

    table = ctx.table
    section = Section("intervals", "Uncertainty: bootstrap intervals and noise ceilings", 42,
                      intro=[
        '<p class="note">95 % percentile intervals over '
        f"{N_BOOT} bootstrap replicates (images resampled per condition, jointly for "
        "all observers; trials within observers for shape bias). The point values are "
        "the metrics above, unchanged. Noise ceiling: the between-human error "
        "consistency (shaded: its interval) and the split-half reliability of the "
        "humans' per-image accuracy (Klein et al. 2025 on why intervals matter). Tables: "
        "<code>benchmark_intervals.csv</code>, <code>consistency_intervals.csv</code>, "
        "<code>noise_ceilings.csv</code>, <code>shape_bias_intervals.csv</code>.</p>"])
    bench = benchmark_intervals(table, n_boot=N_BOOT)
    _csv(bench, ctx.out, "benchmark_intervals.csv")
    per_condition, _, per_group = consistency_interval_tables(ctx.data)
    _csv(per_condition, ctx.out, "consistency_intervals.csv")
    ceilings = ctx.data.cached("noise_ceilings", lambda: noise_ceilings(table, per_group))
    _csv(ceilings, ctx.out, "noise_ceilings.csv")
    section.body += [_table_html(bench, "benchmark-intervals"),
                     _table_html(ceilings, "ceilings")]
    bias = shape_bias_intervals(table, n_boot=N_BOOT)
    if len(bias):
        _csv(bias, ctx.out, "shape_bias_intervals.csv")
        section.body.append(_table_html(ctx.labelled(bias), "shape-bias-intervals"))
    return section


def thresholds_section(ctx: ReportContext) -> Section | None:
    """psignifit thresholds of every parametric experiment (figures: ``psychometric``);
    None when the input has no parametric experiment."""
    table = ctx.table
    if not any(fit_axis(e) for e in set(table["experiment"])):
        return None
    thresholds = threshold_table(psychometric_fits(ctx.data))
    _csv(thresholds, ctx.out, "thresholds.csv")
    return Section("thresholds", "Psychometric thresholds", 44, intro=[
        '<p class="note">psignifit 4 (Schütt et al. 2016), 16-AFC (guess rate 1/16), '
        f"Gaussian sigmoid, per human and per network: threshold at {DEFAULT_CRITERION:.0%} "
        "correct (level units; <code>threshold_fit</code> on the fit axis) with its 95 % "
        "credible interval, width (5 % to 95 % of the sigmoid, fit axis) and lapse rate. "
        "A threshold beyond the tested levels is a bound (<code>censored</code> = above / "
        "below, shown as e.g. <code>&gt; 100</code>); where the criterion is never reached "
        "there is none (<code>not reached</code>). Table: <code>thresholds.csv</code>.</p>"],
        body=[_table_html(ctx.labelled(thresholds.drop(columns=["criterion"])),
                          "thresholds")])


def channels_section(ctx: ReportContext) -> Section | None:
    """The critical-band channels (figure: ``channels``); None without such trials."""
    table = ctx.table
    if not banded_experiments(table["experiment"]):
        return None
    channels, bands = ctx.data.cached(
        "channel_tables", lambda: channel_tables(table, fits=psychometric_fits(ctx.data)))
    _csv(channels, ctx.out, "channels.csv")
    _csv(bands, ctx.out, "channel_bands.csv")
    return Section("channels", "Spatial-frequency channels (critical-band masking)", 46,
                   intro=[
        '<p class="note">Per band, the noise SD at the criterion from the psignifit '
        "fit; sensitivity = 1 / threshold; a Gaussian over log2 frequency gives the "
        "channel's centre (cycles/image, and cycles/degree from the viewing geometry), "
        "bandwidth (full width at half maximum, octaves) and peak sensitivity, with "
        "95 % bootstrap intervals (after Subramanian et al. 2023; their own analysis is "
        "<code>python -m results channels --method subramanian2023</code>). Humans in "
        "that study: 1.00 octave, 39.6 cycles/image (group matrix); 1.43 ± 0.54 octaves, "
        "39.1 ± 3.0 cycles/image (per observer). Rows with <code>identified = false</code> "
        "are not channels: the <code>reason</code> column says why (never above the "
        "criterion, too few measured bands, fit on a search bound). Bands whose criterion "
        "is never reached have no threshold (<code>status</code>).</p>"],
        body=[_table_html(channels, "channels", digits=3)])


BUILDERS = [intervals_section, thresholds_section, channels_section]
