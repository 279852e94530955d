"""The output registry: a table command and a report section registered once reach the
command line, its help and the report (figures: test_results_figure_registry.py)."""

from __future__ import annotations

import argparse
import csv
import io

import pandas as pd
import pytest

from lab.errors import LabInputError
from lab.readers import read_trials
from results.cli import main
from results.registry import SECTIONS, TABLES, register_section, register_table
from results.report import write_report
from results.report_parts import ReportContext, Section, table_html


def test_built_in_tables_and_sections_are_registered_in_order():
    assert TABLES.names() == ["table", "consistency", "shape-bias", "benchmark", "quality",
                              "intervals", "biases", "thresholds", "channels"]
    assert SECTIONS.names() == ["provenance", "accuracy", "consistency", "benchmark",
                                "shape-bias", "intervals", "thresholds", "channels",
                                "confusion", "quality", "credits"]
    with pytest.raises(LabInputError, match="unknown table 'tabel': did you mean table"):
        TABLES.get("tabel")


@pytest.mark.parametrize("name, compute", [
    ("table", "results.tables:summary_table"),
    ("consistency", "results.consistency:pairwise_consistency"),
    ("quality", "results.quality:quality_table"),
])
def test_a_plain_table_command_is_its_analysis_function(name, compute, lab_records):
    """``table``, ``consistency`` and ``quality`` share one body (commands/_plain.py): each
    returns what the function it names returns on the same trials."""
    import importlib

    module, _, function = compute.partition(":")
    table = read_trials(lab_records)
    got = TABLES.get(name).compute(table, argparse.Namespace())
    expected = getattr(importlib.import_module(module), function)(table)
    assert not got.empty
    pd.testing.assert_frame_equal(got, expected)


def test_registering_a_table_twice_is_an_error():
    with pytest.raises(ValueError, match="table 'table' registered twice"):
        register_table("table", help="again", example="python -m results table x")(
            lambda t, a: t)


@pytest.fixture
def trial_counts():
    """A table and a report section registered by a test: trials per observer."""

    def counts(table: pd.DataFrame) -> pd.DataFrame:
        return table.groupby(["experiment", "observer"]).size().reset_index(name="trials")

    @register_table("trial-counts", order=95, help="trials per experiment and observer",
                    example="python -m results trial-counts data/ --csv")
    def trial_counts_table(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
        return counts(table)

    @register_section("trial-counts", title="Trials per observer", order=95)
    def trial_counts_section(ctx: ReportContext, section: Section) -> Section:
        section.intro.append(table_html(counts(ctx.table), "trial-counts"))
        return section

    yield counts
    TABLES.remove("trial-counts")
    SECTIONS.remove("trial-counts")


def test_a_registered_table_and_section_reach_cli_help_and_report(trial_counts, lab_records,
                                                                  tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["trial-counts", "--help"])
    assert "python -m results trial-counts data/ --csv" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "trials per experiment and observer" in capsys.readouterr().out
    assert main(["trial-counts", str(lab_records), "--csv", "-q"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    table = read_trials(lab_records)
    assert [int(r["trials"]) for r in rows] == trial_counts(table)["trials"].tolist()
    page = write_report(table, tmp_path / "report").read_text()
    assert '<h2 id="trial-counts">Trials per observer</h2>' in page
    assert 'id="table-trial-counts"' in page
    assert page.index('id="quality"') < page.index('id="trial-counts"') < page.index(
        'id="credits"')
