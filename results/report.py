"""One self-contained HTML report: tables, figures (embedded PNG), data quality and
provenance. The tables are also written as CSV and the figures as PNG beside it (and as
PDF with ``pdf=True``, ``results report --pdf``: print quality, but a third of the time).

The report's parts come from :mod:`results.registry`: each registered section (in
``results/sections/``) is built in order and the registered figures are drawn into the
section they name."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import logging
import multiprocessing as mp
import os
import platform
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from lab.lock import SessionLock
from lab.readers import HUMAN
from lab.trial_file import write_text_atomic
from results.figures._common import caution_outside_images
from results.intervals import MIN_TRIALS_PER_POINT, low_n_text, too_few
from results.plot_style import without_pdf
from results.registry import SECTIONS, FigureInput, FigureKind, Panel, figure_kinds, get_figure
from results.report_parts import ReportContext, Section, image_html

log = logging.getLogger(__name__)

REPORT_NAME = "report.html"

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em;
max-width:1200px;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:right;white-space:nowrap}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto;border:0}
.table-wrap{max-width:100%;overflow-x:auto;margin:.5em 0 1em}.table-wrap table{margin:0}
.missing{font-style:italic}
details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
.note{color:#555;font-size:.9em}
.simulated-banner{background:#fff3cd;border:3px solid #b00020;color:#5a0010;padding:.8em 1em;
font-size:1.1em;margin:1em 0}.simulated-banner strong{font-size:1.15em}
.low-n{color:#b00020;font-weight:600}.credits li{margin:.3em 0}
.provenance{background:#f6f8fa;padding:.6em;border-left:4px
solid #a51e37}
"""


def write_report(table: pd.DataFrame, out_dir: str | Path, *,
                 inputs: Sequence[str] = (), rule: str = "sum",
                 notes: Sequence[str] = (), pdf: bool = False,
                 workers: int | None = None) -> Path:
    """Analyse ``table`` (from :func:`lab.readers.read_trials`) and write
    ``<out_dir>/report.html`` with CSV tables and PNG figures beside it (``pdf``: PDFs
    too). Returns the report's path. ``notes`` (e.g. a demo's: where its stimuli come
    from) are shown at the top, after the banner of simulated observers. ``workers``:
    processes drawing the figures (:func:`draw_report_figures`).

    One report at a time per folder: a lock file (``.report.lock``, :mod:`lab.lock`)
    refuses a second run into the same folder in one line while the first writes (two at
    once raced on the same temporary files)."""
    out = Path(out_dir)
    with SessionLock(out / ".report.lock", what="this report folder"):
        return _write_report(table, out, inputs=inputs, rule=rule, notes=notes, pdf=pdf,
                             workers=workers)


def _write_report(table: pd.DataFrame, out: Path, *, inputs: Sequence[str], rule: str,
                  notes: Sequence[str], pdf: bool, workers: int | None) -> Path:
    """:func:`write_report`, its folder locked."""
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    ctx = ReportContext(FigureInput(table), out, rule)
    # the psignifit fits run in processes of their own from the start; what does not
    # need them is computed and drawn meanwhile, then what does
    ctx.data.start_background()
    sections: dict[str, Section] = {}
    drawn: dict[str, list[Panel]] = {}
    for waiting in (False, True):
        if waiting:
            ctx.data.wait_background()
        for kind in SECTIONS.all():
            if bool(kind.needs) == waiting:
                # sections may draw figures too: the page says the caution once per figure
                with caution_outside_images():
                    section = kind.build(ctx, Section(kind.anchor, kind.title, kind.order))
                if section is not None:  # a section with nothing to show in this input
                    sections[section.anchor] = section
        kinds = [kind for kind in figure_kinds() if bool(kind.needs) == waiting]
        drawn.update(zip((kind.name for kind in kinds), draw_report_figures(
            kinds, ctx.data, fig_dir, pdf=pdf, workers=workers), strict=True))
    for kind in figure_kinds():
        panels = drawn[kind.name]
        if not pdf:  # a PDF from an earlier --pdf run would no longer match its PNG
            for panel in panels:
                panel.png.with_suffix(".pdf").unlink(missing_ok=True)
        section = sections.get(kind.section)
        if section is None:  # a figure with a section of its own, when it drew anything
            if not panels:
                continue
            section = sections[kind.section] = Section(
                kind.section, kind.title, kind.order,
                intro=[f'<p class="note">{html.escape(kind.description)}</p>'])
        section.figures += _figure_html(kind, panels)
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


#: processes that draw the report's figures (each figure kind is drawn by one of them)
FIGURE_WORKERS = 2
_SHARED: dict[str, object] = {}  #: what forked workers inherit: the figure input


def draw_report_figures(kinds: Sequence[FigureKind], data: FigureInput, fig_dir: Path, *,
                        pdf: bool = False, workers: int | None = None) -> list[list[Panel]]:
    """Draw ``kinds`` into ``fig_dir`` as the report shows them (the caution line beside
    the image, not in it; PNG only unless ``pdf``): one list of panels per kind, in order.

    The figures are independent, so ``workers`` processes (default
    :data:`FIGURE_WORKERS`, at most the CPUs there are) draw them side by side, the
    figures of many panels first; forked, they share the computed analyses in ``data``
    without copying. Where there is no ``fork`` or one worker, they are drawn here."""
    workers = min(workers or FIGURE_WORKERS, len(kinds), os.cpu_count() or 1)
    if any(kind.needs for kind in kinds):  # here, not in a fork (it would wait forever)
        data.wait_background()
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return [_draw_one(kind, data, fig_dir, pdf) for kind in kinds]
    _SHARED["data"] = data
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            # the figures of one panel per experiment take longest: start them first
            first = sorted(range(len(kinds)), key=lambda i: not kinds[i].collapsed)
            futures = {i: pool.submit(_draw_forked, kinds[i].name, fig_dir, pdf)
                       for i in first}
            return [futures[i].result() for i in range(len(kinds))]
    finally:
        _SHARED.clear()


def _draw_one(kind: FigureKind, data: FigureInput, fig_dir: Path, pdf: bool) -> list[Panel]:
    with caution_outside_images(), contextlib.ExitStack() as stack:
        if not pdf:
            stack.enter_context(without_pdf())
        return kind.draw(data, fig_dir)


def _draw_forked(name: str, fig_dir: Path, pdf: bool) -> list[Panel]:
    """In a forked worker: draw figure ``name`` from the inherited figure input.

    A background analysis still running in the parent (the fork has no copy of its
    thread) is dropped here: a figure that reads it against its registration (``needs``)
    computes it afresh rather than waiting forever."""
    data = _SHARED["data"]
    assert isinstance(data, FigureInput)
    for key, value in list(data._cache.items()):
        if isinstance(value, Future) and not value.done():
            del data._cache[key]
    return _draw_one(get_figure(name), data, fig_dir, pdf)


def _figure_html(kind: FigureKind, panels: list[Panel]) -> list[str]:
    """The figure's images with one caution: before its first image (the fewest trials
    over its panels), or, for a folded figure, in each panel's summary line."""
    out = []
    if not kind.collapsed:
        fewest = [int(p.min_n) for p in panels if too_few(p.min_n)]
        if fewest:
            out.append(f'<p class="low-n" data-min-n="{min(fewest)}">'
                       f"{html.escape(low_n_text(min(fewest)))}</p>")
        return out + [image_html(p.png, p.caption or kind.name) for p in panels]
    for panel in panels:
        flag = (f' <span class="low-n">(fewer than {MIN_TRIALS_PER_POINT} trials per '
                "point)</span>"
                if too_few(panel.min_n) else "")
        out.append(f"<details><summary>{html.escape(panel.caption or kind.title)}{flag}"
                   f"</summary>{image_html(panel.png, panel.caption or kind.name)}</details>")
    return out


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


