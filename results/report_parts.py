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

from lab.readers import HUMAN
from lab.trial_file import write_text_atomic
from results.observers import label_observers
from results.registry import FigureInput

#: columns that count things (or flag them, 0/1): shown as integers when every value is
#: whole
_COUNT_WORDS = ("n_", "trials", "frames", "hits", "stimuli", "files", "observers",
                "experiments", "sessions", "levels", "bands", "shared", "_only", "decisions",
                "n_boot", "superseded", "answers", "_censored")


def _is_count(column: str) -> bool:
    name = str(column)
    return name.startswith("n_") or any(word in name for word in _COUNT_WORDS[1:])


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for people: count columns held as floats (``1.0``, ``4.0``; n/a kept) as
    integers."""
    out = frame
    for column in frame.columns:
        values = frame[column]
        if not (_is_count(column) and pd.api.types.is_float_dtype(values)):
            continue
        finite = values.dropna()
        if len(finite) and bool((finite == finite.round()).all()):
            out = out.copy() if out is frame else out
            out[column] = values.map(lambda v: "n/a" if pd.isna(v) else int(round(v)))
    return out


def number_text(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` decimals, never ``-0.0000``."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def text_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """``frame`` as a terminal table: as in the report, counts and 0/1 flags as integers,
    ``digits`` decimals, no negative zero, ``n/a`` for missing values."""
    return tidy(frame).to_string(index=False, na_rep="n/a",
                                 float_format=lambda v: number_text(v, digits))


def table_html(frame: pd.DataFrame, section: str, digits: int = 4, *,
               empty: str = "") -> str:
    """``frame`` as an HTML table (id ``table-<section>``) in a container that scrolls
    sideways when the table is wider than the page; when it is empty, ``empty`` (why: what
    the table needs that this data lacks) as a note."""
    if frame.empty:
        why = empty or f"The {section.replace('-', ' ')} table has no rows for this data."
        return f'<p class="note missing" data-table="{section}">{html.escape(why)}</p>'
    table = tidy(frame).to_html(index=False, na_rep="n/a",
                                float_format=lambda v: number_text(v, digits), border=0,
                                classes=f"table {section}", table_id=f"table-{section}")
    return f'<div class="table-wrap">{table}</div>'


def image_html(path: Path, alt: str) -> str:
    """The PNG ``path`` embedded in the page (the report is one self-contained file)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def write_csv(frame: pd.DataFrame, out: Path, name: str) -> None:
    """Write ``frame`` as ``<out>/<name>`` beside the report (crash-safe; counts as
    integers)."""
    write_text_atomic(out / name, tidy(frame).to_csv(index=False, na_rep="n/a"))


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

    def missing(self, text: str) -> None:
        """Say in one line what this section cannot show for this data, and why (plain
        text)."""
        self.intro.append(f'<p class="note missing">{html.escape(text)}</p>')

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

    @property
    def humans(self) -> list[str]:
        """The human observers in the data."""
        return self.data.cached("humans", lambda: sorted(map(str, self.table.loc[
            self.table["observer_type"] == HUMAN, "observer"].unique())))

    @property
    def networks(self) -> list[str]:
        """The networks in the data."""
        return self.data.cached("networks", lambda: sorted(map(str, self.table.loc[
            self.table["observer_type"] != HUMAN, "observer"].unique())))

    def has(self) -> str:
        """What observers this data has, for the one-line notes on what a section cannot
        show: ``this data has 1 human and 2 networks``."""
        parts = [_count(len(self.humans), "human"), _count(len(self.networks), "network")]
        if not self.humans and not self.networks:
            return "this data has no observers"
        return "this data has " + " and ".join(parts)

    @property
    def humans_simulated(self) -> bool:
        """Every human observer in the data is simulated (not a person)."""
        return bool(self.humans) and all(h in self.data.simulated for h in self.humans)

    def humans_word(self) -> str:
        """``the humans`` or, when all are simulated, ``the simulated humans``."""
        return "the simulated humans" if self.humans_simulated else "the humans"

    def labelled(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with simulated observers (and a group holding any) labelled."""
        return label_observers(frame, self.table)


def _count(n: int, word: str) -> str:
    return f"{'no' if n == 0 else n} {word}{'' if n == 1 else 's'}"
