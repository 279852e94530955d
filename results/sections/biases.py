"""Report section: biases across networks and whether they predict robustness (Gavrikov &
Keuper 2024; its figure: ``biases``)."""

from __future__ import annotations

import html

import pandas as pd

from results.biases import (
    BIAS_COLUMNS,
    CENSORED_COLUMNS,
    DEFAULT_RULE,
    MIN_CORRELATION_NETWORKS,
    distortions,
    figure_missing,
    ood_correlations,
    plotted_biases,
)
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


def ood_note(table: pd.DataFrame) -> str:
    """What ``mean_ood_accuracy`` of the bias table averages over (HTML), and how that
    differs from the benchmark's ``ood_accuracy``."""
    networks = table[table["observer_type"] != "human"]
    names = distortions(networks)
    others = sorted(set(map(str, networks["experiment"].unique())) - set(names))
    text = (f"<code>mean_ood_accuracy</code> is each network's accuracy over the OOD "
            f"conditions (the benchmark's rule) of each distortion that defines no bias, "
            f"averaged over those experiments ({len(names)}: "
            f"{html.escape(', '.join(names))})")
    if others:
        text += (f"; the benchmark's <code>ood_accuracy</code> also averages "
                 f"{html.escape(', '.join(others))}, left out here because their trials "
                 f"define a bias (a bias would be correlated with its own trials) or they "
                 f"have a single condition")
    return text + "."


@register_section("biases", title="Biases across networks", order=48,
                  needs=("psychometric_fits",))
def biases_section(ctx: ReportContext, section: Section) -> Section:
    """Per network the biases its trials allow and its mean OOD accuracy; the rank
    correlations where enough networks have both, else one line why not."""
    frame, correlations = ctx.data.biases
    if frame.empty:
        section.missing("Biases are measured on networks (python -m models score); this "
                        "data has none.")
        return section
    present = [c for c in BIAS_COLUMNS if frame[c].notna().any()]
    if not present:
        experiments = ", ".join(sorted(map(str, ctx.table["experiment"].unique())))
        section.missing("No bias can be measured from these experiments: biases need "
                        "cue-conflict, low-/high-pass, spectral-ffc or critical-band trials "
                        f"of networks (experiments here: {experiments}).")
        return section
    write_csv(frame.assign(rule=ctx.rule), ctx.out, "biases.csv")
    section.note(
        f"Per network (decision rule <code>{html.escape(ctx.rule)}</code>, the report's; "
        f"<code>python -m results biases</code> reads networks with "
        f"<code>{DEFAULT_RULE}</code>, the rule the measures were published with): "
        "shape bias on cue-conflict trials, the filter sigma (px) at which low-/high-pass "
        "accuracy halves (<code>_censored</code> = 1: never halved, the tested bound "
        "shown), Gavrikov &amp; Keuper's FFT biases, the critical-band channel. "
        + ood_note(ctx.table) + " Table: <code>biases.csv</code>.")
    if not plotted_biases(frame):
        section.missing(f"No figure: {figure_missing(frame)}.")
    censored = [c for c in CENSORED_COLUMNS if c.replace("_censored", "") in present]
    shown = frame[["network", *present, *censored, "mean_ood_accuracy"]
                  if "mean_ood_accuracy" in frame.columns
                  else ["network", *present, *censored]]
    section.body.append(table_html(shown, "biases"))
    ours = ood_correlations(correlations)
    if len(ours):
        write_csv(ours, ctx.out, "bias_correlations.csv")
        section.body.append(
            "<h3>Spearman rank correlation with mean OOD accuracy</h3><p class='note'>"
            "Across networks, with a 95 % bootstrap interval (networks resampled); "
            "<code>rho_shown</code> is 0 where p &ge; 0.05, as Gavrikov &amp; Keuper "
            "display it. Table: <code>bias_correlations.csv</code>; every pair of bias "
            "and accuracy: <code>python -m results biases PATH --correlations</code>.</p>")
        section.body.append(table_html(
            ours[["bias", "n_networks", "spearman_rho", "rho_low", "rho_high", "p",
                  "rho_shown"]], "bias-correlations"))
    else:
        section.missing(f"Rank correlations across networks need "
                        f"{MIN_CORRELATION_NETWORKS} or more networks with a bias and an "
                        f"accuracy; this data has {frame['network'].nunique()}.")
    return section
