"""Report section: the papers the report rests on (:mod:`results.credits`), always last."""

from __future__ import annotations

import html

from results.credits import report_credits
from results.registry import register_section
from results.report_parts import ReportContext, Section


@register_section("credits", title="Credits", order=1000)
def credits_section(ctx: ReportContext, section: Section) -> Section:
    """Every paper whose method the report used."""
    credits = report_credits(
        ctx.table, shape_bias_used=not ctx.data.shape_bias.empty,
        consistency_used=not ctx.data.pairs.empty,
        benchmark_used=not ctx.data.benchmark.empty)
    items = "".join(f"<li>{html.escape(c.reference)} <span class='note'>Used: "
                    f"{html.escape(c.why)}.</span></li>" for c in credits)
    section.intro += ['<p class="note">Please cite the work this analysis rests on:</p>',
                      f'<ul class="credits">{items}</ul>']
    return section
