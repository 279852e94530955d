"""The figure registry: one registered function serves ``results plot`` and the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import LabInputError
from lab.readers import read_trials
from results.cli import main
from results.plot_style import new_figure, save
from results.registry import (
    FIGURES,
    FigureInput,
    Panel,
    figure_kinds,
    get_figure,
    list_figures,
    register_figure,
)
from results.report import write_report


def test_built_in_figures_are_registered_in_report_order():
    names = list_figures()
    assert names[:10] == ["figure3", "consistency", "shape-bias", "ceiling", "psychometric",
                          "channels", "biases", "confusion", "figure4", "rt"]
    assert get_figure("channels").section == "channels"
    assert get_figure("confusion").section == "confusion"
    assert get_figure("rt").collapsed


def test_every_figure_description_is_a_whole_sentence():
    """A figure with a section of its own shows its description there: it was a
    docstring's first line ("... with Spearman's rho and")."""
    for kind in figure_kinds():
        assert kind.description.endswith("."), (kind.name, kind.description)
        assert "  " not in kind.description
    assert get_figure("biases").description.endswith("95 % bootstrap interval.")


def test_unknown_figure_names_close_matches():
    with pytest.raises(LabInputError, match=r"unknown figure kind 'confusoin': did you mean "
                                            r"confusion"):
        get_figure("confusoin")
    with pytest.raises(LabInputError, match="known: figure3, consistency"):
        get_figure("zzzzzz")


def test_registering_a_name_twice_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        register_figure("figure3", section="accuracy", title="again")(lambda d, o: [])


def test_cli_unknown_kind_is_one_line_before_reading_data(tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    assert main(["plot", str(missing), "--out", str(tmp_path), "--kind", "figur3"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: unknown figure kind 'figur3': did you mean figure3, figure4?"]


def test_plot_help_lists_the_registered_kinds(capsys):
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    out = capsys.readouterr().out
    assert ("figure3, consistency, shape-bias, ceiling, psychometric, channels, biases, "
            "confusion, figure4, rt") in " ".join(out.split())


@pytest.fixture
def extra_figure():
    """A figure registered by a test: a bar of trials per observer."""
    calls: list[FigureInput] = []

    @register_figure("trials-per-observer", section="trials", title="Trials per observer",
                     order=70)
    def trials_per_observer(data: FigureInput, out_dir: Path) -> list[Panel]:
        """Trials recorded per observer (a test figure)."""
        calls.append(data)
        counts = data.table.groupby("observer").size()
        fig = new_figure(3, 2)
        fig.subplots().bar(counts.index, counts.to_numpy())
        return [Panel(save(fig, out_dir, "trials_per_observer"), "all experiments",
                      min_n=int(counts.min()))]

    yield calls
    FIGURES.remove("trials-per-observer")


def test_a_registered_figure_reaches_plot_and_report(extra_figure, lab_records, tmp_path,
                                                     capsys):
    assert main(["plot", str(lab_records), "--out", str(tmp_path / "figs"), "-q",
                 "--kind", "trials-per-observer"]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "figs" / name) for name in
                                               ("trials_per_observer.png",
                                                "trials_per_observer.pdf")]
    # drawn here, not in a forked worker, so that the test sees the call
    page = write_report(read_trials(lab_records), tmp_path / "report", workers=1).read_text()
    assert '<a href="#trials">Trials per observer</a>' in page
    assert '<h2 id="trials">Trials per observer</h2>' in page
    assert "Trials recorded per observer (a test figure)." in page
    assert page.index('id="confusion"') < page.index('id="trials"') < page.index(
        'id="quality"')
    assert (tmp_path / "report" / "figures" / "trials_per_observer.png").is_file()
    assert len(extra_figure) == 2 and extra_figure[1].experiment is None
