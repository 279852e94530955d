"""Report section: accuracy and response entropy per condition (the paper's figure 3
joins it)."""

from __future__ import annotations

import html

from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv
from results.tables import summary_table


@register_section("accuracy", title="Accuracy and response entropy", order=10)
def accuracy_section(ctx: ReportContext, section: Section) -> Section:
    """The per-condition table (:func:`results.tables.summary_table`)."""
    summary = summary_table(ctx.table)
    write_csv(summary, ctx.out, "accuracy_entropy.csv")
    section.intro.append(
        '<p class="note">Accuracy counts <code>na</code> as wrong; entropy (bits, max 4) '
        "of the distribution of answers, <code>na</code> excluded. Per human observer or "
        "per network session, then the mean; bands and min/max show the range over "
        "observers (sessions). Network decision rule: "
        f"<code>{html.escape(ctx.rule)}</code>. The accuracy intervals (the figure's bars, "
        "the table's <code>accuracy_ci_low/high</code>) are <b>within-observer</b> 95 % "
        "Wilson intervals of the trials pooled over these observers: they leave out the "
        "variance between observers. For a claim about people (observers resampled, then "
        "trials): <code>python -m results intervals --what accuracy</code>.</p>")
    section.body.append(
        f"<details><summary>Table ({len(summary)} rows: n = trials; "
        "<code>accuracy_ci_low/high</code>: within-observer 95 % Wilson interval)</summary>"
        f"{table_html(ctx.labelled(summary), 'accuracy')}</details>")
    return section
