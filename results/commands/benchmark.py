"""``python -m results benchmark``: the model-vs-human benchmark metrics."""

from __future__ import annotations

import argparse

import pandas as pd

from results.registry import register_table


@register_table(
    "benchmark", order=40,
    help="model-vs-human benchmark metrics and OOD accuracy",
    example="python -m results benchmark data/ out/dnn")
def benchmark_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.benchmark import benchmark_table
    return benchmark_table(table)
