"""``python -m results biases``: per-network biases and their rank correlations with
robustness."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lab.decision_rules import DEFAULT_RULE
from lab.errors import LabInputError
from results.registry import register_table


def _options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--correlations", action="store_true",
                     help="print the bias-robustness rank correlations instead")
    cmd.add_argument("--channel-method", choices=("psignifit", "stepped"),
                     default="psignifit", help="per-band thresholds [psignifit]")
    cmd.add_argument("--boot", type=int, default=2000,
                     help="bootstrap replicates for the correlations [2000]")
    cmd.add_argument("--groups", type=Path, metavar="FILE",
                     help="JSON {group: [network, ...]}: correlations per group (and all "
                          "but each group) besides all networks (Gavrikov & Keuper 2024)")


def _reads(paths: list[Path], args: argparse.Namespace, read) -> pd.DataFrame | None:
    """Per-model tables like Gavrikov & Keuper's ``benchmark.csv``: their biases and
    targets, or (``--correlations``) one row per subset, bias and target."""
    from results.gavrikov import (
        bias_rows,
        correlation_table,
        is_benchmark_csv,
        read_benchmark,
        read_groups,
    )
    if not paths or not all(is_benchmark_csv(p) for p in paths):
        # ImageNet/PGD trial files among the inputs: the generalisation targets
        # (read_trials leaves them out of the 16-class table)
        from lab.readers import read_imagenet_trials
        args.imagenet_trials = read_imagenet_trials(
            [p for p in paths if not is_benchmark_csv(p)])
        return None
    table = pd.concat([read_benchmark(p) for p in paths], ignore_index=True)
    groups = read_groups(args.groups) if args.groups else None
    return correlation_table(table, groups) if args.correlations else bias_rows(table, groups)


@register_table(
    "biases", rule=DEFAULT_RULE["gavrikov2024"], reads=_reads, order=70, arguments=_options,
    help="per network: shape bias, spectral bias, critical-band channel, accuracy per "
         "distortion and mean OOD accuracy, and with ImageNet/PGD trial files (python -m "
         "models imagenet / adversarial) Gavrikov & Keuper's targets ID, Robustness, "
         "Concepts, Adversarial; with --correlations, Spearman correlations across "
         "networks with 95%% bootstrap intervals",
    example="python -m results biases out/dnn\n"
            "python -m results biases out/dnn out/gen --correlations  # + imagenet/pgd "
            "targets\n"
            "python -m results biases out/dnn --correlations --boot 2000\n"
            "python -m results biases benchmark.csv --groups r50_categories.json "
            "--correlations --csv")
def biases_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.biases import MIN_CORRELATION_NETWORKS, bias_correlations, bias_table

    frame = bias_table(table, channel_method=args.channel_method,
                       imagenet=getattr(args, "imagenet_trials", None))
    if frame.empty:
        raise LabInputError("no network trials in the input; give scored networks")
    if args.correlations:
        from results.gavrikov import read_groups
        networks = len(frame)
        correlations = bias_correlations(frame, n_boot=max(args.boot, 10),
                                         groups=read_groups(args.groups) if args.groups
                                         else None)
        if correlations.empty:  # say why instead of an empty table
            raise LabInputError(
                f"a rank correlation across networks needs at least "
                f"{MIN_CORRELATION_NETWORKS} networks with both a "
                f"bias and an accuracy; this input has {networks} network"
                f"{'' if networks == 1 else 's'}: score more networks on the same sets "
                "(python -m results biases without --correlations shows each one)")
        return correlations
    return frame.assign(rule=args.rule)  # the decision rule the networks were read with
