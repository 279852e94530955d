"""``python -m results benchmark``: the model-vs-human benchmark metrics (Geirhos et al.
2021): the humans' row and every network's, averaged over the data sets and per data set,
with which of model-vs-human's 17 data sets the input had and had not."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from results.registry import register_table


def _options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--per-dataset", action="store_true",
                     help="with --csv: the per-data-set table instead of the averages")


def _text(frame: pd.DataFrame) -> str:
    from results.report_parts import text_table
    return text_table(frame)


@register_table(
    "benchmark", order=40, arguments=_options,
    help="model-vs-human benchmark metrics and OOD accuracy: the humans' row and every "
         "network's, averaged over the data sets and per data set, with the data sets of "
         "model-vs-human's 17 it had and had not",
    example="python -m results benchmark data/ out/dnn\n"
            "python -m results benchmark data/ out/dnn --csv --per-dataset > benchmark.csv")
def benchmark_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.benchmark import (
        MODEL_VS_HUMAN_DATASETS,
        benchmark_coverage,
        benchmark_per_experiment,
        benchmark_table,
    )
    if args.csv:
        return benchmark_per_experiment(table) if args.per_dataset else benchmark_table(table)
    coverage = benchmark_coverage(table)
    n_all = len(MODEL_VS_HUMAN_DATASETS)
    other = f" (and other experiments: {', '.join(coverage['other'])})" \
        if coverage["other"] else ""
    averaged = benchmark_table(table)
    sys.stdout.write(
        f"data sets had ({len(coverage['had'])} of {n_all}): "
        f"{', '.join(coverage['had']) or 'none'}{other}\n"
        f"data sets not had ({len(coverage['missing'])}): "
        f"{', '.join(coverage['missing']) or 'none'}\n\n"
        "averaged over the data sets\n"
        + (_text(averaged) if not averaged.empty else "(no rows)")
        + "\n\nper data set\n")
    return benchmark_per_experiment(table)
