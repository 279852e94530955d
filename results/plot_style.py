"""One look for every figure: colours and markers per observer group, saving as PNG + PDF.

Humans are always the 2018 paper's red diamonds; the paper's three networks keep their
greens; any other model gets a colour from a fixed palette chosen by its name, so a model
has the same colour in every figure and every report.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global
backend or state): they render off-screen, also on machines without a display.
"""

from __future__ import annotations

import contextlib
import contextvars
import zlib
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from results.tables import HUMANS

HUMAN_COLOUR = (165 / 255, 30 / 255, 55 / 255)  # University of Tübingen red (2018 code)
_KNOWN: dict[str, tuple[float, float, float]] = {
    "googlenet": (130 / 255, 185 / 255, 160 / 255),
    "vgg19": (50 / 255, 110 / 255, 30 / 255),
    "resnet152": (125 / 255, 165 / 255, 75 / 255),
}
_PALETTE = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#7f7f7f", "#2ca02c", "#393b79")
_MARKERS = ("o", "s", "^", "v", "P", "X", "h", "<", ">", "*")


def colour_of(group: str) -> str | tuple[float, float, float]:
    """The colour of an observer group (``humans`` or a model name)."""
    if group == HUMANS:
        return HUMAN_COLOUR
    if group in _KNOWN:
        return _KNOWN[group]
    return _PALETTE[zlib.crc32(group.encode()) % len(_PALETTE)]


def marker_of(group: str) -> str:
    if group == HUMANS:
        return "D"
    return _MARKERS[zlib.crc32(group.encode()) % len(_MARKERS)]


def display_name(group: str) -> str:
    """Legend text: ``humans`` -> ``Humans``; model names as given, known ones prettified."""
    pretty = {"humans": "Humans", "googlenet": "GoogLeNet", "vgg19": "VGG-19",
              "resnet152": "ResNet-152"}
    return pretty.get(group, group)


STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
    "axes.spines.right": False, "savefig.bbox": "tight", "pdf.fonttype": 42,
}


def style() -> matplotlib.rc_context:
    """Paper-like settings for the figures drawn inside the ``with`` block."""
    return matplotlib.rc_context(STYLE)


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches, not registered with pyplot."""
    return Figure(figsize=(width, height))


PNG_DPI = 150
_PAD_INCHES = 0.1  #: white margin around the drawn content (matplotlib's tight default)


_WRITE_PDF = contextvars.ContextVar("write_pdf", default=True)
#: where :func:`save` reports overlapping texts (None: it does not look; tests turn it on)
_OVERLAPS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "overlaps", default=None)


@contextlib.contextmanager
def checking_overlaps() -> Iterator[list[str]]:
    """Figures saved in this block are checked for texts drawn over each other (tick
    labels, titles, axis labels, legends): the list yielded gets one line per overlap,
    ``"<file stem>: 'text' over 'text'"``. Costs a measurement of every text; for tests."""
    found: list[str] = []
    token = _OVERLAPS.set(found)
    try:
        yield found
    finally:
        _OVERLAPS.reset(token)


#: two texts whose boxes share less than this many pixels (150 dpi) in each direction do
#: not overlap (the boxes include the line spacing above and below the glyphs)
_OVERLAP_TOLERANCE_PX = 2.0


def overlapping_texts(fig: Figure, renderer) -> list[tuple[str, str]]:
    """Pairs of the non-empty texts ``fig`` drew (with ``renderer``) whose boxes overlap by
    more than :data:`_OVERLAP_TOLERANCE_PX` both ways."""
    boxes = []
    for text in _drawn_texts(fig):
        if text.get_visible() and text.get_text().strip():
            box = text.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                boxes.append((text.get_text(), box))
    found = []
    for i, (first, a) in enumerate(boxes):
        for second, b in boxes[i + 1:]:
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > _OVERLAP_TOLERANCE_PX and dy > _OVERLAP_TOLERANCE_PX:
                found.append((first, second))
    return found


def _drawn_texts(fig: Figure) -> list:
    """The figure's texts (its title too), its legends', and per visible axes (colour bars
    and secondary axes included) its titles, axis labels, texts, legend and the tick labels
    of the ticks inside its view (matplotlib keeps labels for ticks it does not draw)."""
    texts = list(fig.texts) + [t for legend in fig.legends for t in legend.get_texts()]
    pending = list(fig.axes)
    seen = set()
    while pending:
        ax = pending.pop()
        if id(ax) in seen or not ax.get_visible():
            continue
        seen.add(id(ax))
        pending += list(getattr(ax, "child_axes", []))
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            texts += legend.get_texts()
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            texts.append(axis.label)
            for tick in axis._update_ticks():  # the ticks drawn (within the view)
                texts += [label for label in (tick.label1, tick.label2)
                          if label.get_visible()]
    return texts


@contextlib.contextmanager
def without_pdf() -> Iterator[None]:
    """Figures saved in this block are written as PNG only (the HTML report shows the PNG;
    ``results report --pdf`` and ``results plot`` write the PDFs too)."""
    token = _WRITE_PDF.set(False)
    try:
        yield
    finally:
        _WRITE_PDF.reset(token)


def save(fig: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>.png`` (150 dpi) and ``<stem>.pdf`` (not inside :func:`without_pdf`),
    both cropped to what is drawn.

    The figure is laid out and drawn once at 150 dpi; the PNG is that drawing, cropped, and
    the PDF reuses its layout. (``savefig(bbox_inches="tight")`` twice would lay the figure
    out and measure every text four times: most of the report's figure time.)"""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png"]
    if _WRITE_PDF.get():
        paths.append(out_dir / f"{stem}.pdf")
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(PNG_DPI)
    canvas.draw()  # runs the layout engine, then renders
    overlaps = _OVERLAPS.get()
    if overlaps is not None:
        overlaps += [f"{stem}: {a!r} over {b!r}"
                     for a, b in overlapping_texts(fig, canvas.get_renderer())]
    content = fig.get_tightbbox(canvas.get_renderer())
    bbox = content.padded(_PAD_INCHES)
    fig.set_layout_engine(None)  # keep the layout just computed for the PDF
    if _inside(content, fig):
        _write_png(paths[0], np.asarray(canvas.buffer_rgba()), bbox, fig)
    else:  # something sticks out of the canvas: let matplotlib enlarge it
        fig.savefig(paths[0], dpi=PNG_DPI, bbox_inches=bbox)
    if len(paths) > 1:
        fig.savefig(paths[1], bbox_inches=bbox)
    return paths


def _inside(content: Bbox, fig: Figure) -> bool:
    width, height = fig.get_size_inches()
    return (content.x0 >= 0 and content.y0 >= 0 and content.x1 <= width
            and content.y1 <= height)


def _write_png(path: Path, rgba: np.ndarray, bbox: Bbox, fig: Figure) -> None:
    """``rgba`` (the whole canvas) cut to ``bbox`` (inches), white where ``bbox`` reaches
    past the canvas (the margin), written as PNG."""
    height, width = rgba.shape[:2]
    x0, x1 = round(bbox.x0 * PNG_DPI), round(bbox.x1 * PNG_DPI)
    y0, y1 = round(height - bbox.y1 * PNG_DPI), round(height - bbox.y0 * PNG_DPI)
    background = (np.array(matplotlib.colors.to_rgba(fig.get_facecolor())) * 255).round()
    out = np.empty((y1 - y0, x1 - x0, 4), dtype=np.uint8)
    out[...] = background.astype(np.uint8)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x1, width), min(y1, height)
    out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = rgba[sy0:sy1, sx0:sx1]
    matplotlib.image.imsave(path, out, format="png", dpi=PNG_DPI,
                            metadata={"Software": f"matplotlib {matplotlib.__version__}"})
