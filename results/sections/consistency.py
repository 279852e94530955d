"""Report section: error consistency (Geirhos, Meding & Wichmann 2020)."""

from __future__ import annotations

from results.consistency import consistency_by_group
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv

FOLD_ROWS = 40  #: longer tables are shown folded


@register_section("consistency", title="Error consistency", order=20)
def consistency_section(ctx: ReportContext, section: Section) -> Section:
    """Mean error consistency with the humans, per condition; all pairs as CSV."""
    pairs = ctx.data.pairs
    write_csv(pairs, ctx.out, "error_consistency_pairs.csv")
    section.intro.append(
        '<p class="note">Cohen\'s kappa of trial-by-trial agreement beyond what the two '
        "accuracies predict (Geirhos, Meding &amp; Wichmann 2020), per condition and "
        "pair on the trials both saw (matched by sha256, or by image name for the "
        "original data), here averaged over conditions. All pairs: "
        "<code>error_consistency_pairs.csv</code>.</p>")
    if pairs.empty:
        section.missing("Error consistency needs two or more observers who saw the same "
                        f"images; {ctx.has()}"
                        + (", and no two of them share a stimulus." if
                           len(ctx.humans) + len(ctx.networks) > 1 else "."))
        return section
    if not ctx.humans:
        section.missing("Error consistency with the humans needs human trials; "
                        f"{ctx.has()} (the pairs of networks are in "
                        "error_consistency_pairs.csv).")
        return section
    who = ctx.humans_word()
    if ctx.humans_simulated:
        section.missing("The humans here are simulated: a simulated observer does not look "
                        "at the images, so its error consistency with a network is about 0 "
                        "by construction, not a measurement of people.")
    by_group = consistency_by_group(pairs, ctx.data.simulated)
    table = table_html(ctx.labelled(by_group), "consistency",
                       empty=f"No network or human pair shares a condition with {who}.")
    if len(by_group) > FOLD_ROWS:  # a long table stays folded under its heading
        table = f"<details><summary>Table ({len(by_group)} rows)</summary>{table}</details>"
    section.body += [f"<h3>Mean error consistency with {who}, per condition</h3>", table]
    return section
