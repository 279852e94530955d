"""``python -m results``: tables, metrics, figures and the HTML report from trial files."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lab.decision_rules import DEFAULT, READ_RULES
from lab.errors import LabInputError
from lab.inputs import output_folder, run_command

log = logging.getLogger(__name__)

PATHS_NOTE = """\
PATH is a trial file, a folder (read recursively) or a tar archive of them: our TSVs
(sub-*/ses-*/beh/*_beh.tsv, <out>/<experiment>/<model>_<rule>_ses-<n>.tsv), the 2018 CSVs
or model-vs-human CSVs, in any mix. Two names stand for the authors' data:
geirhos2018-humans (bundled) and geirhos2018-dnn (after python -m results fetch).
In the examples, data/ is the booth's data folder and out/dnn the networks' scores
('python -m models score ... --out out/dnn')."""

PLOT_EXAMPLE = "python -m results plot data/ out/dnn --out figures"
REPORT_EXAMPLE = "python -m results report data/ out/dnn --out report/"


def _examples() -> dict[str, str]:
    """One example block per command, from the registry (tables, then plot and report)."""
    from results.registry import FIGURES, TABLES

    blocks = {kind.name: kind.example for kind in TABLES.all()}
    blocks["plot"] = "\n".join([PLOT_EXAMPLE] + [k.example for k in FIGURES.all()
                                                  if k.example])
    blocks["report"] = REPORT_EXAMPLE
    return blocks


def _epilog(examples: dict[str, str], command: str | None = None) -> str:
    lines = examples.values() if command is None else [examples[command]]
    body = "\n".join("  " + line for block in lines for line in block.splitlines())
    title = "examples" if body.count("\n  python") else "example"
    return f"{title}:\n{body}\n\n{PATHS_NOTE}\n"


FETCH_EXAMPLE = """\
example:
  python -m results fetch geirhos2018-dnn          # into ~/.cache/vision-generalisation-lab
  python -m results table geirhos2018-humans geirhos2018-dnn
"""

def _parser() -> argparse.ArgumentParser:
    from results.registry import TABLES, list_figures

    examples = _examples()
    parser = argparse.ArgumentParser(
        prog="python -m results",
        description="Analyse trial records of humans and networks (Geirhos et al. 2018).",
        epilog=_epilog(examples), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(name: str, help_text: str, csv: bool = True) -> argparse.ArgumentParser:
        # help= is %-formatted by argparse, the (raw) description is shown as written
        cmd = sub.add_parser(name, help=help_text, description=help_text.replace("%%", "%"),
                             epilog=_epilog(examples, name),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_argument("paths", nargs="+", metavar="PATH", help="trial file or folder")
        cmd.add_argument("--rule", choices=READ_RULES, default=None,
                         help="network decision rule: sum (default; the 2018 paper's, the "
                              "*_sums columns of its CSVs), mean, max (our own files), "
                              "other (the unsuffixed decision columns of the 2018 CSVs); "
                              "a command measuring a later paper's quantity defaults to "
                              "that paper's rule (biases: mean)")
        cmd.add_argument("-q", "--quiet", action="store_true", help="warnings only")
        if csv:
            cmd.add_argument("--csv", action="store_true", help="print CSV instead of text")
        return cmd

    for kind in TABLES.all():
        cmd = common(kind.name, kind.help, csv=kind.csv)
        if kind.arguments is not None:
            kind.arguments(cmd)
    plot = common("plot", "write figures (PNG + PDF)", csv=False)
    plot.add_argument("--out", required=True, type=Path, help="folder for the figures")
    plot.add_argument("--kind", action="append", metavar="KIND",
                      help="figure to draw (repeatable; default: all): "
                           f"{', '.join(list_figures())}")
    plot.add_argument("--contrast-humans", choices=("paper", "png"), default="paper",
                      help="figure4: the humans of the contrast row: those of the paper's "
                           "figure (contrast-experiment) or those who saw the PNG stimuli "
                           "(contrast-png-experiment) [paper]")
    plot.add_argument("--experiment", help="confusion: experiment (default: all)")
    plot.add_argument("--condition", help="confusion: condition (default: the one where "
                                          "humans are closest to 50%% correct)")
    report = common("report", "write a self-contained HTML report with tables, figures, "
                    "data quality and provenance", csv=False)
    report.add_argument("--out", required=True, type=Path, help="folder for the report")
    report.add_argument("--note", action="append", default=[], metavar="TEXT",
                        help="a note shown at the top of the report (repeatable), e.g. "
                             "where the stimuli come from")
    report.add_argument("--pdf", action="store_true",
                        help="also write each figure as PDF beside its PNG in "
                             "figures/ (for print; the page shows the PNGs)")

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
    verify.add_argument("--fine-tuning", type=Path, default=None, metavar="PATH",
                        help="the authors' fine-tuning data (folder or fine-tuning.tar.xz) "
                             "[the cache of geirhos2018-fine-tuning]")
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


def _print(frame: pd.DataFrame, as_csv: bool, legend: str = "") -> None:
    """``frame`` as CSV, or as text with ``legend`` under it (the CSV's columns are
    described in docs/analysis.md instead, so the file stays plain CSV). Counts and 0/1
    flags as integers and no negative zero, as in the report (:func:`tidy`)."""
    from results.report_parts import text_table, tidy

    if as_csv:
        sys.stdout.write(tidy(frame).to_csv(index=False, na_rep="n/a"))
    elif frame.empty:
        print("(no rows)")
    else:
        print(text_table(frame))
        if legend:
            print(f"\n{legend}")


def _plot(args: argparse.Namespace, table: pd.DataFrame) -> list[Path]:
    from results.registry import FigureInput, draw_figures

    data = FigureInput(table, experiment=args.experiment, condition=args.condition,
                       options={"contrast_humans": args.contrast_humans})
    drawn = draw_figures(args.kind, data, args.out)
    if args.kind != ["all"]:  # a figure asked for by name that draws nothing says why
        for kind, panels in drawn:
            if not panels:
                why = data.nothing_drawn(kind.name) or "the data hold nothing it shows"
                raise LabInputError(f"--kind {kind.name}: nothing to draw: {why}")
    return [path for _, panels in drawn for panel in panels for path in panel.paths]


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

    lines, result = verify(args.cache, fetch_dnn=args.fetch, url=args.url,
                           fine_tuning=args.fine_tuning)
    for line in lines:
        print(line)
    if args.csv:
        sys.stdout.write(result.to_csv(index=False, na_rep="n/a"))
    return 0 if bool(result["reproduced"].all()) else 1


def running_sessions(paths: Sequence[str | Path]) -> list[str]:
    """One line per session under ``paths`` still being run (its lock held by a live
    process): its trials are not all there yet."""
    from lab.lock import holder

    lines = []
    for raw in paths:
        folder = Path(raw)
        if not folder.is_dir():
            continue
        for lock in sorted(folder.rglob("*.lock")):
            info = holder(lock) if not lock.name.startswith(".") else None
            if info:
                lines.append(f"{lock.with_suffix('')}: the session is still running (process "
                             f"{info.get('pid')} on {info.get('host')}, since "
                             f"{info.get('started', '?')}); its trials are unfinished")
    return lines


def _check_outputs(args: argparse.Namespace) -> None:
    """Output folders before anything is read or written."""
    if getattr(args, "out", None) is not None:
        output_folder(args.out, f"folder for the {args.command}")
    if getattr(args, "cache", None) is not None:
        output_folder(args.cache, "cache folder", option="--cache")


def run(args: argparse.Namespace) -> int:
    from lab.datasets import resolve_paths
    from lab.readers import read_trials

    _check_outputs(args)
    if args.command == "fetch":
        return _fetch(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "plot":  # an unknown kind fails before the data are read
        from results.registry import get_figure
        args.kind = ["all"] if not args.kind or "all" in args.kind else args.kind
        if args.kind != ["all"]:
            for name in args.kind:
                get_figure(name)
    running = running_sessions(args.paths)
    if running and args.command in ("plot", "report"):
        raise LabInputError(f"{running[0]}: wait for it to end, then write the {args.command}")
    for line in running:
        log.warning("%s", line)
    from results.registry import TABLES
    kind = TABLES.get(args.command) if args.command in TABLES.names() else None
    chosen_rule = args.rule is not None
    if not chosen_rule:
        args.rule = (kind.rule if kind is not None and kind.rule else None) or DEFAULT
    paths = resolve_paths(args.paths)

    def read(files: list[Path]) -> pd.DataFrame:
        return read_trials(files, rule=args.rule, progress=not args.quiet)

    if kind is not None and kind.reads is not None:
        frame = kind.reads(paths, args, read)
        if frame is not None:
            _print(frame, args.csv, kind.legend)
            return 0
    fallback = not chosen_rule and args.rule != DEFAULT
    table = None
    try:
        table = read(paths)
    except LabInputError:
        if not fallback:
            raise
    if fallback and (table is None or not (table["observer_type"] != "human").any()):
        # no network trials of this command's rule: the default's, said once they are read
        # (an input with nothing to read fails here with its own error, and no warning)
        own, args.rule = args.rule, DEFAULT
        table = read(paths)
        log.warning("no network trials decided by the %s rule (%s's default); reading "
                    "the %s rule's instead: score with --rule %s to compare with the paper",
                    own, args.command, DEFAULT, own)
    if args.command == "plot":
        for path in _plot(args, table):
            print(path)
    elif args.command == "report":
        from results.report import write_report
        print(write_report(table, args.out, inputs=args.paths, rule=args.rule,
                           notes=args.note, pdf=args.pdf))
    else:
        from results.observers import mark_simulated
        _print(mark_simulated(kind.compute(table, args), table, as_csv=args.csv), args.csv,
               kind.legend)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    return run_command(lambda: run(args), interrupted="interrupted; run the same command "
                       "again (a fetch continues where it stopped)")
