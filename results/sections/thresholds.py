"""Report section: psignifit thresholds (Schütt et al. 2016) of every parametric
experiment (its figure: ``psychometric``)."""

from __future__ import annotations

from results.psychometric import DEFAULT_CRITERION, fit_axis, threshold_table
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("thresholds", title="Psychometric thresholds", order=44,
                  needs=("psychometric_fits",))
def thresholds_section(ctx: ReportContext, section: Section) -> Section | None:
    """Threshold, width and lapse per observer; one line why not without a parametric
    experiment."""
    if not any(fit_axis(e) for e in ctx.table["experiment"].unique()):
        experiments = ", ".join(sorted(map(str, ctx.table["experiment"].unique())))
        section.missing("Thresholds need an experiment with levels on an axis (contrast, "
                        f"noise, filter, ...); this data has only: {experiments}.")
        return section
    thresholds = threshold_table(ctx.data.psychometric_fits)
    write_csv(thresholds, ctx.out, "thresholds.csv")
    section.intro.append(
        '<p class="note">psignifit 4 (Schütt et al. 2016), 16-AFC (guess rate 1/16), '
        f"Gaussian sigmoid, per human and per network: threshold at {DEFAULT_CRITERION:.0%} "
        "correct (level units; <code>threshold_fit</code> on the fit axis) with its 95 % "
        "credible interval, width (5 % to 95 % of the sigmoid, fit axis) and lapse rate. "
        "A threshold beyond the tested levels is a bound (<code>censored</code> = above / "
        "below, shown as e.g. <code>&gt; 100</code>); where the criterion is never reached "
        "there is none (<code>not reached</code>). Table: <code>thresholds.csv</code>.</p>")
    section.body.append(table_html(ctx.labelled(thresholds.drop(columns=["criterion"])),
                                   "thresholds"))
    return section
