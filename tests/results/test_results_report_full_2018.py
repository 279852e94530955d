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


def test_full_2018_report_fits_the_page(full_2018_report, tmp_path):
    report, _, _ = full_2018_report
    result = layout_problems(report, tmp_path)
    assert result["bad"] == [] and result["pageScroll"] <= result["page"], result


def test_no_figure_of_the_full_2018_report_draws_text_over_text(full_2018_report):
    _, _, overlaps = full_2018_report
    assert overlaps == []
