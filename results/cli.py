"""``python -m results``: tables, metrics, figures and the HTML report from trial files."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from stimuli.errors import LabInputError

EPILOG = """\
examples:
  python -m results verify                # the 2018 humans' published accuracies
  python -m results table geirhos2018-humans --csv > humans2018.csv
  python -m results table ../shared/data/geirhos2018/human-raw-data \\
      ../shared/data/geirhos2018/dnn-raw-data --csv > accuracy.csv
  python -m results table out/dnn data/sub-01 --rule mean
  python -m results consistency ../shared/data/model-vs-human/human-raw-data/contrast
  python -m results shape-bias ../shared/data/model-vs-human/human-raw-data/cue-conflict
  python -m results benchmark ../shared/data/geirhos2018/human-raw-data \\
      ../shared/data/geirhos2018/dnn-raw-data
  python -m results plot ../shared/data/geirhos2018/human-raw-data --out figs \\
      --kind confusion --experiment uniform-noise --condition 0.35
  python -m results report data/ out/dnn --out report/

PATH is a trial file, a folder (read recursively) or a tar archive of them: our TSVs
(sub-*/ses-*/beh/*_beh.tsv, <out>/<experiment>/<model>_<rule>_ses-<n>.tsv), the 2018 CSVs
or model-vs-human CSVs, in any mix. Two names stand for the authors' data:
geirhos2018-humans (bundled) and geirhos2018-dnn (after python -m results fetch).
"""

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
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(name: str, help_text: str, csv: bool = True) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_argument("paths", nargs="+", metavar="PATH", help="trial file or folder")
        cmd.add_argument("--rule", choices=RULES, default="sum",
                         help="network decision rule: sum (default; the 2018 paper's, the "
                              "*_sums columns of its CSVs), mean, max (our own files), "
                              "other (the unsuffixed decision columns of the 2018 CSVs)")
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
    plot = common("plot", "write figures (PNG + PDF)", csv=False)
    plot.add_argument("--out", required=True, type=Path, help="folder for the figures")
    plot.add_argument("--kind", choices=("figure3", "confusion", "consistency", "shape-bias",
                                         "rt", "figure4", "all"), default="all",
                      help="figure4: accuracy of trained networks on each distortion")
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


def _print(frame: pd.DataFrame, as_csv: bool) -> None:
    if as_csv:
        sys.stdout.write(frame.to_csv(index=False, na_rep="n/a"))
    elif frame.empty:
        print("(no rows)")
    else:
        print(frame.to_string(index=False, na_rep="n/a",
                              float_format=lambda v: f"{v:.4f}"))


def _plot(args: argparse.Namespace, table: pd.DataFrame) -> list[Path]:
    from results import figures
    from results.consistency import consistency_matrix, human_observers, pairwise_consistency
    from results.shape_bias import shape_bias

    paths: list[Path] = []
    kind = args.kind
    if kind in ("figure3", "all"):
        paths += figures.figure3(table, args.out)
    if kind in ("confusion", "all"):
        experiments = [args.experiment] if args.experiment else \
            figures.experiment_order(table["experiment"].unique())
        for experiment in experiments:
            if experiment not in set(table["experiment"]):
                raise LabInputError(f"no trials of experiment {experiment!r} in the input; "
                                    f"found {', '.join(sorted(table['experiment'].unique()))}")
            rows = table[table["experiment"] == experiment]
            condition = args.condition or figures.informative_condition(table, experiment)
            if condition not in set(rows["condition"]):
                raise LabInputError(
                    f"experiment {experiment!r} has no condition {condition!r} in the input; "
                    f"use one of {', '.join(sorted(rows['condition'].unique()))}")
            paths += figures.confusion_figure(table, experiment, condition, args.out)
    if kind in ("consistency", "all"):
        pairs = pairwise_consistency(table)
        for experiment in sorted(pairs["experiment"].unique()) if len(pairs) else []:
            rows = pairs[pairs["experiment"] == experiment]
            paths += figures.consistency_figure(consistency_matrix(pairs, experiment),
                                                experiment, human_observers(rows), args.out)
    if kind in ("shape-bias", "all"):
        paths += figures.shape_bias_figure(shape_bias(table), args.out)
    if kind in ("rt", "all"):
        paths += figures.rt_figure(table, args.out)
    if kind in ("figure4", "all"):
        from results.training_matrix import figure4

        paths += figure4(table, args.out)
    return paths


def _fetch(args: argparse.Namespace) -> int:
    from results.datasets import FetchOffline, fetch, missing_files, remote_dataset

    if not args.quiet:
        logging.getLogger("results.datasets").setLevel(logging.INFO)
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


def run(args: argparse.Namespace) -> int:
    from results.datasets import resolve_paths
    from results.readers import read_trials

    if args.command == "fetch":
        return _fetch(args)
    if args.command == "verify":
        return _verify(args)
    table = read_trials(resolve_paths(args.paths), rule=args.rule, progress=not args.quiet)
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
