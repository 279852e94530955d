"""What the figures share: panel order of experiments, condition axes, the n shown on
every figure and the caution line where a point rests on too few trials."""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from results.intervals import low_n_text, too_few
from results.plot_style import display_name
from results.registry import Panel
from results.tables import condition_rank, design_for

LOW_N_COLOUR = "#b00020"  #: the caution text on figures with too few trials per point


def experiment_order(names: Iterable[str]) -> list[str]:
    """Panel order: the paper's figure 3 (each design's ``figure_panel``), then the other
    experiments alphabetically."""
    def key(name: str) -> tuple[int, str]:
        design = design_for(name)
        panel = design.figure_panel if design is not None else 0
        return (panel if panel > 0 else 1 << 30, name)

    return sorted(set(names), key=key)


def _level_text(value: float) -> str:
    if math.isinf(value):
        return "∞"
    text = f"{value:g}"
    return text[1:] if text.startswith("0.") else text


def axis_for(experiment: str, conditions: list[str]) -> tuple[list[str], list[str], str]:
    """Conditions in design order, their tick labels (signal levels) and the axis label."""
    design = design_for(experiment, conditions)
    if design is not None:
        ordered = [c for c in design.conditions if c in conditions]
        ordered += sorted(set(conditions) - set(ordered))
        labels = [_level_text(design.level_of(c)) if c in design.conditions else c
                  for c in ordered]
        return ordered, labels, design.level_label
    ranks = condition_rank(experiment, pd.Series(conditions))
    ordered = [c for _, c in sorted(zip(ranks, conditions, strict=True))]
    return ordered, ordered, "condition"


def n_text(counts: list[int]) -> str:
    """``n=160`` when every group has the same count, else ``n=160/40/40`` in legend order."""
    counts = [int(c) for c in counts]
    if not counts:
        return ""
    return f"n={counts[0]}" if len(set(counts)) == 1 else "n=" + "/".join(map(str, counts))


_CAUTION_IN_IMAGE = contextvars.ContextVar("caution_in_image", default=True)


@contextlib.contextmanager
def caution_outside_images() -> Iterator[None]:
    """Figures drawn in this block leave the caution line out of the image: the report
    writes it once per figure beside the image (``results plot`` keeps it in the image,
    where the PNG travels alone)."""
    token = _CAUTION_IN_IMAGE.set(False)
    try:
        yield
    finally:
        _CAUTION_IN_IMAGE.reset(token)


def mark_low_n(fig, min_n: int | None) -> None:
    """Write the caution line at the bottom of ``fig`` when a point rests on fewer than
    :data:`~results.intervals.MIN_TRIALS_PER_POINT` trials (not inside
    :func:`caution_outside_images`)."""
    if too_few(min_n) and _CAUTION_IN_IMAGE.get():
        fig.text(0.5, 0.003, low_n_text(int(min_n)), ha="center", va="bottom", fontsize=7,
                 color=LOW_N_COLOUR, fontweight="bold")


def fewest_trials(values) -> int | None:
    values = [int(v) for v in values if v is not None and not pd.isna(v) and v > 0]
    return min(values) if values else None


def offsets(groups: list[str]) -> list[tuple[float, str]]:
    """A small sideways shift per group so that interval bars do not hide each other."""
    width = 0.08
    middle = (len(groups) - 1) / 2
    return [((i - middle) * width, g) for i, g in enumerate(groups)]


def short_label(name: str, simulated: dict[str, str]) -> str:
    """A figure's tick label: the observer, marked when simulated (the report's banner and
    tables give the full label)."""
    key = name[4:] if name.startswith("lab:") else name
    return f"{display_name(name)} (simulated)" if key in simulated else display_name(name)


def interval_bar(ax, x: float, value: float, low: float, high: float, *, colour: str,
                 marker: str, cap: float = 7.0) -> None:
    """A point at ``value`` and its interval drawn as the line from ``low`` to ``high``
    with caps, exactly where the interval lies: a bootstrap percentile interval of a mean
    need not contain the point (``errorbar``'s offsets would turn negative)."""
    if not (pd.isna(low) or pd.isna(high)):
        ax.vlines(x, low, high, color=colour, linewidth=1.0)
        ax.plot([x, x], [low, high], linestyle="none", marker="_", markersize=cap,
                color=colour)  # caps: a fixed size in points, whatever the axis width
    if not pd.isna(value):
        ax.plot([x], [value], color=colour, marker=marker, linestyle="none", zorder=3)


def safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in text)


def panels_of(paths: list[Path], caption: str = "") -> list[Panel]:
    """One :class:`Panel` per image (``save`` writes a PNG and a PDF of each)."""
    by_stem: dict[str, list[Path]] = {}
    for path in paths:
        by_stem.setdefault(path.stem, []).append(path)
    return [Panel(sorted(files, key=lambda p: p.suffix != ".png"), caption or stem)
            for stem, files in by_stem.items()]
