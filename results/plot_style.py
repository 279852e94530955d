"""One look for every figure: colours and markers per observer group, saving as PNG + PDF.

Humans are always the 2018 paper's red diamonds; the paper's three networks keep their
greens; any other model gets a colour from a fixed palette chosen by its name, so a model
has the same colour in every figure and every report.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global
backend or state): they render off-screen, also on machines without a display.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

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


def save(fig: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>.png`` (150 dpi) and ``<stem>.pdf``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths
