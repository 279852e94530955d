"""Report section: data quality per human observer, and the accounting of re-run trials."""

from __future__ import annotations

import html

import pandas as pd

from lab.accounting import superseded_by_observer
from results.quality import quality_table
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("quality", title="Data quality", order=90)
def quality_section(ctx: ReportContext, section: Section) -> Section:
    """na rate, response times and dropped frames per human observer."""
    quality = quality_table(ctx.table)
    write_csv(quality, ctx.out, "data_quality.csv")
    section.intro += [
        '<p class="note">Per human observer: share of trials without an answer '
        "(<code>na</code>), response times of answered trials (median, 10th and 90th "
        "percentile, answers under 200 ms), and for our own records trials flagged for "
        "a dropped frame during image or mask and the dropped frames (n/a: not recorded "
        "in the original data).</p>",
        superseded_html(ctx.table),
        table_html(ctx.labelled(quality), "quality", digits=3,
                   empty=f"Data quality is measured per human observer; {ctx.has()}.")]
    return section


def superseded_html(table: pd.DataFrame) -> str:
    """The accounting line: superseded records set aside, per observer."""
    counts = superseded_by_observer(table)
    total = int(counts["superseded"].sum()) if len(counts) else 0
    rule = ("Each planned trial counts once: its last attempt. A trial flagged for a dropped "
            "frame is re-run at the end of its block with the same trial number; ")
    if not total:
        line = rule + "no superseded records were set aside."
        return f'<p class="note" id="superseded">{html.escape(line)}</p>'
    per = ", ".join(f"{r.observer} ({r.experiment}): {r.superseded}"
                    for r in counts.itertuples(index=False))
    line = rule + f"{total} superseded record{'s' if total != 1 else ''} set aside: {per}."
    return f'<p class="note" id="superseded">{html.escape(line)}</p>'
