"""Report section: the model-vs-human benchmark metrics (Geirhos et al. 2021)."""

from __future__ import annotations

from results.benchmark import ood_conditions
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("benchmark", title="Model-vs-human benchmark metrics", order=30)
def benchmark_section(ctx: ReportContext, section: Section) -> Section:
    """OOD accuracy, accuracy difference, observed and error consistency per network."""
    bench = ctx.data.benchmark
    conditions = ood_conditions(ctx.table)
    write_csv(bench, ctx.out, "benchmark.csv")
    write_csv(conditions, ctx.out, "ood_conditions.csv")
    excluded = conditions[~conditions["included"]]
    if not ctx.humans:
        section.missing("Accuracy difference and observed and error consistency need human "
                        f"trials on the same images; {ctx.has()}: only OOD accuracy is "
                        "shown (over every condition but the control).")
    elif not ctx.networks:
        section.missing("Rows for networks need network trials on the same images; "
                        f"{ctx.has()}: only the humans row (humans compared with each "
                        "other) is shown.")
    elif len(ctx.humans) == 1:
        section.missing("The humans row compares humans with each other and needs two or "
                        f"more humans; {ctx.has()}.")
    if ctx.humans_simulated:
        section.missing("Metrics against the humans are against simulated observers "
                        "(labelled simulated), not people.")
    section.intro += [
        '<p class="note">OOD accuracy, accuracy difference (model − human)², observed and '
        "error consistency with each human (Geirhos et al. 2021), over the conditions that "
        "are neither the control condition nor below 20 % human accuracy, averaged over "
        "conditions, humans and experiments. The <code>humans</code> row compares humans "
        "with each other. Each mean is over the experiments that have it: "
        "<code>n_experiments</code> for OOD accuracy, <code>n_experiments_compared</code> "
        "for the accuracy difference (experiments with humans), "
        "<code>n_experiments_shared</code> for the consistencies (with images both "
        "saw).</p>",
        table_html(ctx.labelled(bench), "benchmark",
                   empty=f"The benchmark metrics need network trials; {ctx.has()}."),
        f"<details><summary>Excluded conditions ({len(excluded)})</summary>"
        f"{table_html(excluded, 'excluded', empty='No condition was excluded.')}</details>",
    ]
    return section
