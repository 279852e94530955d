"""``python -m results quality``: data quality per human observer."""

from __future__ import annotations

import argparse

import pandas as pd

from results.registry import register_table


@register_table(
    "quality", order=50,
    help="data quality per human observer (na rate, RTs, dropped frames, superseded "
         "records set aside)",
    example="python -m results quality data/")
def quality_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.quality import quality_table
    return quality_table(table)
