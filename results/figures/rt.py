"""Figure: response-time distributions per human observer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from results.figures._common import fewest_trials, mark_low_n, short_label
from results.intervals import too_few
from results.plot_style import HUMAN_COLOUR, new_figure, save, style
from results.registry import FigureInput, Panel, register_figure


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
    labels = [f"{experiment}: {short_label(str(observer), simulated)} (n={len(values)})"
              for (experiment, observer), values in groups]
    data = [values.to_numpy() for _, values in groups]
    min_n = fewest_trials([len(values) for values in data])
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


@register_figure("rt", section="quality", title="Response times", order=90, collapsed=True)
def plot_rt(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Response-time distributions per human observer and experiment."""
    return rt_figure(data.table, out_dir, data.simulated)
