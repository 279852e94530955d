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
                                "biases", "confusion", "quality", "credits"]
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


def test_a_clash_with_a_built_in_is_an_error_before_the_built_ins_are_loaded():
    """In a fresh interpreter a module registering a built-in's name before anything asked
    for the registry is refused too (it used to take the name and break the built-in)."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from results.registry import TABLES, register_table\n"
            "try:\n"
            "    register_table('table', help='again', example='x')(lambda t, a: t)\n"
            "except ValueError as error:\n"
            "    print(error)\n"
            "print(TABLES.get('table').help)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout
    first, second = out.strip().splitlines()
    assert first == "table 'table' registered twice"
    assert second != "again"


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


def test_every_output_that_reads_a_background_analysis_declares_it():
    """The report draws and builds what needs the psignifit fits after them (``needs``);
    one that read them undeclared would wait (in the report) or fit afresh (forked)."""
    import inspect

    from results.registry import BACKGROUND, FIGURES
    readers = {"psychometric_fits": ("psychometric_fits", "channel_tables", "biases")}
    assert set(readers) == set(BACKGROUND)
    for kind in [*FIGURES.all(), *SECTIONS.all()]:
        function = inspect.unwrap(kind.build if hasattr(kind, "build") else kind.draw)
        source = inspect.getsource(inspect.getmodule(function))
        for key, names in readers.items():
            reads = any(f".{name}" in source for name in names)
            assert reads == (key in kind.needs), (kind, key)
    with pytest.raises(ValueError, match="not background analyses"):
        register_section("x", title="x", order=1, needs=("pairs",))


def test_background_fits_run_beside_the_rest_and_are_computed_once(lab_records, monkeypatch):
    import threading

    import results.psychometric as psychometric
    from results.registry import FigureInput
    calls, release = [], threading.Event()
    real = psychometric.fit_all

    def slow_fit_all(table, **kwargs):
        calls.append(threading.current_thread().name)
        assert release.wait(60)  # the rest of the report goes on meanwhile
        return real(table, **kwargs)

    monkeypatch.setattr(psychometric, "fit_all", slow_fit_all)
    data = FigureInput(read_trials(lab_records))
    data.start_background()
    data.start_background()  # a second start does not start it again
    assert len(data.pairs) > 0  # computed while the fits wait
    release.set()
    fits = data.psychometric_fits
    assert fits is data.psychometric_fits
    assert calls == ["background psychometric_fits"]
    data.wait_background()

    def broken(table, **kwargs):
        raise RuntimeError("fit failed")

    monkeypatch.setattr(psychometric, "fit_all", broken)
    other = FigureInput(read_trials(lab_records))
    other.start_background()
    with pytest.raises(RuntimeError, match="fit failed"):  # the reader gets the error
        other.wait_background()


def test_a_forked_figure_reading_a_running_background_analysis_does_not_hang(
        lab_records, monkeypatch, tmp_path):
    """Registered without ``needs`` by mistake: the forked worker has no copy of the thread
    that computes the fits, so it computes them itself instead of waiting forever."""
    import threading

    import results.psychometric as psychometric
    from results.registry import FIGURES, FigureInput, register_figure
    from results.report import draw_report_figures
    release = threading.Event()
    real = psychometric.fit_all

    def held_fit_all(table, **kwargs):
        if threading.current_thread().name.startswith("background"):
            assert release.wait(120)
        return real(table, **kwargs)

    monkeypatch.setattr(psychometric, "fit_all", held_fit_all)

    @register_figure("fits-count", section="thresholds", title="t", order=999)
    def fits_count(data, out_dir):
        (out_dir / "fits.txt").write_text(str(len(data.psychometric_fits)))
        return []

    try:
        data = FigureInput(read_trials(lab_records))
        data.start_background()
        kinds = [FIGURES.get("fits-count"), FIGURES.get("rt")]
        assert draw_report_figures(kinds, data, tmp_path, workers=2)[0] == []
        assert not release.is_set()  # the parent's fits are still held
        release.set()
        assert (tmp_path / "fits.txt").read_text() == str(len(data.psychometric_fits))
    finally:
        release.set()
        FIGURES.remove("fits-count")
