"""``python -m results channels``: critical-band masking, per-band thresholds and the
spatial-frequency channel (Subramanian et al. 2023)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lab.errors import LabInputError
from results.commands._checks import check_boot, check_criterion
from results.registry import register_table


def _options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--criterion", type=float, default=0.5,
                     help="proportion correct at threshold [0.5]")
    cmd.add_argument("--method", choices=("psignifit", "stepped", "subramanian2023"),
                     default="psignifit",
                     help="per-band threshold: psignifit fit (default), the highest level "
                          "still above the criterion, or subramanian2023: the authors' "
                          "whole analysis (stepped index j, bounded Gaussian, BW, CF, PNS; "
                          "also reads their noise<s>freq<k> JSON files)")
    cmd.add_argument("--boot", type=int, default=1000,
                     help="bootstrap replicates for the intervals [1000]")
    cmd.add_argument("--bands", action="store_true",
                     help="print the per-band thresholds instead of the channels")


def _reads(paths: list[Path], args: argparse.Namespace, read) -> pd.DataFrame | None:
    """``--method subramanian2023`` reads trial files and the authors' JSON files."""
    if args.method != "subramanian2023":
        return None
    from results.subramanian import subramanian_from_inputs
    return subramanian_from_inputs(paths, read)


@register_table(
    "channels", reads=_reads, order=90, arguments=_options,
    help="critical-band masking: per-band noise thresholds and the spatial-frequency "
         "channel (centre, bandwidth, peak sensitivity) with 95%% bootstrap intervals",
    example="python -m results channels data/ out/dnn --method psignifit --boot 1000\n"
            "python -m results channels data/ out/dnn --bands   # per-band thresholds\n"
            "python -m results channels network_data/ --method subramanian2023  # theirs")
def channels_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.channels import channel_tables

    check_boot(args.boot)
    channels, bands = channel_tables(table, method=args.method, n_boot=args.boot,
                                     criterion=check_criterion(args.criterion))
    if channels.empty:
        raise LabInputError("no critical-band trials with 4 or more bands in the input; "
                            "give critical-band data")
    return bands if args.bands else channels
