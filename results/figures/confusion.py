"""Figure: 16x17 confusion matrices per observer group."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.colors import LinearSegmentedColormap

from lab.categories import CATEGORIES
from lab.errors import LabInputError
from results.confusion import RESPONSE_COLUMNS, confusion_percent
from results.figures._common import experiment_order, fewest_trials, mark_low_n, safe_name
from results.intervals import too_few
from results.plot_style import HUMAN_COLOUR, colour_of, display_name, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure
from results.tables import HUMANS, group_order, with_units

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
    the number of trials of each presented class in the panel's title when every class has
    the same, else right of each row."""
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
        # constrained layout keeps each panel's n labels (right) clear of the next panel's
        # class names and of the colour bar
        fig = new_figure(4.0 * ncols + 1.0, 3.4 * nrows + 0.7)
        fig.set_layout_engine("compressed", w_pad=0.08, wspace=0.06)
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
            # the classes are named left of each row of panels (the same in every panel)
            ax.set_yticks(range(len(CATEGORIES)),
                          CATEGORIES if index % ncols == 0 else [], fontsize=6)
            ax.set_xlabel("response")
            if index % ncols == 0:
                ax.set_ylabel("presented category")
            per_row = set(per_class)
            if len(per_row) == 1 and min(per_row) > 0:  # every row's n in the title
                rows_n = f"; {min(per_row)} per row"
            else:  # rows differ: each row's n right of it
                rows_n = "; n per row at right"
                right = ax.secondary_yaxis("right")
                right.set_yticks(range(len(CATEGORIES)), [f"n={v}" for v in per_class],
                                 fontsize=5)
                right.tick_params(length=0)
            ax.set_title(f"{names.get(group, display_name(group))} (n = {len(cell)}{rows_n})",
                         color=colour_of(group), fontsize=8)
        for ax in list(axes.flat)[len(groups):]:
            ax.set_visible(False)
        fig.suptitle(f"{experiment}, condition {condition}: responses in % of trials per "
                     "presented category (n: trials)")
        min_n = fewest_trials(row_counts)
        mark_low_n(fig, min_n)
        if too_few(min_n):  # room for the caution line at the bottom
            fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))
        if image is not None:
            fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="% of trials",
                         pad=0.02)
        paths = save(fig, out_dir, f"confusion_{experiment}_{safe_name(condition)}")
    return [Panel(paths, f"{experiment}, condition {condition}", min_n)]


def _cell_outline(i: int, j: int):
    from matplotlib.patches import Rectangle
    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=0.4)


@register_figure("confusion", section="confusion", title="Confusion matrices", order=50,
                 collapsed=True,
                 example="python -m results plot data/ out/dnn --out figures --kind confusion "
                         "\\\n    --experiment uniform-noise --condition 0.35")
def plot_confusion(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Confusion matrices per experiment, at the given condition or where the humans are
    closest to 50 % correct."""
    table = data.table
    experiments = [data.experiment] if data.experiment else \
        experiment_order(table["experiment"].unique())
    present = set(table["experiment"].unique())  # not set(column): 343k rows in 2018
    panels: list[Panel] = []
    for experiment in experiments:
        if experiment not in present:
            raise LabInputError(f"no trials of experiment {experiment!r} in the input; "
                                f"found {', '.join(sorted(table['experiment'].unique()))}")
        rows = table[table["experiment"] == experiment]
        condition = data.condition or informative_condition(rows, experiment)
        if condition not in set(rows["condition"].unique()):
            raise LabInputError(
                f"experiment {experiment!r} has no condition {condition!r} in the input; "
                f"use one of {', '.join(sorted(rows['condition'].unique()))}")
        # the experiment's rows: not the whole table filtered again (343k rows in 2018)
        panels += confusion_figure(rows, experiment, condition, out_dir, data.names)
    return panels
