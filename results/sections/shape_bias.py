"""Report section: shape bias on cue-conflict trials (Geirhos et al. 2019)."""

from __future__ import annotations

from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("shape-bias", title="Shape bias", order=40)
def shape_bias_section(ctx: ReportContext, section: Section) -> Section:
    """Shape bias over all classes per observer group."""
    bias = ctx.data.shape_bias
    if bias.empty:
        experiments = ", ".join(sorted(map(str, ctx.table["experiment"].unique())))
        section.missing("Shape bias needs cue-conflict trials (python -m stimuli build "
                        f"cue-conflict); this data has none (experiments: {experiments}).")
        return section
    write_csv(bias, ctx.out, "shape_bias.csv")
    section.intro.append(
        '<p class="note">Cue-conflict images without a conflict (shape class = texture '
        "class) dropped; shape bias = shape hits / (shape + texture hits). Humans "
        "pooled. The figure's bars are <b>within-observer</b> 95 % Wilson intervals of "
        "the pooled decisions (the variance between observers left out); observers "
        "resampled, then trials: the uncertainty section's shape-bias table and "
        "<code>python -m results intervals --what shape-bias</code>.</p>")
    section.body.append(table_html(ctx.labelled(bias[bias["category"] == "all"]),
                                   "shape-bias"))
    return section
