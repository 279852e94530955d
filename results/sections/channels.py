"""Report section: spatial-frequency channels from critical-band masking (Subramanian
et al. 2023; its figure: ``channels``)."""

from __future__ import annotations

from results.channels import banded_experiments
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("channels", title="Spatial-frequency channels (critical-band masking)",
                  order=46, needs=("psychometric_fits",))
def channels_section(ctx: ReportContext, section: Section) -> Section | None:
    """The channel per observer; one line why not without critical-band trials."""
    if not banded_experiments(ctx.table["experiment"]):
        section.missing("Channels need critical-band masking trials (python -m stimuli "
                        "build critical-band); this data has none.")
        return section
    channels, bands = ctx.data.channel_tables
    write_csv(channels, ctx.out, "channels.csv")
    write_csv(bands, ctx.out, "channel_bands.csv")
    section.intro.append(
        '<p class="note">Per band, the noise SD at the criterion from the psignifit '
        "fit; sensitivity = 1 / threshold; a Gaussian over log2 frequency gives the "
        "channel's centre (cycles/image, and cycles/degree from the viewing geometry), "
        "bandwidth (full width at half maximum, octaves) and peak sensitivity, with "
        "95 % bootstrap intervals (after Subramanian et al. 2023; their own analysis is "
        "<code>python -m results channels --method subramanian2023</code>). Humans in "
        "that study: 1.00 octave, 39.6 cycles/image (group matrix); 1.43 ± 0.54 octaves, "
        "39.1 ± 3.0 cycles/image (per observer). Rows with <code>identified = false</code> "
        "are not channels: the <code>reason</code> column says why (never above the "
        "criterion, too few measured bands, fit on a search bound). Bands whose criterion "
        "is never reached have no threshold (<code>status</code>).</p>")
    section.body.append(table_html(channels, "channels", digits=3))
    return section
