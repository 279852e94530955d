"""``python -m results consistency``: error consistency of every pair of observers."""

from __future__ import annotations

import argparse

import pandas as pd

from results.registry import register_table


@register_table(
    "consistency", order=20,
    help="error consistency (kappa) of every pair of observers per experiment and "
         "condition",
    example="python -m results consistency data/ out/dnn --csv > consistency.csv")
def consistency_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.consistency import pairwise_consistency
    return pairwise_consistency(table)
