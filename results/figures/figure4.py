"""Figure: accuracy of networks trained on distortions (Geirhos et al. 2018, Figure 4)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from results.registry import FigureInput, NothingToDraw, Panel, register_figure

log = logging.getLogger(__name__)


def _with_2018_humans(table: pd.DataFrame) -> pd.DataFrame:
    """The authors' fine-tuned networks come without humans: the figure's human column is
    the bundled 2018 human data, added here (with a log line) when no human is in
    ``table``."""
    from lab.readers.original import FINE_TUNED_NETWORK

    human = table["observer_type"] == "human"
    paper = table["observer"].astype(str).str.match(FINE_TUNED_NETWORK.pattern)
    if human.any() or not paper.any():
        return table
    from lab.datasets import HUMANS_2018
    from lab.readers import read_trials

    log.warning("figure 4: the human column from the bundled 2018 human data (%s)",
                HUMANS_2018.name)
    humans = read_trials(HUMANS_2018)
    return pd.concat([table, humans[humans["observer_type"] == "human"]], ignore_index=True)


@register_figure("figure4", section="figure4", title="Trained networks (the paper's figure 4)",
                 order=70, example="python -m results plot geirhos2018-fine-tuning "
                                   "--kind figure4 --out out/figure4")
def plot_figure4(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Accuracy of networks trained on distortions (columns, humans first) at each
    distortion's test condition (rows), as the paper drew it; its numbers in a CSV beside
    it."""
    from lab.decision_rules import HEAD_16_RULE
    from results.training_matrix import figure4

    table = data.table
    trained = (table["observer_type"] != "human") & (table["rule"] == HEAD_16_RULE)
    if not trained.any():  # only networks trained on distortions (16-way heads) belong here
        raise NothingToDraw("no network trained on distortions (16-way head) in the data; "
                            "figure 4 shows networks trained with python -m models train or "
                            "the authors' fine-tuning data (geirhos2018-fine-tuning)")
    contrast = data.options.get("contrast_humans", "paper")
    table = _with_2018_humans(table[trained | (table["observer_type"] == "human")])
    paths = figure4(table, out_dir, contrast_humans=contrast)
    if not paths:
        raise NothingToDraw("no trained network was tested at one of the figure's test "
                            "conditions (colour cr/bw, contrast c05, low-pass 7, high-pass "
                            "0.7, phase scrambling 90, rotation 90, salt-and-pepper 0.2, "
                            "uniform noise 0.35)")
    source = {"paper": "contrast-experiment, as in the paper's figure",
              "png": "contrast-png-experiment, the networks' PNG stimuli"}[contrast]
    return [Panel(paths, f"figure 4: accuracy at each distortion's test condition; "
                         f"contrast humans: {source}; numbers in {paths[-1].name}")]
