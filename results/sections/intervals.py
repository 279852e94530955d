"""Report section: bootstrap intervals and the human noise ceilings (its figure:
``ceiling``)."""

from __future__ import annotations

from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv

N_BOOT = 1000


@register_section("intervals", title="Uncertainty: bootstrap intervals and noise ceilings",
                  order=42)
def intervals_section(ctx: ReportContext, section: Section) -> Section:
    """Benchmark metrics and shape bias with 95 % bootstrap intervals; error consistency
    per group against the human noise ceiling."""
    from results.uncertainty import benchmark_intervals, shape_bias_intervals

    table = ctx.table
    section.intro.append(
        '<p class="note">95 % percentile intervals over '
        f"{N_BOOT} bootstrap replicates. Group values (the <code>humans</code> row, each "
        "network's mean with the humans, the noise ceiling) resample <b>observers, then "
        "their trials</b>: each replicate draws the humans with replacement, then the "
        "images of every condition, jointly for all drawn observers (the pairing by image "
        "is kept), so an interval speaks for people like these, not only for these "
        "people; column <code>resampled</code> says what each interval resampled "
        "(<code>python -m results intervals --resample trials</code> gives the narrower "
        "within-observer intervals). A network's own shape bias resamples its trials. "
        "The point values are the metrics above, computed by the same functions. Noise "
        "ceiling: the between-human error consistency (shaded: its interval) and the "
        "split-half reliability of the humans' per-image accuracy (Klein et al. 2025 on "
        "why intervals matter). Metrics against simulated observers are labelled in "
        "<code>compared_with</code>. Tables: "
        "<code>benchmark_intervals.csv</code>, <code>consistency_intervals.csv</code>, "
        "<code>noise_ceilings.csv</code>, <code>shape_bias_intervals.csv</code>.</p>")
    if ctx.humans_simulated:
        section.missing("The humans here are simulated: the noise ceiling and every metric "
                        "against them describe simulated observers, not people.")
    bench = benchmark_intervals(table, n_boot=N_BOOT, point=ctx.data.benchmark)
    write_csv(bench, ctx.out, "benchmark_intervals.csv")
    per_condition = ctx.data.consistency_intervals[0]
    write_csv(per_condition, ctx.out, "consistency_intervals.csv")
    ceilings = ctx.data.noise_ceilings
    write_csv(ceilings, ctx.out, "noise_ceilings.csv")
    section.body += [table_html(ctx.labelled(bench), "benchmark-intervals",
                                empty=f"The benchmark metrics need network trials; "
                                      f"{ctx.has()}."),
                     table_html(ceilings, "ceilings", empty=_no_ceiling(ctx))]
    bias = shape_bias_intervals(table, n_boot=N_BOOT)
    if len(bias):
        write_csv(bias, ctx.out, "shape_bias_intervals.csv")
        section.body.append(table_html(ctx.labelled(bias), "shape-bias-intervals"))
    return section


def _no_ceiling(ctx: ReportContext) -> str:
    """Why there is no noise ceiling."""
    n = len(ctx.humans)
    if n < 2:
        return (f"The noise ceiling needs two or more humans; this data has "
                f"{'one' if n == 1 else 'none'}.")
    return (f"The noise ceiling needs two or more humans who saw the same images; the {n} "
            "humans here share none within a condition.")
