"""Report section: confusion matrices (the figure ``confusion`` fills it)."""

from __future__ import annotations

from results.registry import register_section
from results.report_parts import ReportContext, Section


@register_section("confusion", title="Confusion matrices", order=50)
def confusion_section(ctx: ReportContext, section: Section) -> Section:
    """How the confusion matrices were chosen."""
    section.intro.append(
        '<p class="note">Per experiment, at the condition where the humans\' accuracy is '
        "closest to 50 % (where confusions are most telling); rows: presented class, "
        "columns: answer. Others: <code>python -m results plot --kind confusion</code>."
        "</p>")
    return section
