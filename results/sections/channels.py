"""Report section: spatial-frequency channels from critical-band masking (Subramanian
et al. 2023; its figure: ``channels``)."""

from __future__ import annotations

from results.channels import banded_experiments
from results.registry import register_section
from results.report_parts import ReportContext, Section, table_html, write_csv


@register_section("channels", title="Spatial-frequency channels (critical-band masking)",
                  order=46)
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
        "95 % bootstrap intervals (Subramanian et al. 2023). Humans in that study: "
        "1.43 ± 0.54 octaves, centre about 39 cycles/image. Rows with "
        "<code>identified = false</code> bound the bandwidth rather than measure it.</p>")
    section.body.append(table_html(channels, "channels", digits=3))
    return section
