"""``python -m results thresholds``: psignifit 4 fits (Schütt et al. 2016) of every
parametric experiment."""

from __future__ import annotations

import argparse

import pandas as pd

from lab.errors import LabInputError
from results.commands._checks import check_criterion
from results.registry import register_table


def _options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--criterion", type=float, default=0.5,
                     help="proportion correct at threshold [0.5]")


@register_table(
    "thresholds", order=80, arguments=_options,
    help="psignifit 4 psychometric fits (16-AFC) of every parametric experiment per "
         "observer and network: threshold at the criterion and width, with 95%% credible "
         "intervals",
    example="python -m results thresholds data/ out/dnn --criterion 0.5 "
            "--csv > thresholds.csv\n"
            "python -m results thresholds geirhos2018-humans   # the 2018 humans")
def thresholds_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.psychometric import fit_all, threshold_table

    frame = threshold_table(fit_all(table, criterion=check_criterion(args.criterion)))
    if frame.empty:
        raise LabInputError("no parametric experiment (contrast, uniform-noise, low-pass, "
                            "high-pass, phase-scrambling, eidolon, critical-band) with "
                            "3 or more levels in the input")
    return frame
