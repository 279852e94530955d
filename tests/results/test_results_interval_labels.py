"""Issue 19: the within-observer intervals stay available and are labelled as such. The
accuracy table's ``accuracy_ci_low/high`` (and figure 3's bars) are Wilson intervals of the
trials pooled over the observers at hand; wherever they are shown they say so, and point
to ``results intervals``, which resamples the observers, then their trials."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lab.readers import read_trials
from results.cli import main
from results.commands.table import WITHIN_OBSERVERS_LEGEND
from results.registry import SECTIONS, FigureInput
from results.report_parts import ReportContext, Section
from results.tables import TABLE_COLUMNS

REPO = Path(__file__).resolve().parents[2]
POINTER = "python -m results intervals --what accuracy"


def test_the_text_table_has_the_within_observer_legend_under_it(lab_records, capsys):
    assert main(["table", str(lab_records), "-q"]) == 0
    out = capsys.readouterr().out
    assert "accuracy_ci_low" in out and WITHIN_OBSERVERS_LEGEND in out
    assert out.index("accuracy_ci_high") < out.index(WITHIN_OBSERVERS_LEGEND)
    legend = " ".join(WITHIN_OBSERVERS_LEGEND.split())
    assert "accuracy_ci_low/high: within-observer 95 % Wilson interval" in legend
    assert "between observers is left out" in legend and legend.endswith(POINTER)


def test_the_csv_keeps_its_columns_and_stays_plain_csv(lab_records, capsys):
    """The column names are kept (people's scripts read them); the label is in the docs."""
    assert main(["table", str(lab_records), "-q", "--csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(TABLE_COLUMNS)
    assert "within-observer" not in out
    docs = " ".join((REPO / "docs" / "analysis.md").read_text(encoding="utf-8").split())
    assert ("`accuracy_ci_low/high` is the 95 % Wilson score interval of the trials pooled "
            "over the group's units (see below): a *within-observer* interval") in docs


def test_the_legend_points_to_intervals_that_resample_observers(lab_records, capsys):
    """The command the legend names runs, and its humans' interval resamples observers."""
    command = POINTER.split()[3:]  # intervals --what accuracy
    assert main([command[0], str(lab_records), *command[1:], "--boot", "50", "-q",
                 "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    humans = [r for r in rows if r["observer"] == "humans"]
    assert humans and {r["resampled"] for r in humans} == {"observers, then trials"}


def test_the_report_says_the_accuracy_intervals_are_within_observer(lab_records, tmp_path):
    ctx = ReportContext(FigureInput(read_trials(lab_records)), tmp_path, "sum")
    kind = SECTIONS.get("accuracy")
    section = kind.build(ctx, Section(kind.anchor, kind.title, kind.order))
    intro, body = " ".join(section.intro), " ".join(section.body)
    assert "the figure's bars" in intro and "<code>accuracy_ci_low/high</code>" in intro
    assert "<b>within-observer</b> 95 % Wilson intervals" in intro
    assert "leave out the variance between observers" in intro
    assert f"<code>{POINTER}</code>" in intro
    assert "within-observer 95 % Wilson interval)</summary>" in body
