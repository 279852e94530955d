"""Report section: which stimulus files humans and networks saw (sha256 or image name)."""

from __future__ import annotations

import html

from lab.trial_file import write_text_atomic
from results.quality import provenance_table, shared_sha256, sources_table
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("provenance", title="Provenance", order=0)
def provenance_section(ctx: ReportContext, section: Section) -> Section:
    """Distinct stimulus files per experiment seen by humans, networks and both."""
    table = ctx.table
    provenance = provenance_table(table)
    write_csv(provenance, ctx.out, "provenance.csv")
    shared = shared_sha256(table)
    write_text_atomic(ctx.out / "shared_sha256.txt", "".join(f"{s}\n" for s in sorted(shared)))
    total = provenance[provenance["experiment"] == "all"]
    shared_files = int(total["shared"].iloc[0]) if len(total) else 0
    by_sha = bool((table["sha256"] != "").any())
    line = (f"stimulus files: {shared_files} shared by humans and models"
            + (f" ({len(shared)} identified by sha256)" if by_sha else
               " (identified by image name: the original data carry no sha256)"))
    section.intro += [
        f'<p class="provenance" id="provenance-line">{html.escape(line)}</p>',
        '<p class="note">Distinct stimulus files per experiment seen by humans, by networks '
        "and by both. The sha256s shared by both are listed in "
        "<code>shared_sha256.txt</code>.</p>",
        table_html(provenance, "provenance"),
        "<h3>Sources read</h3>", table_html(sources_table(table), "sources"),
    ]
    return section
