"""One self-contained HTML report: tables, figures (embedded PNG), data quality and
provenance. The tables are also written as CSV and the figures as PNG + PDF beside it."""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import platform
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from results import figures
from results.accounting import superseded_by_observer
from results.benchmark import benchmark_table, ood_conditions
from results.consistency import (
    consistency_by_group,
    consistency_matrix,
    human_observers,
    pairwise_consistency,
)
from results.quality import provenance_table, quality_table, shared_sha256, sources_table
from results.shape_bias import shape_bias
from results.tables import summary_table
from results.trial_file import write_text_atomic

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
.note{color:#555;font-size:.9em}.provenance{background:#f6f8fa;padding:.6em;border-left:4px
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


def _notes_html(table: pd.DataFrame, notes: Sequence[str]) -> str:
    """What a reader must know first: simulated observers (from the sessions' sidecars)
    and the caller's notes (e.g. the demo's: where its stimuli come from)."""
    items = []
    if "simulated" in table.columns:
        simulated = table[table["simulated"] != ""]
        for label, rows in simulated.groupby("simulated", sort=True):
            observers = ", ".join(sorted(rows["observer"].unique()))
            items.append(f"<b>Simulated observers</b> ({html.escape(observers)}): "
                         f"{html.escape(str(label))}. Their trials are not measurements of "
                         "people; the curves labelled humans include them.")
    items += [html.escape(note) for note in notes]
    if not items:
        return ""
    return ('<div class="provenance" id="notes"><p>' + "</p><p>".join(items)
            + "</p></div>")


def write_report(table: pd.DataFrame, out_dir: str | Path, *,
                 inputs: Sequence[str] = (), rule: str = "sum",
                 notes: Sequence[str] = ()) -> Path:
    """Analyse ``table`` (from :func:`results.readers.read_trials`) and write
    ``<out_dir>/report.html`` with CSV tables and PNG/PDF figures beside it. Returns the
    report's path. ``notes`` are shown at the top, after any simulated observers."""
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    sections: list[str] = []

    summary = summary_table(table)
    _csv(summary, out, "accuracy_entropy.csv")
    provenance = provenance_table(table)
    _csv(provenance, out, "provenance.csv")
    shared = shared_sha256(table)
    write_text_atomic(out / "shared_sha256.txt", "".join(f"{s}\n" for s in sorted(shared)))
    sections.append(_provenance_section(table, provenance, shared))

    parts = ['<h2 id="accuracy">Accuracy and response entropy</h2>',
             '<p class="note">Accuracy counts <code>na</code> as wrong; entropy (bits, max 4) '
             "of the distribution of answers, <code>na</code> excluded. Per human observer or "
             "per network session, then the mean; bands and min/max show the range over "
             "observers (sessions). Network decision rule: "
             f"<code>{html.escape(rule)}</code>.</p>"]
    for path in figures.figure3(table, fig_dir)[::2]:
        parts.append(_image_html(path, path.stem))
    parts.append(f"<details><summary>Table ({len(summary)} rows)</summary>"
                 f"{_table_html(summary, 'accuracy')}</details>")
    sections.append("\n".join(parts))

    sections.append(_consistency_section(table, out, fig_dir))
    sections.append(_benchmark_section(table, out))
    sections.append(_shape_bias_section(table, out, fig_dir))
    sections.append(_confusion_section(table, fig_dir))
    sections.append(_quality_section(table, out, fig_dir))
    sections.append(_credits(table))

    title = "Generalisation in humans and DNNs: analysis report"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"<h1>{title}</h1><p class='note'>Generated {now} from "
              f"{html.escape(', '.join(map(str, inputs)) or 'records')}; "
              f"{len(table)} trials; Python {platform.python_version()}, pandas "
              f"{pd.__version__}, numpy {np.__version__}, matplotlib "
              f"{matplotlib.__version__}.</p>")
    nav = ("<p>" + " · ".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("provenance", "Provenance"), ("accuracy", "Accuracy & entropy"),
        ("consistency", "Error consistency"), ("benchmark", "Benchmark"),
        ("shape-bias", "Shape bias"), ("confusion", "Confusion matrices"),
        ("quality", "Data quality"))) + "</p>")
    page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}"
            f"</title><style>{_CSS}</style></head><body>\n{header}\n"
            f"{_notes_html(table, notes)}\n{nav}\n"
            + "\n".join(sections) + "\n</body></html>\n")
    path = out / REPORT_NAME
    write_text_atomic(path, page)
    log.info("report written to %s", path)
    return path


def _provenance_section(table: pd.DataFrame, provenance: pd.DataFrame,
                        shared: set[str]) -> str:
    total = provenance[provenance["experiment"] == "all"]
    shared_files = int(total["shared"].iloc[0]) if len(total) else 0
    by_sha = bool((table["sha256"] != "").any())
    line = (f"stimulus files: {shared_files} shared by humans and models"
            + (f" ({len(shared)} identified by sha256)" if by_sha else
               " (identified by image name: the original data carry no sha256)"))
    return "\n".join([
        '<h2 id="provenance">Provenance</h2>',
        f'<p class="provenance" id="provenance-line">{html.escape(line)}</p>',
        '<p class="note">Distinct stimulus files per experiment seen by humans, by networks '
        "and by both. The sha256s shared by both are listed in "
        "<code>shared_sha256.txt</code>.</p>",
        _table_html(provenance, "provenance"),
        "<h3>Sources read</h3>", _table_html(sources_table(table), "sources"),
    ])


def _consistency_section(table: pd.DataFrame, out: Path, fig_dir: Path) -> str:
    pairs = pairwise_consistency(table)
    _csv(pairs, out, "error_consistency_pairs.csv")
    parts = ['<h2 id="consistency">Error consistency</h2>',
             '<p class="note">Cohen\'s kappa of trial-by-trial agreement beyond what the two '
             "accuracies predict (Geirhos, Meding &amp; Wichmann 2020), per condition and "
             "pair on the trials both saw (matched by sha256, or by image name for the "
             "original data), here averaged over conditions. All pairs: "
             "<code>error_consistency_pairs.csv</code>.</p>"]
    if pairs.empty:
        parts.append('<p class="note">No two observers saw the same images.</p>')
        return "\n".join(parts)
    for experiment in figures.experiment_order(pairs["experiment"].unique()):
        matrix = consistency_matrix(pairs, experiment)
        rows = pairs[pairs["experiment"] == experiment]
        paths = figures.consistency_figure(matrix, experiment, human_observers(rows), fig_dir)
        if paths:
            median_n = int(rows["n_trials"].median())
            parts.append(f"<details><summary>{html.escape(experiment)} (median "
                         f"{median_n} shared trials per pair and condition)</summary>"
                         f"{_image_html(paths[0], experiment)}</details>")
    by_group = consistency_by_group(pairs)
    parts.append("<h3>Mean error consistency with the humans, per condition</h3>")
    parts.append(_table_html(by_group, "consistency"))
    return "\n".join(parts)


def _benchmark_section(table: pd.DataFrame, out: Path) -> str:
    bench = benchmark_table(table)
    conditions = ood_conditions(table)
    _csv(bench, out, "benchmark.csv")
    _csv(conditions, out, "ood_conditions.csv")
    excluded = conditions[~conditions["included"]]
    return "\n".join([
        '<h2 id="benchmark">Model-vs-human benchmark metrics</h2>',
        '<p class="note">OOD accuracy, accuracy difference (model − human)², observed and '
        "error consistency with each human (Geirhos et al. 2021), over the conditions that "
        "are neither the control condition nor below 20 % human accuracy, averaged over "
        "conditions, humans and experiments. The <code>humans</code> row compares humans "
        "with each other.</p>",
        _table_html(bench, "benchmark"),
        f"<details><summary>Excluded conditions ({len(excluded)})</summary>"
        f"{_table_html(excluded, 'excluded')}</details>",
    ])


def _shape_bias_section(table: pd.DataFrame, out: Path, fig_dir: Path) -> str:
    bias = shape_bias(table)
    parts = ['<h2 id="shape-bias">Shape bias</h2>']
    if bias.empty:
        parts.append('<p class="note">No cue-conflict trials.</p>')
        return "\n".join(parts)
    _csv(bias, out, "shape_bias.csv")
    parts.append('<p class="note">Cue-conflict images without a conflict (shape class = '
                 "texture class) dropped; shape bias = shape hits / (shape + texture hits). "
                 "Humans pooled.</p>")
    for path in figures.shape_bias_figure(bias, fig_dir)[:1]:
        parts.append(_image_html(path, "shape bias"))
    overall = bias[bias["category"] == "all"]
    parts.append(_table_html(overall, "shape-bias"))
    return "\n".join(parts)


def _confusion_section(table: pd.DataFrame, fig_dir: Path) -> str:
    parts = ['<h2 id="confusion">Confusion matrices</h2>',
             '<p class="note">Per experiment, at the condition where the humans\' accuracy is '
             "closest to 50 % (where confusions are most telling); rows: presented class, "
             "columns: answer. Others: <code>python -m results plot --kind confusion</code>."
             "</p>"]
    for experiment in figures.experiment_order(table["experiment"].unique()):
        condition = figures.informative_condition(table, experiment)
        paths = figures.confusion_figure(table, experiment, condition, fig_dir)
        if paths:
            parts.append(f"<details><summary>{html.escape(experiment)}, condition "
                         f"{html.escape(condition)}</summary>"
                         f"{_image_html(paths[0], experiment)}</details>")
    return "\n".join(parts)


def _quality_section(table: pd.DataFrame, out: Path, fig_dir: Path) -> str:
    quality = quality_table(table)
    _csv(quality, out, "data_quality.csv")
    parts = ['<h2 id="quality">Data quality</h2>',
             '<p class="note">Per human observer: share of trials without an answer '
             "(<code>na</code>), response times of answered trials (median, 10th and 90th "
             "percentile, answers under 200 ms), and for our own records trials flagged for "
             "a dropped frame during image or mask and the dropped frames (n/a: not recorded "
             "in the original data).</p>",
             _superseded_html(table),
             _table_html(quality, "quality", digits=3)]
    for path in figures.rt_figure(table, fig_dir)[:1]:
        parts.append(f"<details><summary>Response-time distributions</summary>"
                     f"{_image_html(path, 'response times')}</details>")
    return "\n".join(parts)


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


def _credits(table: pd.DataFrame) -> str:
    formats = set(table["source_format"])
    lines = []
    if "geirhos2018" in formats:
        lines.append("Geirhos, Temme, Rauber, Schütt, Bethge &amp; Wichmann (2018), "
                     "Generalisation in humans and deep neural networks, NeurIPS; data "
                     "CC-BY 4.0.")
    if "model-vs-human" in formats or (table["texture"] != "").any():
        lines.append("Geirhos et al. (2021), Partial success in closing the gap between "
                     "human and machine vision (model-vs-human); Geirhos et al. (2019), "
                     "ImageNet-trained CNNs are biased towards texture.")
    if not lines:
        return ""
    return "<h2>Credits</h2><p class='note'>" + "<br>".join(lines) + "</p>"
