"""Figure: shape bias per class on cue-conflict trials (Geirhos et al. 2019, figure 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from results.figures._common import fewest_trials, mark_low_n, n_text, offsets
from results.intervals import too_few, wilson_interval
from results.plot_style import colour_of, display_name, marker_of, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure
from results.shape_bias import ALL_CLASSES
from results.tables import HUMANS, group_order

ICONS_DIR = Path(__file__).resolve().parents[2] / "experiment" / "icons"


def shape_bias_figure(bias: pd.DataFrame, out_dir: str | Path,
                      names: dict[str, str] | None = None) -> list[Panel]:
    """Fraction of shape decisions per shape class (rows) for the humans (pooled) and each
    model, with within-observer 95 % Wilson intervals over the shape-or-texture decisions and
    each group's overall shape bias as a vertical line (Geirhos et al. 2019, figure 4 style);
    classes sorted by the humans' shape bias; right of each row the decisions per point."""
    if bias.empty:
        return []
    names = names or {}
    groups = [g for g in group_order(bias["group"])]
    rows = bias[(bias["observer"] == bias["group"]) | (bias["group"] != HUMANS)]
    rows = rows[(rows["group"] != HUMANS) | (rows["observer"] == HUMANS)]
    rows = rows.assign(decisions=rows["shape_hits"] + rows["texture_hits"])
    per_class = rows[(rows["category"] != ALL_CLASSES) & (rows["decisions"] > 0)]
    if per_class.empty:  # no shape or texture decision anywhere: nothing to draw
        return []
    reference = HUMANS if HUMANS in groups else groups[0]
    order = per_class[per_class["group"] == reference].set_index("category")["shape_bias"]
    classes = [c for c in order.sort_values(ascending=True).index]
    classes += sorted(set(per_class["category"]) - set(classes))
    y = {c: i for i, c in enumerate(classes)}
    decisions = per_class.pivot_table(index="category", columns="group", values="decisions",
                                      aggfunc="sum").reindex(classes)
    min_n = fewest_trials(per_class["decisions"])
    with style():
        fig = new_figure(6.6, 0.34 * len(classes) + 2.3)
        ax = fig.subplots()
        ax.set_xlim(-0.03, 1.03)  # a marker at 0 or 1 stays clear of the tick labels
        ax.set_ylim(-0.6, len(classes) - 0.4)
        for i in range(len(classes) - 1):
            ax.axhline(i + 0.5, color="0.85", linewidth=0.5, linestyle=":")
        for offset, group in offsets(groups):
            cell = per_class[per_class["group"] == group]
            overall = rows[(rows["group"] == group) & (rows["category"] == ALL_CLASSES)]
            colour = colour_of(group)
            name = names.get(group, display_name(group))
            if len(overall):
                ax.axvline(float(overall["shape_bias"].iloc[0]), color=colour,
                           linewidth=1.2, alpha=0.8)
            low, high = wilson_interval(cell["shape_hits"], cell["decisions"])
            value = cell["shape_bias"].to_numpy(float)
            ypos = cell["category"].map(y).to_numpy(float) + 2.5 * offset
            ax.errorbar(value, ypos, xerr=[np.clip(value - low, 0, None),
                                           np.clip(high - value, 0, None)],
                        fmt="none", ecolor=colour, elinewidth=0.7, capsize=1.5, zorder=2)
            ax.scatter(value, ypos, color=colour, marker=marker_of(group), s=36, zorder=3,
                       edgecolors="0.3", linewidths=0.3, clip_on=False,
                       label=f"{name} ({float(overall['shape_bias'].iloc[0]):.2f}, "
                             f"n={int(overall['decisions'].iloc[0])})" if len(overall)
                       else name)
        ax.set_yticks(range(len(classes)), classes)
        right = ax.secondary_yaxis("right")
        right.set_yticks(range(len(classes)), [
            n_text([decisions.at[c, g] for g in groups
                    if g in decisions.columns and not pd.isna(decisions.at[c, g])])
            for c in classes], fontsize=6)
        right.tick_params(length=0, pad=7)
        _icon_labels(ax, classes)
        ax.set_xlabel("fraction of 'shape' decisions (bars: within-observer 95 % Wilson interval)")
        top = ax.secondary_xaxis("top", functions=(lambda v: 1 - v, lambda v: 1 - v))
        top.set_xlabel("fraction of 'texture' decisions")
        ax.set_ylabel("shape category", labelpad=48)
        ax.legend(loc="lower left", bbox_to_anchor=(1.12, 0), frameon=False,
                  title="shape bias (all classes, n)\nn per row: shape + texture\n"
                        "decisions, legend order")
        mark_low_n(fig, min_n)
        fig.tight_layout(rect=(0, 0.04 if too_few(min_n) else 0, 1, 1))
        paths = save(fig, out_dir, "shape_bias")
    return [Panel(paths, "shape bias", min_n)]


def _icon_labels(ax, classes: list[str]) -> None:
    """Put each class's response-screen icon beside its tick label, when icons exist."""
    for i, name in enumerate(classes):
        path = ICONS_DIR / f"{name}.png"
        if not path.is_file():
            continue
        from matplotlib.image import imread
        box = AnnotationBbox(OffsetImage(imread(str(path)), zoom=0.12), (0, i),
                             xybox=(-62, 0), xycoords=("axes fraction", "data"),
                             boxcoords="offset points", frameon=False, annotation_clip=False)
        ax.add_artist(box)


@register_figure("shape-bias", section="shape-bias", title="Shape bias", order=40)
def plot_shape_bias(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Shape bias per class on cue-conflict trials (Geirhos et al. 2019, figure 4)."""
    return shape_bias_figure(data.shape_bias, out_dir, data.names)
