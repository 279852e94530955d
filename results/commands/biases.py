"""``python -m results biases``: per-network biases and their rank correlations with
robustness."""

from __future__ import annotations

import argparse

import pandas as pd

from lab.errors import LabInputError
from results.registry import register_table


def _options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--correlations", action="store_true",
                     help="print the bias-robustness rank correlations instead")
    cmd.add_argument("--channel-method", choices=("psignifit", "stepped"),
                     default="psignifit", help="per-band thresholds [psignifit]")
    cmd.add_argument("--boot", type=int, default=2000,
                     help="bootstrap replicates for the correlations [2000]")


@register_table(
    "biases", order=70, arguments=_options,
    help="per network: shape bias, spectral bias, critical-band channel, accuracy per "
         "distortion and mean OOD accuracy; with --correlations, Spearman correlations "
         "across networks with 95%% bootstrap intervals",
    example="python -m results biases out/dnn\n"
            "python -m results biases out/dnn --correlations --boot 2000")
def biases_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.biases import bias_correlations, bias_table

    frame = bias_table(table, channel_method=args.channel_method)
    if frame.empty:
        raise LabInputError("no network trials in the input; give scored networks")
    if args.correlations:
        networks = len(frame)
        frame = bias_correlations(frame, n_boot=max(args.boot, 10))
        if frame.empty:  # say why instead of an empty table
            raise LabInputError(
                "a rank correlation across networks needs at least 4 networks with both a "
                f"bias and an accuracy; this input has {networks} network"
                f"{'' if networks == 1 else 's'}: score more networks on the same sets "
                "(python -m results biases without --correlations shows each one)")
    return frame
