"""The figures: the paper's figure 3, confusion matrices, error-consistency matrices, the
shape-bias plot and response times. Each drawing function writes PNG and PDF and returns
the paths; the ``plot_*`` functions at the end are the registered figures
(:mod:`results.figure_registry`) that ``results plot`` and the report use."""

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
from matplotlib.patches import Patch

from lab.categories import CATEGORIES
from lab.errors import LabInputError
from results.confusion import RESPONSE_COLUMNS, confusion_percent
from results.figure_registry import FigureInput, Panel, register_figure
from results.intervals import MIN_TRIALS_PER_POINT, low_n_text, too_few, wilson_interval
from results.observers import group_names
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
    unit_table,
    with_units,
)

log = logging.getLogger(__name__)

LOW_N_COLOUR = "#b00020"  #: the caution text on figures with too few trials per point
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


# -- n, intervals and the low-n warning on every figure ------------------------------------
def n_text(counts: list[int]) -> str:
    """``n=160`` when every group has the same count, else ``n=160/40/40`` in legend order."""
    counts = [int(c) for c in counts]
    if not counts:
        return ""
    return f"n={counts[0]}" if len(set(counts)) == 1 else "n=" + "/".join(map(str, counts))


def mark_low_n(fig, min_n: int | None) -> None:
    """Write the caution line at the bottom of ``fig`` when a point rests on fewer than
    :data:`~results.intervals.MIN_TRIALS_PER_POINT` trials."""
    if too_few(min_n):
        fig.text(0.5, 0.003, low_n_text(int(min_n)), ha="center", va="bottom", fontsize=7,
                 color=LOW_N_COLOUR, fontweight="bold")


def _min_n(values) -> int | None:
    values = [int(v) for v in values if v is not None and not pd.isna(v) and v > 0]
    return min(values) if values else None


# -- figure 3 ------------------------------------------------------------------------------
def figure3_points(table: pd.DataFrame) -> pd.DataFrame:
    """What figure 3 plots per experiment, condition and group: mean accuracy and entropy
    over units (observers or network sessions), their range, the trials pooled (``n``,
    ``correct``), the 95 % Wilson interval of the pooled accuracy and the number of units."""
    per_unit = unit_table(table)
    per_unit["correct"] = (per_unit["accuracy"] * per_unit["n_trials"]).round()
    stats = per_unit.groupby(["experiment", "condition", "group"], sort=False).agg(
        accuracy=("accuracy", "mean"), accuracy_min=("accuracy", "min"),
        accuracy_max=("accuracy", "max"), entropy=("entropy", "mean"),
        entropy_min=("entropy", "min"), entropy_max=("entropy", "max"),
        n=("n_trials", "sum"), correct=("correct", "sum"), units=("unit", "nunique"),
    ).reset_index()
    stats["ci_low"], stats["ci_high"] = wilson_interval(stats["correct"], stats["n"])
    return stats


def figure3(table: pd.DataFrame, out_dir: str | Path,
            names: dict[str, str] | None = None) -> list[Panel]:
    """Accuracy and response entropy against signal strength, one panel per experiment,
    humans beside each network; bars: 95 % Wilson interval of the pooled trials; band:
    range over observers (humans) or sessions (networks) where a group has several; under
    each tick the trials per point. Experiments with a single condition are left out."""
    points = figure3_points(table)
    experiments = [e for e in experiment_order(points["experiment"].unique())
                   if points.loc[points["experiment"] == e, "condition"].nunique() > 1]
    if not experiments:
        log.info("figure 3: no experiment with more than one condition; skipped")
        return []
    names = names if names is not None else group_names(table)
    groups = group_order(points["group"])
    several = bool((points["units"] > 1).any())
    shown = points[points["experiment"].isin(experiments)]
    min_n = _min_n(shown["n"])
    n_values = shown.groupby("group")["n"].agg(["min", "max"])
    constant_n = {g for g in groups if n_values.at[g, "min"] == n_values.at[g, "max"]}

    def n_label(group: str) -> str:
        low, high = int(n_values.at[group, "min"]), int(n_values.at[group, "max"])
        return f"n={low} per point" if low == high else f"n={low}-{high}, at each point"

    panels: list[Panel] = []
    for metric, label, top, reference, ref_text in (
        ("accuracy", "classification accuracy", 1.0, 1 / 16, "chance (1/16)"),
        ("entropy", "response entropy (bits)", 4.0, 4.0, "maximum (4 bits)"),
    ):
        ncols = min(4, len(experiments))
        nrows = math.ceil(len(experiments) / ncols)
        height = 2.6 * nrows + 0.9
        with style():
            fig = new_figure(max(2.8 * ncols, 6.0), height)
            axes = fig.subplots(nrows, ncols, squeeze=False)
            for ax, experiment in zip(axes.flat, experiments, strict=False):
                rows = points[points["experiment"] == experiment]
                ordered, ticks, xlabel = axis_for(experiment, list(rows["condition"].unique()))
                x = np.arange(len(ordered))
                present = [g for g in groups if (rows["group"] == g).any()]
                for offset, group in _offsets(present):
                    stats = rows[rows["group"] == group].set_index("condition").reindex(ordered)
                    colour = colour_of(group)
                    xo = x + offset
                    if (stats["units"] > 1).any():
                        ax.fill_between(xo, stats[f"{metric}_min"], stats[f"{metric}_max"],
                                        color=colour, alpha=0.18, linewidth=0)
                    ax.plot(xo, stats[metric], color=colour, linewidth=1.3)
                    low = stats["n"].to_numpy(float) < MIN_TRIALS_PER_POINT
                    for hollow in (False, True):
                        pick = low if hollow else ~low
                        ax.plot(xo[pick], stats[metric].to_numpy(float)[pick], linestyle="",
                                marker=marker_of(group), markersize=4, color=colour,
                                markerfacecolor="white" if hollow else colour)
                    if group not in constant_n:  # unequal n: written at each point
                        for xi, yi, ni in zip(xo, stats[metric], stats["n"], strict=True):
                            if not pd.isna(ni):
                                ax.annotate(f"{int(ni)}", (xi, yi), xytext=(4, 3),
                                            textcoords="offset points", ha="left",
                                            va="bottom", fontsize=5.5, color=colour,
                                            bbox={"boxstyle": "square,pad=0.05",
                                                  "fc": "white", "ec": "none",
                                                  "alpha": 0.7})
                    if metric == "accuracy":
                        mean = stats["accuracy"].to_numpy(float)
                        ax.errorbar(xo, mean,
                                    yerr=[np.clip(mean - stats["ci_low"], 0, None),
                                          np.clip(stats["ci_high"] - mean, 0, None)],
                                    fmt="none", ecolor=colour, elinewidth=0.8, capsize=1.5)
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
                              label=f"{names.get(g, display_name(g))} ({n_label(g)})")
                       for g in groups]
            if metric == "accuracy":
                handles.append(Line2D([], [], color="0.3", marker="|", linestyle="",
                                      markersize=8, label="95 % interval (Wilson)"))
            if several:
                handles.append(Patch(color="0.6", alpha=0.35,
                                     label="range over observers (sessions)"))
            handles.append(Line2D([], [], color="0.5", linestyle=":", label=ref_text))
            per_row = 2 if ncols <= 2 else 4
            fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), per_row),
                       frameon=False, bbox_to_anchor=(0.5, 1.0))
            fig.text(0.5, 0.035 if too_few(min_n) else 0.005,
                     "n = trials per point (pooled over observers), written at each point "
                     f"where it varies; hollow markers: fewer than {MIN_TRIALS_PER_POINT} "
                     "trials", ha="center", va="bottom", fontsize=6, color="0.35")
            mark_low_n(fig, min_n)
            legend_rows = math.ceil(len(handles) / per_row)
            fig.tight_layout(rect=(0, 0.06 if too_few(min_n) else 0.035, 1,
                                   1 - (0.2 + 0.17 * legend_rows) / height))
            paths = save(fig, out_dir, f"figure3_{metric}")
        caption = ("accuracy: mean over observers, bars 95 % Wilson intervals of the pooled "
                   "trials" if metric == "accuracy" else "response entropy")
        panels.append(Panel(paths, caption, min_n))
    return panels


def _offsets(groups: list[str]) -> list[tuple[float, str]]:
    """A small sideways shift per group so that interval bars do not hide each other."""
    width = 0.08
    middle = (len(groups) - 1) / 2
    return [((i - middle) * width, g) for i, g in enumerate(groups)]


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
                     out_dir: str | Path, names: dict[str, str] | None = None) -> list[Panel]:
    """One 16x17 confusion matrix (percent of each presented class) per observer group;
    right of each row the number of trials of that presented class."""
    rows = with_units(table[(table["experiment"] == experiment)
                            & (table["condition"] == condition)])
    groups = group_order(rows["group"])
    if not groups:
        return []
    names = names or {}
    ncols = min(4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    row_counts: list[int] = []
    with style():
        fig = new_figure(3.6 * ncols + 0.6, 3.3 * nrows + 0.6)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        image = None
        for index, (ax, group) in enumerate(zip(axes.flat, groups, strict=False)):
            cell = rows[rows["group"] == group]
            percent = confusion_percent(cell)
            per_class = cell["category"].value_counts().reindex(list(CATEGORIES), fill_value=0)
            row_counts += [int(v) for v in per_class if v > 0]
            image = ax.imshow(percent.to_numpy(), cmap=_CONFUSION_CMAP, vmin=0, vmax=100,
                              aspect="equal", interpolation="nearest")
            for i in range(len(CATEGORIES)):  # outline the diagonal (correct answers)
                ax.add_patch(_cell_outline(i, i))
            ax.set_xticks(range(len(RESPONSE_COLUMNS)), RESPONSE_COLUMNS, rotation=90,
                          fontsize=6)
            ax.set_yticks(range(len(CATEGORIES)), CATEGORIES, fontsize=6)
            ax.set_xlabel("response")
            if index % ncols == 0:
                ax.set_ylabel("presented category")
            right = ax.secondary_yaxis("right")
            right.set_yticks(range(len(CATEGORIES)), [f"n={v}" for v in per_class],
                             fontsize=5)
            right.tick_params(length=0)
            ax.set_title(f"{names.get(group, display_name(group))} (n = {len(cell)})",
                         color=colour_of(group), fontsize=8)
        for ax in list(axes.flat)[len(groups):]:
            ax.set_visible(False)
        fig.suptitle(f"{experiment}, condition {condition}: responses in % of trials per "
                     "presented category (n: trials per row)")
        min_n = _min_n(row_counts)
        mark_low_n(fig, min_n)
        fig.tight_layout(rect=(0, 0.03 if too_few(min_n) else 0, 1, 1))
        if image is not None:
            fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="% of trials")
        paths = save(fig, out_dir, f"confusion_{experiment}_{_safe(condition)}")
    return [Panel(paths, f"{experiment}, condition {condition}", min_n)]


def _cell_outline(i: int, j: int):
    from matplotlib.patches import Rectangle
    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=0.4)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in text)


# -- error consistency ---------------------------------------------------------------------
def consistency_figure(matrix: pd.DataFrame, experiment: str, humans: set[str],
                       out_dir: str | Path, counts: pd.DataFrame | None = None,
                       simulated: dict[str, str] | None = None) -> list[Panel]:
    """Observer x observer error consistency (kappa, mean over conditions); each cell also
    shows ``counts`` (trials both observers saw, summed over conditions) when given."""
    n = len(matrix)
    if n < 2:
        return []
    simulated = simulated or {}
    size = max(3.6, 0.42 * n + 1.8)
    with style():
        fig = new_figure(size + 0.8, size)
        ax = fig.subplots()
        norm = TwoSlopeNorm(vmin=-0.5, vcenter=0.0, vmax=1.0)
        image = ax.imshow(matrix.to_numpy(dtype=float), cmap="RdBu_r", norm=norm,
                          interpolation="nearest")
        names = [_short_label(str(name), simulated) for name in matrix.index]
        ax.set_xticks(range(n), names, rotation=90)
        ax.set_yticks(range(n), names)
        for label, name in zip(ax.get_xticklabels(), matrix.index, strict=True):
            label.set_color(HUMAN_COLOUR if name in humans else colour_of(str(name)))
        for label, name in zip(ax.get_yticklabels(), matrix.index, strict=True):
            label.set_color(HUMAN_COLOUR if name in humans else colour_of(str(name)))
        values = matrix.to_numpy(dtype=float)
        shared = (counts.reindex(index=matrix.index, columns=matrix.columns).to_numpy(float)
                  if counts is not None else np.full(values.shape, np.nan))
        off_diagonal = ~np.eye(n, dtype=bool) & ~np.isnan(shared)
        min_n = _min_n(shared[off_diagonal]) if off_diagonal.any() else None
        if n <= 14:
            for i in range(n):
                for j in range(n):
                    if np.isnan(values[i, j]):
                        continue
                    text = f"{values[i, j]:.2f}"
                    if i != j and not np.isnan(shared[i, j]):
                        text += f"\nn={int(shared[i, j])}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=5 if n > 8 else 6,
                            color="white" if abs(values[i, j]) > 0.6 else "black")
        title = f"{experiment}: error consistency (Cohen's kappa)"
        if off_diagonal.any():
            low, high = int(shared[off_diagonal].min()), int(shared[off_diagonal].max())
            title += (f"\nn = trials both saw: {low}" if low == high else
                      f"\nn = trials both saw: {low}-{high} per pair")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.7, label="kappa (mean over conditions)")
        mark_low_n(fig, min_n)
        if too_few(min_n):
            fig.subplots_adjust(bottom=0.2)
        paths = save(fig, out_dir, f"error_consistency_{experiment}")
    return [Panel(paths, experiment, min_n)]


def _short_label(name: str, simulated: dict[str, str]) -> str:
    """A figure's tick label: the observer, marked when simulated (the report's banner and
    tables give the full label)."""
    key = name[4:] if name.startswith("lab:") else name
    return f"{display_name(name)} (simulated)" if key in simulated else display_name(name)


# -- shape bias ----------------------------------------------------------------------------
def shape_bias_figure(bias: pd.DataFrame, out_dir: str | Path,
                      names: dict[str, str] | None = None) -> list[Panel]:
    """Fraction of shape decisions per shape class (rows) for the humans (pooled) and each
    model, with 95 % Wilson intervals over the shape-or-texture decisions and each group's
    overall shape bias as a vertical line (Geirhos et al. 2019, figure 4 style); classes
    sorted by the humans' shape bias; right of each row the decisions per point."""
    if bias.empty:
        return []
    names = names or {}
    groups = [g for g in group_order(bias["group"])]
    rows = bias[(bias["observer"] == bias["group"]) | (bias["group"] != HUMANS)]
    rows = rows[(rows["group"] != HUMANS) | (rows["observer"] == HUMANS)]
    rows = rows.assign(decisions=rows["shape_hits"] + rows["texture_hits"])
    per_class = rows[rows["category"] != ALL_CLASSES]
    reference = HUMANS if HUMANS in groups else groups[0]
    order = per_class[per_class["group"] == reference].set_index("category")["shape_bias"]
    classes = [c for c in order.sort_values(ascending=True).index]
    classes += sorted(set(per_class["category"]) - set(classes))
    y = {c: i for i, c in enumerate(classes)}
    decisions = per_class.pivot_table(index="category", columns="group", values="decisions",
                                      aggfunc="sum").reindex(classes)
    min_n = _min_n(per_class["decisions"])
    with style():
        fig = new_figure(6.6, 0.34 * len(classes) + 2.3)
        ax = fig.subplots()
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, len(classes) - 0.4)
        for i in range(len(classes) - 1):
            ax.axhline(i + 0.5, color="0.85", linewidth=0.5, linestyle=":")
        for offset, group in _offsets(groups):
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
        right.tick_params(length=0)
        _icon_labels(ax, classes)
        ax.set_xlabel("fraction of 'shape' decisions (bars: 95 % Wilson interval)")
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


# -- response times ------------------------------------------------------------------------
def rt_figure(table: pd.DataFrame, out_dir: str | Path,
              simulated: dict[str, str] | None = None) -> list[Panel]:
    """Box plots of the response times of answered trials, one box per human observer and
    experiment (whiskers 5-95 %), each labelled with its number of answered trials."""
    simulated = simulated or {}
    humans = table[(table["observer_type"] == "human") & (table["response"] != "na")]
    humans = humans[humans["rt"].notna()]
    if humans.empty:
        return []
    groups = list(humans.groupby(["experiment", "observer"], sort=True)["rt"])
    labels = [f"{experiment}: {_short_label(str(observer), simulated)} (n={len(values)})"
              for (experiment, observer), values in groups]
    data = [values.to_numpy() for _, values in groups]
    min_n = _min_n([len(values) for values in data])
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
        mark_low_n(fig, min_n)
        fig.tight_layout(rect=(0, 0.06 if too_few(min_n) else 0, 1, 1))
        paths = save(fig, out_dir, "response_times")
    return [Panel(paths, "Response-time distributions", min_n)]


# -- the registered figures (``results plot --kind NAME`` and the report) -----------------
@register_figure("figure3", section="accuracy", title="Accuracy and response entropy",
                 order=10)
def plot_figure3(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Accuracy and response entropy against signal strength (the paper's figure 3)."""
    return figure3(data.table, out_dir, data.names)


@register_figure("consistency", section="consistency", title="Error consistency",
                 order=20, collapsed=True)
def plot_consistency(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Observer x observer error consistency, one matrix per experiment."""
    from results.consistency import consistency_matrix, human_observers

    pairs = data.pairs
    panels: list[Panel] = []
    for experiment in experiment_order(pairs["experiment"].unique()) if len(pairs) else []:
        rows = pairs[pairs["experiment"] == experiment]
        counts = shared_trials_matrix(rows)
        for panel in consistency_figure(consistency_matrix(pairs, experiment), experiment,
                                        human_observers(rows), out_dir, counts,
                                        data.simulated):
            median_n = int(rows["n_trials"].median())
            panels.append(Panel(panel.paths, f"{experiment} (median {median_n} shared "
                                             "trials per pair and condition)", panel.min_n))
    return panels


def shared_trials_matrix(pairs: pd.DataFrame) -> pd.DataFrame:
    """Observer x observer trials both saw, summed over conditions (of one experiment)."""
    total = pairs.groupby(["observer_1", "observer_2"])["n_trials"].sum()
    both = pd.concat([total, total.rename_axis(["observer_2", "observer_1"])
                      .reorder_levels(["observer_1", "observer_2"])])
    return both.unstack()


@register_figure("shape-bias", section="shape-bias", title="Shape bias", order=40)
def plot_shape_bias(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Shape bias per class on cue-conflict trials (Geirhos et al. 2019, figure 4)."""
    return shape_bias_figure(data.shape_bias, out_dir, data.names)


@register_figure("confusion", section="confusion", title="Confusion matrices", order=50,
                 collapsed=True)
def plot_confusion(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Confusion matrices per experiment, at the given condition or where the humans are
    closest to 50 % correct."""
    table = data.table
    experiments = [data.experiment] if data.experiment else \
        experiment_order(table["experiment"].unique())
    panels: list[Panel] = []
    for experiment in experiments:
        if experiment not in set(table["experiment"]):
            raise LabInputError(f"no trials of experiment {experiment!r} in the input; "
                                f"found {', '.join(sorted(table['experiment'].unique()))}")
        rows = table[table["experiment"] == experiment]
        condition = data.condition or informative_condition(table, experiment)
        if condition not in set(rows["condition"]):
            raise LabInputError(
                f"experiment {experiment!r} has no condition {condition!r} in the input; "
                f"use one of {', '.join(sorted(rows['condition'].unique()))}")
        panels += confusion_figure(table, experiment, condition, out_dir, data.names)
    return panels


@register_figure("rt", section="quality", title="Response times", order=90, collapsed=True)
def plot_rt(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Response-time distributions per human observer and experiment."""
    return rt_figure(data.table, out_dir, data.simulated)


@register_figure("figure4", section="figure4", title="Trained networks (the paper's figure 4)",
                 order=70)
def plot_figure4(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Accuracy of networks trained on distortions, at each experiment's test condition."""
    from lab.readers import HEAD_16_RULE
    from results.training_matrix import figure4

    table = data.table
    trained = (table["observer_type"] != "human") & (table["rule"] == HEAD_16_RULE)
    if not trained.any():  # only networks trained here (16-way heads) belong in figure 4
        return []
    paths = figure4(table[trained | (table["observer_type"] == "human")], out_dir)
    return [Panel(paths, "figure 4: accuracy at each experiment's test condition")] \
        if paths else []
