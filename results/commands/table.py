"""``python -m results table``: accuracy and response entropy per condition."""

from __future__ import annotations

import argparse

import pandas as pd

from results.registry import register_table


@register_table(
    "table", order=10,
    help="accuracy and response entropy per experiment, condition and observer group "
         "(humans, each model)",
    example="python -m results table data/ out/dnn\n"
            "python -m results table data/ out/dnn --rule mean --csv > accuracy.csv\n"
            "python -m results table geirhos2018-humans --csv > humans2018.csv")
def table_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.tables import summary_table
    return summary_table(table)
