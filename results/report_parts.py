"""What report sections are built from (public, for every module in
``results/sections/``): the :class:`Section` being filled, the :class:`ReportContext` each
section builder gets, and the HTML/CSV helpers :func:`table_html`, :func:`write_csv` and
:func:`image_html`. The report itself is :func:`results.report.write_report`."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lab.trial_file import write_text_atomic
from results.observers import label_observers
from results.registry import FigureInput


def table_html(frame: pd.DataFrame, section: str, digits: int = 4) -> str:
    """``frame`` as an HTML table (id ``table-<section>``); a note when it is empty."""
    if frame.empty:
        return '<p class="note">No data.</p>'
    return frame.to_html(index=False, na_rep="n/a", float_format=lambda v: f"{v:.{digits}f}",
                         border=0, classes=f"table {section}", table_id=f"table-{section}")


def image_html(path: Path, alt: str) -> str:
    """The PNG ``path`` embedded in the page (the report is one self-contained file)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def write_csv(frame: pd.DataFrame, out: Path, name: str) -> None:
    """Write ``frame`` as ``<out>/<name>`` beside the report (crash-safe)."""
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

    def note(self, text_html: str) -> None:
        """Append a ``<p class="note">`` paragraph (already HTML) to the intro."""
        self.intro.append(f'<p class="note">{text_html}</p>')


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
