"""The report of the paper's own full data (the 2018 humans and networks), built once for
this file (``full_2018_report`` in conftest; one file, so that pytest-xdist's
``--dist loadfile`` runs both tests in the worker that built it)."""

from __future__ import annotations

import pytest
from test_results_report_layout import layout_problems
from test_results_report_mixes import _checked

pytestmark = pytest.mark.slow


def test_full_2018_data(full_2018_report):
    """Humans and networks: once ``'yerr' must not contain negative values`` in the
    noise-ceiling figure; no warning, no traceback, no "No data.", no negative zero."""
    path, warned, _ = full_2018_report
    assert not warned  # the report prints no warning
    page = _checked(path)
    assert 'id="table-ceilings"' in page
    assert (path.parent / "figures" / "error_consistency_ceiling.png").is_file()


def test_full_2018_biases_say_what_their_mean_ood_accuracy_is(full_2018_report):
    """The biases section once opened with half a sentence (a docstring's first line) and
    plotted a 'mean OOD accuracy' other than the benchmark's ood_accuracy without saying
    so, with no legend and no table."""
    path, _, _ = full_2018_report
    page = path.read_text(encoding="utf-8")
    section = page[page.index('<h2 id="biases">'):page.index('<h2 id="confusion">')]
    assert "also averages high-pass, low-pass" in section
    assert "averaged over those experiments (11: colour, contrast" in section
    assert 'id="table-biases"' in section and 'alt="biases"' in section
    assert "<td>0.0000</td>" not in section  # the censored flags are integers
    assert "need 4 or more networks" in section and "this data has 3" in section


def test_full_2018_report_fits_the_page(full_2018_report, tmp_path):
    report, _, _ = full_2018_report
    result = layout_problems(report, tmp_path)
    assert result["bad"] == [] and result["pageScroll"] <= result["page"], result


def test_no_figure_of_the_full_2018_report_draws_text_over_text(full_2018_report):
    _, _, overlaps = full_2018_report
    assert overlaps == []
