"""The figures: the paper's figure 3, confusion matrices, error-consistency matrices and
the shape-bias plot. Each function writes PNG and PDF and returns the paths."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from results.confusion import RESPONSE_COLUMNS, confusion_percent
from results.plot_style import (
    HUMAN_COLOUR,
    colour_of,
    display_name,
    marker_of,
    new_figure,
    save,
    style,
)
from results.shape_bias import ALL_CLASSES
from results.tables import (
    HUMANS,
    condition_rank,
    design_for,
    group_order,
    humans_label,
    unit_table,
    with_units,
)
from stimuli.categories import CATEGORIES

log = logging.getLogger(__name__)

ICONS_DIR = Path(__file__).resolve().parents[1] / "experiment" / "icons"


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


# -- figure 3 ------------------------------------------------------------------------------
def figure3(table: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Accuracy and response entropy against signal strength, one panel per experiment,
    humans beside each network; the band shows the range over observers (humans) or
    sessions (networks). Experiments with a single condition are left out."""
    per_unit = unit_table(table)
    experiments = [e for e in experiment_order(per_unit["experiment"].unique())
                   if per_unit.loc[per_unit["experiment"] == e, "condition"].nunique() > 1]
    if not experiments:
        log.info("figure 3: no experiment with more than one condition; skipped")
        return []
    groups = group_order(per_unit["group"])
    names = {g: display_name(g) for g in groups}
    if HUMANS in names:  # say so where the "humans" are simulated
        names[HUMANS] = display_name(HUMANS) + humans_label(table)[len(HUMANS):]
    paths: list[Path] = []
    for metric, label, top, reference, ref_text in (
        ("accuracy", "classification accuracy", 1.0, 1 / 16, "chance (1/16)"),
        ("entropy", "response entropy (bits)", 4.0, 4.0, "maximum (4 bits)"),
    ):
        ncols = min(4, len(experiments))
        nrows = math.ceil(len(experiments) / ncols)
        with style():
            fig = new_figure(2.7 * ncols, 2.35 * nrows + 0.5)
            axes = fig.subplots(nrows, ncols, squeeze=False)
            for ax, experiment in zip(axes.flat, experiments, strict=False):
                rows = per_unit[per_unit["experiment"] == experiment]
                ordered, ticks, xlabel = axis_for(experiment, list(rows["condition"].unique()))
                x = np.arange(len(ordered))
                for group in groups:
                    cell = rows[rows["group"] == group]
                    if cell.empty:
                        continue
                    stats = cell.groupby("condition")[metric].agg(["mean", "min", "max"])
                    stats = stats.reindex(ordered)
                    colour = colour_of(group)
                    ax.fill_between(x, stats["min"], stats["max"], color=colour, alpha=0.18,
                                    linewidth=0)
                    ax.plot(x, stats["mean"], color=colour, marker=marker_of(group),
                            markersize=4, linewidth=1.3, label=names[group])
                ax.axhline(reference, color="0.5", linestyle=":", linewidth=0.9)
                ax.set_xticks(x, ticks, rotation=45 if len(x) > 6 else 0)
                ax.set_xlim(-0.4, len(x) - 0.6)
                ax.set_ylim(0, top * 1.03)
                ax.set_title(experiment)
                ax.set_xlabel(xlabel)
                ax.set_ylabel(label)
            for ax in list(axes.flat)[len(experiments):]:
                ax.set_visible(False)
            handles = [Line2D([], [], color=colour_of(g), marker=marker_of(g), markersize=5,
                              label=names[g]) for g in groups]
            handles.append(Line2D([], [], color="0.5", linestyle=":", label=ref_text))
            # one legend row, unless it is too long for a single panel: one entry a row
            stacked = ncols == 1 and sum(len(h.get_label()) for h in handles) > 45
            legend_rows = len(handles) if stacked else 1
            fig.legend(handles=handles, loc="upper center",
                       ncol=1 if stacked else len(handles),
                       frameon=False, bbox_to_anchor=(0.5, 1.0))
            fig.set_figheight(2.35 * nrows + 0.2 + 0.17 * legend_rows)
            fig.tight_layout(rect=(0, 0, 1, 1 - (0.05 + 0.17 * legend_rows)
                                   / fig.get_figheight()))
            paths += save(fig, out_dir, f"figure3_{metric}")
    return paths


# -- confusion matrices --------------------------------------------------------------------
_CONFUSION_CMAP = LinearSegmentedColormap.from_list("confusion", ["#fafafa", HUMAN_COLOUR])


def informative_condition(table: pd.DataFrame, experiment: str) -> str:
    """The condition where the humans' accuracy is closest to 50 % (where confusions say
    most); the hardest condition when there are no humans."""
    rows = with_units(table[table["experiment"] == experiment])
    humans = rows[rows["group"] == HUMANS]
    source = humans if len(humans) else rows
    accuracy = source.groupby(["condition", "unit"])["correct"].mean().groupby(
        level="condition").mean()
    if len(humans):
        return str((accuracy - 0.5).abs().idxmin())
    return str(accuracy.idxmin())


def confusion_figure(table: pd.DataFrame, experiment: str, condition: str,
                     out_dir: str | Path) -> list[Path]:
    """One 16x17 confusion matrix (percent of each presented class) per observer group."""
    rows = with_units(table[(table["experiment"] == experiment)
                            & (table["condition"] == condition)])
    groups = group_order(rows["group"])
    if not groups:
        return []
    ncols = min(4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    with style():
        fig = new_figure(3.3 * ncols + 0.6, 3.3 * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        image = None
        for ax, group in zip(axes.flat, groups, strict=False):
            percent = confusion_percent(rows[rows["group"] == group])
            image = ax.imshow(percent.to_numpy(), cmap=_CONFUSION_CMAP, vmin=0, vmax=100,
                              aspect="equal", interpolation="nearest")
            for i in range(len(CATEGORIES)):  # outline the diagonal (correct answers)
                ax.add_patch(_cell_outline(i, i))
            ax.set_xticks(range(len(RESPONSE_COLUMNS)), RESPONSE_COLUMNS, rotation=90,
                          fontsize=6)
            ax.set_yticks(range(len(CATEGORIES)), CATEGORIES, fontsize=6)
            ax.set_xlabel("response")
            ax.set_ylabel("presented category")
            n = int((rows["group"] == group).sum())
            ax.set_title(f"{display_name(group)} (n = {n})", color=colour_of(group))
        for ax in list(axes.flat)[len(groups):]:
            ax.set_visible(False)
        fig.suptitle(f"{experiment}, condition {condition}: responses in % of trials per "
                     "presented category")
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="% of trials")
        return save(fig, out_dir, f"confusion_{experiment}_{_safe(condition)}")


def _cell_outline(i: int, j: int):
    from matplotlib.patches import Rectangle
    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=0.4)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in text)


# -- error consistency ---------------------------------------------------------------------
def consistency_figure(matrix: pd.DataFrame, experiment: str, humans: set[str],
                       out_dir: str | Path) -> list[Path]:
    """Observer x observer error consistency (kappa, mean over conditions)."""
    n = len(matrix)
    if n < 2:
        return []
    size = max(3.6, 0.42 * n + 1.8)
    with style():
        fig = new_figure(size + 0.8, size)
        ax = fig.subplots()
        norm = TwoSlopeNorm(vmin=-0.5, vcenter=0.0, vmax=1.0)
        image = ax.imshow(matrix.to_numpy(dtype=float), cmap="RdBu_r", norm=norm,
                          interpolation="nearest")
        names = [display_name(str(name)) for name in matrix.index]
        ax.set_xticks(range(n), names, rotation=90)
        ax.set_yticks(range(n), names)
        for label, name in zip(ax.get_xticklabels(), matrix.index, strict=True):
            label.set_color(HUMAN_COLOUR if name in humans else colour_of(str(name)))
        for label, name in zip(ax.get_yticklabels(), matrix.index, strict=True):
            label.set_color(HUMAN_COLOUR if name in humans else colour_of(str(name)))
        if n <= 14:
            values = matrix.to_numpy(dtype=float)
            for i in range(n):
                for j in range(n):
                    if not np.isnan(values[i, j]):
                        ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center",
                                fontsize=6, color="white" if abs(values[i, j]) > 0.6
                                else "black")
        ax.set_title(f"{experiment}: error consistency (Cohen's kappa)")
        fig.colorbar(image, ax=ax, shrink=0.7, label="kappa (mean over conditions)")
        return save(fig, out_dir, f"error_consistency_{experiment}")


# -- shape bias ----------------------------------------------------------------------------
def shape_bias_figure(bias: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Fraction of shape decisions per shape class (rows) for the humans (pooled) and each
    model, with each group's overall shape bias as a vertical line (Geirhos et al. 2019,
    figure 4 style); classes sorted by the humans' shape bias."""
    if bias.empty:
        return []
    groups = [g for g in group_order(bias["group"])]
    rows = bias[(bias["observer"] == bias["group"]) | (bias["group"] != HUMANS)]
    rows = rows[(rows["group"] != HUMANS) | (rows["observer"] == HUMANS)]
    per_class = rows[rows["category"] != ALL_CLASSES]
    reference = HUMANS if HUMANS in groups else groups[0]
    order = per_class[per_class["group"] == reference].set_index("category")["shape_bias"]
    classes = [c for c in order.sort_values(ascending=True).index]
    classes += sorted(set(per_class["category"]) - set(classes))
    y = {c: i for i, c in enumerate(classes)}
    with style():
        fig = new_figure(6.0, 0.34 * len(classes) + 2.0)
        ax = fig.subplots()
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, len(classes) - 0.4)
        for i in range(len(classes) - 1):
            ax.axhline(i + 0.5, color="0.85", linewidth=0.5, linestyle=":")
        for group in groups:
            cell = per_class[per_class["group"] == group]
            overall = rows[(rows["group"] == group) & (rows["category"] == ALL_CLASSES)]
            colour = colour_of(group)
            if len(overall):
                ax.axvline(float(overall["shape_bias"].iloc[0]), color=colour,
                           linewidth=1.2, alpha=0.8)
            ax.scatter(cell["shape_bias"], cell["category"].map(y), color=colour,
                       marker=marker_of(group), s=36, zorder=3, edgecolors="0.3",
                       linewidths=0.3, label=f"{display_name(group)} "
                       f"({float(overall['shape_bias'].iloc[0]):.2f})" if len(overall)
                       else display_name(group))
        ax.set_yticks(range(len(classes)), classes)
        _icon_labels(ax, classes)
        ax.set_xlabel("fraction of 'shape' decisions")
        top = ax.secondary_xaxis("top", functions=(lambda v: 1 - v, lambda v: 1 - v))
        top.set_xlabel("fraction of 'texture' decisions")
        ax.set_ylabel("shape category", labelpad=48)
        ax.legend(loc="lower left", bbox_to_anchor=(1.02, 0), frameon=False,
                  title="shape bias (all classes)")
        fig.tight_layout()
        return save(fig, out_dir, "shape_bias")


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


# -- response times ------------------------------------------------------------------------
def rt_figure(table: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Box plots of the response times of answered trials, one box per human observer and
    experiment (whiskers 5-95 %)."""
    humans = table[(table["observer_type"] == "human") & (table["response"] != "na")]
    humans = humans[humans["rt"].notna()]
    if humans.empty:
        return []
    groups = list(humans.groupby(["experiment", "observer"], sort=True)["rt"])
    labels = [f"{experiment}: {observer}" for (experiment, observer), _ in groups]
    data = [values.to_numpy() for _, values in groups]
    with style():
        fig = new_figure(6.0, max(2.4, 0.17 * len(groups) + 1.2))
        ax = fig.subplots()
        box = ax.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False,
                         patch_artist=True, widths=0.6)
        for patch in box["boxes"]:
            patch.set(facecolor=(*HUMAN_COLOUR, 0.25), edgecolor=HUMAN_COLOUR)
        for median in box["medians"]:
            median.set(color=HUMAN_COLOUR)
        ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=6)
        ax.invert_yaxis()
        ax.set_xlabel("response time (s, from response-screen onset)")
        ax.set_title("Response times of answered trials (box: quartiles, whiskers: 5-95 %)")
        fig.tight_layout()
        return save(fig, out_dir, "response_times")
