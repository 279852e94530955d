"""``python -m results intervals``: bootstrap intervals and the human noise ceilings."""

from __future__ import annotations

import argparse

import pandas as pd

from results.commands._checks import check_boot
from results.registry import register_table


def _options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--what", choices=("accuracy", "consistency", "pairs", "shape-bias",
                                        "benchmark", "ceilings"),
                     default="benchmark",
                     help="which table: accuracy per condition, consistency per "
                          "pair and condition, pairs (mean over conditions), "
                          "shape-bias, benchmark (default), ceilings")
    cmd.add_argument("--boot", type=int, default=1000, help="bootstrap replicates [1000]")
    cmd.add_argument("--seed", type=int, default=0, help="bootstrap seed [0]")
    cmd.add_argument("--resample", choices=("observers", "trials"), default="observers",
                     help="observers: draw the observers with replacement, then their "
                          "trials (images), for claims about people (default); trials: "
                          "only trials/images within the observers at hand (an interval "
                          "for these observers only). Column 'resampled' says which")


@register_table(
    "intervals", order=60, arguments=_options,
    help="95%% bootstrap intervals of accuracy, error and observed consistency, shape "
         "bias and the benchmark metrics, and the human noise ceilings; group intervals "
         "resample observers, then trials (--resample trials: within observers only)",
    example="python -m results intervals data/ out/dnn --what benchmark --boot 1000\n"
            "python -m results intervals data/ out/dnn --what ceilings\n"
            "python -m results intervals data/ --what accuracy --resample trials")
def intervals_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results import uncertainty as u

    opts = {"n_boot": check_boot(args.boot), "seed": args.seed,
            "resample": getattr(args, "resample", u.OBSERVERS)}
    if args.what == "accuracy":
        return u.accuracy_intervals(table, **opts)
    if args.what in ("consistency", "pairs"):
        per_condition, per_pair, _ = u.consistency_intervals(table, **opts)
        return per_condition if args.what == "consistency" else per_pair
    if args.what == "shape-bias":
        return u.shape_bias_intervals(table, **opts)
    if args.what == "benchmark":
        return u.benchmark_intervals(table, **opts)
    return u.noise_ceilings(table, **opts)
