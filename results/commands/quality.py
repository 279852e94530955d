"""``python -m results quality``: data quality per human observer."""

from __future__ import annotations

from results.commands._plain import register_plain_table

register_plain_table(
    "quality", "results.quality:quality_table", order=50,
    help="data quality per human observer (na rate, RTs, dropped frames, superseded "
         "records set aside)",
    example="python -m results quality data/")
