"""Saving figures: the PNG cut from one drawing is what ``savefig(bbox_inches="tight")``
gives; the report writes PNGs (PDFs on request) and draws its figures in worker
processes with the same result as drawing them here."""

from __future__ import annotations

import numpy as np
from PIL import Image

from lab.readers import read_trials
from results.cli import main
from results.plot_style import checking_overlaps, new_figure, save, style, without_pdf
from results.registry import FigureInput, figure_kinds
from results.report import draw_report_figures, write_report


def _constrained_figure():
    fig = new_figure(6, 3)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, 2)
    for ax in axes:
        ax.imshow(np.arange(16.0).reshape(4, 4))
        ax.set_yticks(range(4), ["airplane", "bear", "bicycle", "elephant"])
        ax.set_xlabel("response")
    fig.suptitle("a title over both panels")
    return fig


def _pixels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=float)


def test_png_is_the_tight_savefig_of_the_same_figure(tmp_path):
    with style():
        paths = save(_constrained_figure(), tmp_path, "ours")
        reference = tmp_path / "reference.png"
        _constrained_figure().savefig(reference, dpi=150, bbox_inches="tight")
    assert [p.name for p in paths] == ["ours.png", "ours.pdf"]
    ours, theirs = _pixels(paths[0]), _pixels(reference)
    assert abs(ours.shape[0] - theirs.shape[0]) <= 2
    assert abs(ours.shape[1] - theirs.shape[1]) <= 2
    rows, cols = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    # the same drawing, up to a pixel's shift of the crop
    assert np.mean(np.abs(ours[:rows, :cols] - theirs[:rows, :cols])) < 12
    assert paths[1].read_bytes().startswith(b"%PDF") and paths[1].stat().st_size > 5_000


def test_text_outside_the_canvas_is_kept(tmp_path):
    """A label placed past the figure's edge still appears: the image grows to hold it."""
    with style():
        fig = new_figure(3, 2)
        fig.subplots().plot([0, 1], [0, 1])
        fig.text(1.2, 0.5, "far right label")
        png = save(fig, tmp_path, "outside")[0]
    with Image.open(png) as image:
        assert image.width > 3 * 150 + 100  # wider than the 3 inch canvas


def test_without_pdf_writes_the_png_only(tmp_path):
    with style(), without_pdf():
        paths = save(_constrained_figure(), tmp_path, "only")
    assert [p.name for p in paths] == ["only.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["only.png"]


def test_report_writes_pdfs_only_when_asked(lab_records, tmp_path):
    table = read_trials(lab_records)
    with_pdf = write_report(table, tmp_path / "report", pdf=True).parent / "figures"
    pdfs = sorted(p.stem for p in with_pdf.glob("*.pdf"))
    assert pdfs and pdfs == sorted(p.stem for p in with_pdf.glob("*.png"))
    # again into the same folder without --pdf: the PDFs, now stale, are gone
    write_report(table, tmp_path / "report")
    assert not list(with_pdf.glob("*.pdf")) and list(with_pdf.glob("*.png"))
    assert main(["report", str(lab_records), "--out", str(tmp_path / "cli"), "--pdf",
                 "-q"]) == 0
    assert list((tmp_path / "cli" / "figures").glob("*.pdf"))


def test_figures_drawn_in_workers_are_those_drawn_here(lab_records, tmp_path):
    data = FigureInput(read_trials(lab_records))
    kinds = figure_kinds()
    here = draw_report_figures(kinds, data, tmp_path / "here", workers=1)
    forked = draw_report_figures(kinds, data, tmp_path / "forked", workers=2)
    assert [[(p.png.name, p.caption, p.min_n) for p in panels] for panels in here] == \
        [[(p.png.name, p.caption, p.min_n) for p in panels] for panels in forked]
    assert any(here)
    for panels in forked:
        for panel in panels:
            assert panel.png.parent == tmp_path / "forked" and panel.png.is_file()


def test_the_overlap_check_finds_texts_drawn_over_each_other(tmp_path):
    with style():
        fig = new_figure(4, 3)
        left, right = fig.subplots(1, 2)
        left.set_title("a long title of the left panel that runs on and on and on")
        right.set_title("right")  # the left title runs into it
        left.set_ylim(0, 1)  # ticks beyond 1.0 are kept by matplotlib, not drawn
        right.set_visible(True)
        hidden = fig.add_axes((0.1, 0.1, 0.2, 0.2))
        hidden.set_title("right")  # drawn over nothing: its axes are hidden
        hidden.set_visible(False)
        with checking_overlaps() as found, without_pdf():
            save(fig, tmp_path, "crowded")
    assert found == ["crowded: 'right' over 'a long title of the left panel that runs on "
                     "and on and on'"]
    with style():
        fig = new_figure(6, 3)
        left, right = fig.subplots(1, 2)
        left.set_title("left")
        right.set_title("right")
        fig.set_layout_engine("constrained")
        with checking_overlaps() as found, without_pdf():
            save(fig, tmp_path, "clear")
    assert found == []
