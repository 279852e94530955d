"""``python -m results``: tables, metrics, figures and the HTML report from trial files."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lab.errors import LabInputError

PATHS_NOTE = """\
PATH is a trial file, a folder (read recursively) or a tar archive of them: our TSVs
(sub-*/ses-*/beh/*_beh.tsv, <out>/<experiment>/<model>_<rule>_ses-<n>.tsv), the 2018 CSVs
or model-vs-human CSVs, in any mix. Two names stand for the authors' data:
geirhos2018-humans (bundled) and geirhos2018-dnn (after python -m results fetch).
In the examples, data/ is the booth's data folder and out/dnn the networks' scores
('python -m models score ... --out out/dnn')."""

#: One example block per command (``data/`` and ``out/dnn`` as a lab has them).
EXAMPLES: dict[str, str] = {
    "table": "python -m results table data/ out/dnn\n"
             "python -m results table data/ out/dnn --rule mean --csv > accuracy.csv\n"
             "python -m results table geirhos2018-humans --csv > humans2018.csv",
    "consistency": "python -m results consistency data/ out/dnn --csv > consistency.csv",
    "shape-bias": "python -m results shape-bias data/ out/dnn   # cue-conflict trials",
    "benchmark": "python -m results benchmark data/ out/dnn",
    "quality": "python -m results quality data/",
    "plot": "python -m results plot data/ out/dnn --out figures\n"
            "python -m results plot data/ out/dnn --out figures --kind figure3\n"
            "python -m results plot data/ out/dnn --out figures --kind confusion \\\n"
            "    --experiment uniform-noise --condition 0.35",
    "report": "python -m results report data/ out/dnn --out report/",
    "intervals": "python -m results intervals data/ out/dnn --what benchmark --boot 1000\n"
                 "python -m results intervals data/ out/dnn --what ceilings",
    "thresholds": "python -m results thresholds data/ out/dnn --criterion 0.5 "
                  "--csv > thresholds.csv\n"
                  "python -m results thresholds geirhos2018-humans   # the 2018 humans",
    "channels": "python -m results channels data/ out/dnn --method psignifit --boot 1000\n"
                "python -m results channels data/ out/dnn --bands   # per-band thresholds",
    "biases": "python -m results biases out/dnn\n"
              "python -m results biases out/dnn --correlations --boot 2000",
}


def _epilog(command: str | None = None) -> str:
    lines = EXAMPLES.values() if command is None else [EXAMPLES[command]]
    body = "\n".join("  " + line for block in lines for line in block.splitlines())
    title = "examples" if body.count("\n  python") else "example"
    return f"{title}:\n{body}\n\n{PATHS_NOTE}\n"

FETCH_EXAMPLE = """\
example:
  python -m results fetch geirhos2018-dnn          # into ~/.cache/vision-generalisation-lab
  python -m results table geirhos2018-humans geirhos2018-dnn
"""

RULES = ("sum", "mean", "max", "other")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m results",
        description="Analyse trial records of humans and networks (Geirhos et al. 2018).",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(name: str, help_text: str, csv: bool = True) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text,
                             epilog=_epilog(name) if name in EXAMPLES else PATHS_NOTE,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_argument("paths", nargs="+", metavar="PATH", help="trial file or folder")
        cmd.add_argument("--rule", choices=RULES, default=None,
                         help="network decision rule: sum (default; the 2018 paper's, the "
                              "*_sums columns of its CSVs), mean (default of biases: the "
                              "rule of Subramanian et al. 2023 and Gavrikov & Keuper 2024), "
                              "max (our own files), other (the unsuffixed decision columns "
                              "of the 2018 CSVs)")
        cmd.add_argument("-q", "--quiet", action="store_true", help="warnings only")
        if csv:
            cmd.add_argument("--csv", action="store_true", help="print CSV instead of text")
        return cmd

    common("table", "accuracy and response entropy per experiment, condition and observer "
           "group (humans, each model)")
    common("consistency", "error consistency (kappa) of every pair of observers per "
           "experiment and condition")
    common("shape-bias", "shape bias per observer and class on cue-conflict trials")
    common("benchmark", "model-vs-human benchmark metrics and OOD accuracy")
    common("quality", "data quality per human observer (na rate, RTs, dropped frames, "
           "superseded records set aside)")
    intervals = common("intervals", "95%% bootstrap intervals of accuracy, error and "
                       "observed consistency, shape bias and the benchmark metrics, and the "
                       "human noise ceilings")
    intervals.add_argument("--what", choices=("accuracy", "consistency", "pairs",
                                              "shape-bias", "benchmark", "ceilings"),
                           default="benchmark",
                           help="which table: accuracy per condition, consistency per "
                                "pair and condition, pairs (mean over conditions), "
                                "shape-bias, benchmark (default), ceilings")
    intervals.add_argument("--boot", type=int, default=1000,
                           help="bootstrap replicates [1000]")
    intervals.add_argument("--seed", type=int, default=0, help="bootstrap seed [0]")
    biases = common("biases", "per network: shape bias, spectral bias, critical-band "
                    "channel, accuracy per distortion and mean OOD accuracy; with "
                    "--correlations, Spearman correlations across networks with 95%% "
                    "bootstrap intervals")
    biases.add_argument("--correlations", action="store_true",
                        help="print the bias-robustness rank correlations instead")
    biases.add_argument("--channel-method", choices=("psignifit", "stepped"),
                        default="psignifit", help="per-band thresholds [psignifit]")
    biases.add_argument("--boot", type=int, default=2000,
                        help="bootstrap replicates for the correlations [2000]")
    biases.add_argument("--groups", type=Path, metavar="FILE",
                        help="JSON {group: [network, ...]}: correlations per group (and all "
                             "but each group) besides all networks, as Gavrikov & Keuper 2024")
    thresholds = common("thresholds", "psignifit 4 psychometric fits (16-AFC) of every "
                        "parametric experiment per observer and network: threshold at the "
                        "criterion and width, with 95%% credible intervals")
    thresholds.add_argument("--criterion", type=float, default=0.5,
                            help="proportion correct at threshold [0.5]")
    channels = common("channels", "critical-band masking: per-band noise thresholds and "
                      "the spatial-frequency channel (centre, bandwidth, peak sensitivity) "
                      "with 95%% bootstrap intervals")
    channels.add_argument("--criterion", type=float, default=0.5,
                          help="proportion correct at threshold [0.5]")
    channels.add_argument("--method", choices=("psignifit", "stepped", "subramanian2023"),
                          default="psignifit",
                          help="per-band threshold: psignifit fit (default), the highest "
                               "level still above the criterion, or subramanian2023: the "
                               "authors' whole analysis (stepped index j, bounded Gaussian, "
                               "BW, CF, PNS; also reads their noise<s>freq<k> JSON files)")
    channels.add_argument("--boot", type=int, default=1000,
                          help="bootstrap replicates for the intervals [1000]")
    channels.add_argument("--bands", action="store_true",
                          help="print the per-band thresholds instead of the channels")
    plot = common("plot", "write figures (PNG + PDF)", csv=False)
    plot.add_argument("--out", required=True, type=Path, help="folder for the figures")
    plot.add_argument("--kind", action="append", metavar="KIND",
                      help="figure to draw (repeatable; default: all): "
                           f"{', '.join(_figure_names())}")
    plot.add_argument("--experiment", help="confusion: experiment (default: all)")
    plot.add_argument("--condition", help="confusion: condition (default: the one where "
                                          "humans are closest to 50%% correct)")
    report = common("report", "write a self-contained HTML report with tables, figures, "
                    "data quality and provenance", csv=False)
    report.add_argument("--out", required=True, type=Path, help="folder for the report")
    report.add_argument("--note", action="append", default=[], metavar="TEXT",
                        help="a note shown at the top of the report (repeatable), e.g. "
                             "where the stimuli come from")

    verify = sub.add_parser(
        "verify", help="reproduce the 2018 paper's published accuracies from the raw data",
        description="Recompute the per-condition accuracies published with Geirhos et al. "
        "2018 from the bundled human raw data (and the networks' raw data where fetched) "
        "and compare them; exit 1 on any mismatch.",
        epilog="example:\n  python -m results verify\n  python -m results verify --fetch",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("--fetch", action="store_true",
                        help="fetch the networks' data first when not cached (about 57 MB)")
    verify.add_argument("--csv", action="store_true",
                        help="print every compared accuracy as CSV after the summary")
    fetch = sub.add_parser(
        "fetch", help="download the authors' network data once (sha256-checked, cached)",
        description="Download a published data set file by file into the cache, each "
        "checked against its sha256; an interrupted fetch continues. Offline: one line, "
        "exit 2.", epilog=FETCH_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    fetch.add_argument("name", choices=("geirhos2018-dnn",), help="the data set")
    for cmd in (verify, fetch):
        cmd.add_argument("--cache", type=Path, default=None,
                         help="cache folder (default: ~/.cache/vision-generalisation-lab)")
        cmd.add_argument("--url", help="base URL of a mirror (default: the authors' "
                                       "repository at a pinned commit)")
        cmd.add_argument("-q", "--quiet", action="store_true", help="warnings only")
    return parser


def _figure_names() -> list[str]:
    from results.figure_registry import list_figures
    return list_figures()


def _print(frame: pd.DataFrame, as_csv: bool) -> None:
    if as_csv:
        sys.stdout.write(frame.to_csv(index=False, na_rep="n/a"))
    elif frame.empty:
        print("(no rows)")
    else:
        print(frame.to_string(index=False, na_rep="n/a",
                              float_format=lambda v: f"{v:.4f}"))


def _plot(args: argparse.Namespace, table: pd.DataFrame) -> list[Path]:
    from results.figure_registry import FigureInput, draw_figures

    data = FigureInput(table, experiment=args.experiment, condition=args.condition)
    drawn = draw_figures(args.kind, data, args.out)
    return [path for _, panels in drawn for panel in panels for path in panel.paths]


def _check_criterion(criterion: float) -> float:
    if not 1 / 16 < criterion < 1:
        raise LabInputError(f"--criterion {criterion}: must lie between the guess rate "
                            "1/16 and 1 (e.g. 0.5)")
    return criterion


def _fetch(args: argparse.Namespace) -> int:
    from lab.datasets import FetchOffline, fetch, missing_files, remote_dataset

    if not args.quiet:
        logging.getLogger("lab.datasets").setLevel(logging.INFO)
    try:
        folder = fetch(args.name, args.cache, args.url)
    except FetchOffline as err:
        left = len(missing_files(args.name, args.cache))
        total = len(remote_dataset(args.name).files())
        print(f"error: {args.name} not fetched, the server cannot be reached ({err}); "
              f"{total - left} of {total} files cached; run again when online",
              file=sys.stderr)
        return 2
    print(folder)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from results.verify import verify

    lines, result = verify(args.cache, fetch_dnn=args.fetch, url=args.url)
    for line in lines:
        print(line)
    if args.csv:
        sys.stdout.write(result.to_csv(index=False, na_rep="n/a"))
    return 0 if bool(result["reproduced"].all()) else 1


def _gavrikov(args: argparse.Namespace, paths: list[Path]) -> int:
    """``biases`` on per-model tables like Gavrikov & Keuper's ``benchmark.csv``."""
    from results.gavrikov import bias_rows, correlation_table, read_benchmark, read_groups
    table = pd.concat([read_benchmark(p) for p in paths], ignore_index=True)
    groups = read_groups(args.groups) if args.groups else None
    _print(correlation_table(table, groups) if args.correlations else bias_rows(table, groups),
           args.csv)
    return 0


def run(args: argparse.Namespace) -> int:
    from lab.datasets import resolve_paths
    from lab.readers import read_trials

    if args.command == "fetch":
        return _fetch(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "plot":  # an unknown kind fails before the data are read
        from results.figure_registry import get_figure
        args.kind = ["all"] if not args.kind or "all" in args.kind else args.kind
        if args.kind != ["all"]:
            for name in args.kind:
                get_figure(name)
    chosen_rule = getattr(args, "rule", "sum") is not None
    if not chosen_rule:  # the rule each measure was made with
        args.rule = "mean" if args.command == "biases" else "sum"
    if args.command == "biases":
        from results.gavrikov import is_benchmark_csv
        paths = resolve_paths(args.paths)
        if paths and all(is_benchmark_csv(p) for p in paths):
            return _gavrikov(args, paths)
    if args.command == "channels" and args.method == "subramanian2023":
        from results.subramanian import subramanian_from_inputs
        _print(subramanian_from_inputs(resolve_paths(args.paths), lambda p: read_trials(
            p, rule=args.rule, progress=not args.quiet)), args.csv)
        return 0
    table = read_trials(resolve_paths(args.paths), rule=args.rule, progress=not args.quiet)
    if (args.command == "biases" and not chosen_rule
            and not (table["observer_type"] != "human").any()):
        logging.getLogger(__name__).warning(
            "no network trials scored with the mean rule (the papers' rule for biases); "
            "using sum; score with --rule mean to match Gavrikov & Keuper 2024")
        args.rule = "sum"
        table = read_trials(resolve_paths(args.paths), rule="sum", progress=not args.quiet)
    if args.command == "table":
        from results.tables import summary_table
        _print(summary_table(table), args.csv)
    elif args.command == "consistency":
        from results.consistency import pairwise_consistency
        _print(pairwise_consistency(table), args.csv)
    elif args.command == "shape-bias":
        from results.shape_bias import shape_bias
        bias = shape_bias(table)
        if bias.empty:
            raise LabInputError("no cue-conflict trials (image names <shape><n>-<texture><m>) "
                                "in the input; give cue-conflict data")
        _print(bias, args.csv)
    elif args.command == "benchmark":
        from results.benchmark import benchmark_table
        _print(benchmark_table(table), args.csv)
    elif args.command == "quality":
        from results.quality import quality_table
        _print(quality_table(table), args.csv)
    elif args.command == "intervals":
        from results import uncertainty as u
        if args.boot < 10:
            raise LabInputError(f"--boot {args.boot}: use at least 10 (1000 recommended)")
        opts = {"n_boot": args.boot, "seed": args.seed}
        if args.what == "accuracy":
            frame = u.accuracy_intervals(table, **opts)
        elif args.what in ("consistency", "pairs"):
            per_condition, per_pair, _ = u.consistency_intervals(table, **opts)
            frame = per_condition if args.what == "consistency" else per_pair
        elif args.what == "shape-bias":
            frame = u.shape_bias_intervals(table, **opts)
        elif args.what == "benchmark":
            frame = u.benchmark_intervals(table, **opts)
        else:
            frame = u.noise_ceilings(table, **opts)
        _print(frame, args.csv)
    elif args.command == "biases":
        from results.biases import bias_correlations, bias_table
        frame = bias_table(table, channel_method=args.channel_method)
        if frame.empty:
            raise LabInputError("no network trials in the input; give scored networks")
        if args.correlations:
            from results.gavrikov import read_groups
            frame = bias_correlations(frame, n_boot=max(args.boot, 10), groups=read_groups(
                args.groups) if args.groups else None)
        else:
            frame["rule"] = args.rule  # the decision rule the networks' trials were read with
        _print(frame, args.csv)
    elif args.command == "thresholds":
        from results.psychometric import fit_all, threshold_table
        frame = threshold_table(fit_all(table, criterion=_check_criterion(args.criterion)))
        if frame.empty:
            raise LabInputError("no parametric experiment (contrast, uniform-noise, low-pass, "
                                "high-pass, phase-scrambling, eidolon, critical-band) with "
                                "3 or more levels in the input")
        _print(frame, args.csv)
    elif args.command == "channels":
        from results.channels import channel_tables
        if args.boot < 10:
            raise LabInputError(f"--boot {args.boot}: use at least 10 (1000 recommended)")
        channels, bands = channel_tables(table, method=args.method, n_boot=args.boot,
                                         criterion=_check_criterion(args.criterion))
        if channels.empty:
            raise LabInputError("no critical-band trials with 4 or more bands in the input; "
                                "give critical-band data")
        _print(bands if args.bands else channels, args.csv)
    elif args.command == "plot":
        for path in _plot(args, table):
            print(path)
    elif args.command == "report":
        from results.report import write_report
        print(write_report(table, args.out, inputs=args.paths, rule=args.rule,
                           notes=args.note))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return run(args)
    except LabInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0
