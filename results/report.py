"""One self-contained HTML report: tables, figures (embedded PNG), data quality and
provenance. The tables are also written as CSV and the figures as PNG + PDF beside it."""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from lab.accounting import superseded_by_observer
from lab.readers import HUMAN
from lab.trial_file import write_text_atomic
from results.benchmark import benchmark_table, ood_conditions
from results.consistency import consistency_by_group
from results.credits import report_credits
from results.figure_registry import FigureInput, FigureKind, Panel, figure_kinds
from results.intervals import MIN_TRIALS_PER_POINT, low_n_text, too_few
from results.observers import label_observers
from results.quality import provenance_table, quality_table, shared_sha256, sources_table
from results.tables import summary_table

log = logging.getLogger(__name__)

REPORT_NAME = "report.html"

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em;
max-width:1200px;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto;border:0}
details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
.note{color:#555;font-size:.9em}
.simulated-banner{background:#fff3cd;border:3px solid #b00020;color:#5a0010;padding:.8em 1em;
font-size:1.1em;margin:1em 0}.simulated-banner strong{font-size:1.15em}
.low-n{color:#b00020;font-weight:600}.credits li{margin:.3em 0}
.provenance{background:#f6f8fa;padding:.6em;border-left:4px
solid #a51e37}
"""


def _table_html(frame: pd.DataFrame, section: str, digits: int = 4) -> str:
    if frame.empty:
        return '<p class="note">No data.</p>'
    return frame.to_html(index=False, na_rep="n/a", float_format=lambda v: f"{v:.{digits}f}",
                         border=0, classes=f"table {section}", table_id=f"table-{section}")


def _image_html(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def _csv(frame: pd.DataFrame, out: Path, name: str) -> None:
    write_text_atomic(out / name, frame.to_csv(index=False, na_rep="n/a"))


@dataclass
class Section:
    """One part of the report: ``intro`` HTML, then the figures registered for it, then
    ``body`` HTML. Sections appear in ``order``; the navigation line lists them all."""

    anchor: str
    title: str
    order: int
    intro: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    def html(self) -> str:
        return "\n".join([f'<h2 id="{self.anchor}">{html.escape(self.title)}</h2>',
                          *self.intro, *self.figures, *self.body])


@dataclass(frozen=True)
class ReportContext:
    """What every section builder gets: the shared figure input, the output folder and
    the network decision rule the table was read with."""

    data: FigureInput
    out: Path
    rule: str

    @property
    def table(self) -> pd.DataFrame:
        return self.data.table

    def labelled(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with simulated observers (and a group holding any) labelled."""
        return label_observers(frame, self.table)


SectionBuilder = Callable[[ReportContext], Section | None]


def write_report(table: pd.DataFrame, out_dir: str | Path, *,
                 inputs: Sequence[str] = (), rule: str = "sum",
                 notes: Sequence[str] = ()) -> Path:
    """Analyse ``table`` (from :func:`lab.readers.read_trials`) and write
    ``<out_dir>/report.html`` with CSV tables and PNG/PDF figures beside it. Returns the
    report's path. ``notes`` (e.g. a demo's: where its stimuli come from) are shown at the
    top, after the banner of simulated observers."""
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    ctx = ReportContext(FigureInput(table), out, rule)
    sections: dict[str, Section] = {}
    from results.report_thresholds import BUILDERS as uncertainty_builders

    for build in [*SECTION_BUILDERS, *uncertainty_builders]:
        section = build(ctx)
        if section is not None:  # a builder with nothing to show in this input
            sections[section.anchor] = section
    for kind in figure_kinds():
        panels = kind.draw(ctx.data, fig_dir)
        section = sections.get(kind.section)
        if section is None:  # a figure with a section of its own, when it drew anything
            if not panels:
                continue
            section = sections[kind.section] = Section(
                kind.section, kind.title, kind.order,
                intro=[f'<p class="note">{html.escape(kind.description)}</p>'])
        section.figures += [_panel_html(kind, panel) for panel in panels]
    credits = _credits_section(ctx)
    sections[credits.anchor] = credits
    ordered = sorted(sections.values(), key=lambda s: s.order)

    title = "Generalisation in humans and DNNs: analysis report"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"<h1>{title}</h1><p class='note'>Generated {now} from "
              f"{html.escape(', '.join(map(str, inputs)) or 'records')}; "
              f"{len(table)} trials; Python {platform.python_version()}, pandas "
              f"{pd.__version__}, numpy {np.__version__}, matplotlib "
              f"{matplotlib.__version__}.</p>")
    nav = ("<p>" + " · ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>'
                              for s in ordered) + "</p>")
    page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}"
            f"</title><style>{_CSS}</style></head><body>\n{header}\n"
            f"{_simulated_banner(ctx)}{_notes_html(notes)}{nav}\n"
            + "\n".join(s.html() for s in ordered) + "\n</body></html>\n")
    path = out / REPORT_NAME
    write_text_atomic(path, page)
    log.info("report written to %s", path)
    return path


def _panel_html(kind: FigureKind, panel: Panel) -> str:
    image = _image_html(panel.png, panel.caption or kind.name)
    warning = ""
    if too_few(panel.min_n):
        warning = (f'<p class="low-n" data-min-n="{panel.min_n}">'
                   f"{html.escape(low_n_text(int(panel.min_n)))}</p>")
    if kind.collapsed:
        flag = (f' <span class="low-n">(fewer than {MIN_TRIALS_PER_POINT} trials per point)'
                "</span>" if warning else "")
        return (f"<details><summary>{html.escape(panel.caption or kind.title)}{flag}</summary>"
                f"{warning}{image}</details>")
    return warning + image


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return ('<div class="provenance" id="notes"><p>'
            + "</p><p>".join(html.escape(n) for n in notes) + "</p></div>\n")


def _simulated_banner(ctx: ReportContext) -> str:
    """A banner at the top when any observer is simulated: these are not human data."""
    simulated = ctx.data.simulated
    if not simulated:
        return ""
    items = "".join(f"<li><code>{html.escape(observer)}</code>: {html.escape(label)}</li>"
                    for observer, label in sorted(simulated.items()))
    humans = ctx.table.loc[ctx.table["observer_type"] == HUMAN, "observer"].nunique()
    share = ("All human observers in this report are simulated" if len(simulated) >= humans
             else f"{len(simulated)} of {humans} human observers are simulated")
    return (f'<div class="simulated-banner" id="simulated-banner" role="alert"><strong>'
            f"Simulated data.</strong> {share}: their answers were generated by a program, "
            "not given by people. They show what the analysis does, not how humans see; "
            "do not report them as a result. Figures and tables mark them as simulated."
            f"<ul>{items}</ul></div>\n")


# -- the built-in sections -----------------------------------------------------------------
def _provenance_section(ctx: ReportContext) -> Section:
    table = ctx.table
    provenance = provenance_table(table)
    _csv(provenance, ctx.out, "provenance.csv")
    shared = shared_sha256(table)
    write_text_atomic(ctx.out / "shared_sha256.txt", "".join(f"{s}\n" for s in sorted(shared)))
    total = provenance[provenance["experiment"] == "all"]
    shared_files = int(total["shared"].iloc[0]) if len(total) else 0
    by_sha = bool((table["sha256"] != "").any())
    line = (f"stimulus files: {shared_files} shared by humans and models"
            + (f" ({len(shared)} identified by sha256)" if by_sha else
               " (identified by image name: the original data carry no sha256)"))
    return Section("provenance", "Provenance", 0, intro=[
        f'<p class="provenance" id="provenance-line">{html.escape(line)}</p>',
        '<p class="note">Distinct stimulus files per experiment seen by humans, by networks '
        "and by both. The sha256s shared by both are listed in "
        "<code>shared_sha256.txt</code>.</p>",
        _table_html(provenance, "provenance"),
        "<h3>Sources read</h3>", _table_html(sources_table(table), "sources"),
    ])


def _accuracy_section(ctx: ReportContext) -> Section:
    summary = summary_table(ctx.table)
    _csv(summary, ctx.out, "accuracy_entropy.csv")
    return Section("accuracy", "Accuracy and response entropy", 10, intro=[
        '<p class="note">Accuracy counts <code>na</code> as wrong; entropy (bits, max 4) '
        "of the distribution of answers, <code>na</code> excluded. Per human observer or "
        "per network session, then the mean; bands and min/max show the range over "
        "observers (sessions). Network decision rule: "
        f"<code>{html.escape(ctx.rule)}</code>.</p>"],
        body=[f"<details><summary>Table ({len(summary)} rows: n = trials, 95 % Wilson "
              "interval of the pooled trials)</summary>"
              f"{_table_html(ctx.labelled(summary), 'accuracy')}</details>"])


def _consistency_section(ctx: ReportContext) -> Section:
    pairs = ctx.data.pairs
    _csv(pairs, ctx.out, "error_consistency_pairs.csv")
    section = Section("consistency", "Error consistency", 20, intro=[
        '<p class="note">Cohen\'s kappa of trial-by-trial agreement beyond what the two '
        "accuracies predict (Geirhos, Meding &amp; Wichmann 2020), per condition and "
        "pair on the trials both saw (matched by sha256, or by image name for the "
        "original data), here averaged over conditions. All pairs: "
        "<code>error_consistency_pairs.csv</code>.</p>"])
    if pairs.empty:
        section.intro.append('<p class="note">No two observers saw the same images.</p>')
        return section
    section.body += ["<h3>Mean error consistency with the humans, per condition</h3>",
                     _table_html(ctx.labelled(consistency_by_group(pairs)), "consistency")]
    return section


def _benchmark_section(ctx: ReportContext) -> Section:
    bench = ctx.data.cached("benchmark", lambda: benchmark_table(ctx.table))
    conditions = ood_conditions(ctx.table)
    _csv(bench, ctx.out, "benchmark.csv")
    _csv(conditions, ctx.out, "ood_conditions.csv")
    excluded = conditions[~conditions["included"]]
    return Section("benchmark", "Model-vs-human benchmark metrics", 30, intro=[
        '<p class="note">OOD accuracy, accuracy difference (model − human)², observed and '
        "error consistency with each human (Geirhos et al. 2021), over the conditions that "
        "are neither the control condition nor below 20 % human accuracy, averaged over "
        "conditions, humans and experiments. The <code>humans</code> row compares humans "
        "with each other.</p>",
        _table_html(ctx.labelled(bench), "benchmark"),
        f"<details><summary>Excluded conditions ({len(excluded)})</summary>"
        f"{_table_html(excluded, 'excluded')}</details>",
    ])


def _shape_bias_section(ctx: ReportContext) -> Section:
    bias = ctx.data.shape_bias
    section = Section("shape-bias", "Shape bias", 40)
    if bias.empty:
        section.intro.append('<p class="note">No cue-conflict trials.</p>')
        return section
    _csv(bias, ctx.out, "shape_bias.csv")
    section.intro.append(
        '<p class="note">Cue-conflict images without a conflict (shape class = texture '
        "class) dropped; shape bias = shape hits / (shape + texture hits). Humans "
        "pooled.</p>")
    section.body.append(_table_html(ctx.labelled(bias[bias["category"] == "all"]),
                                    "shape-bias"))
    return section


def _confusion_section(ctx: ReportContext) -> Section:
    return Section("confusion", "Confusion matrices", 50, intro=[
        '<p class="note">Per experiment, at the condition where the humans\' accuracy is '
        "closest to 50 % (where confusions are most telling); rows: presented class, "
        "columns: answer. Others: <code>python -m results plot --kind confusion</code>."
        "</p>"])


def _quality_section(ctx: ReportContext) -> Section:
    quality = quality_table(ctx.table)
    _csv(quality, ctx.out, "data_quality.csv")
    return Section("quality", "Data quality", 90, intro=[
        '<p class="note">Per human observer: share of trials without an answer '
        "(<code>na</code>), response times of answered trials (median, 10th and 90th "
        "percentile, answers under 200 ms), and for our own records trials flagged for "
        "a dropped frame during image or mask and the dropped frames (n/a: not recorded "
        "in the original data).</p>",
        _superseded_html(ctx.table),
        _table_html(ctx.labelled(quality), "quality", digits=3)])


#: The report's own sections (figures join them through the figure registry).
SECTION_BUILDERS: list[SectionBuilder] = [
    _provenance_section, _accuracy_section, _consistency_section, _benchmark_section,
    _shape_bias_section, _confusion_section, _quality_section,
]


def _credits_section(ctx: ReportContext) -> Section:
    """The papers this report rests on (:mod:`results.credits`), always present."""
    credits = report_credits(
        ctx.table, shape_bias_used=not ctx.data.shape_bias.empty,
        consistency_used=not ctx.data.pairs.empty,
        benchmark_used=not ctx.data.cached("benchmark",
                                           lambda: benchmark_table(ctx.table)).empty)
    items = "".join(f"<li>{html.escape(c.reference)} <span class='note'>Used: "
                    f"{html.escape(c.why)}.</span></li>" for c in credits)
    return Section("credits", "Credits", 1000, intro=[
        '<p class="note">Please cite the work this analysis rests on:</p>',
        f'<ul class="credits">{items}</ul>'])


def _superseded_html(table: pd.DataFrame) -> str:
    """The accounting line: superseded records set aside, per observer."""
    counts = superseded_by_observer(table)
    total = int(counts["superseded"].sum()) if len(counts) else 0
    rule = ("Each planned trial counts once: its last attempt. A trial flagged for a dropped "
            "frame is re-run at the end of its block with the same trial number; ")
    if not total:
        line = rule + "no superseded records were set aside."
        return f'<p class="note" id="superseded">{html.escape(line)}</p>'
    per = ", ".join(f"{r.observer} ({r.experiment}): {r.superseded}"
                    for r in counts.itertuples(index=False))
    line = rule + f"{total} superseded record{'s' if total != 1 else ''} set aside: {per}."
    return f'<p class="note" id="superseded">{html.escape(line)}</p>'
