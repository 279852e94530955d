"""The 2018 paper's Figure 4: accuracy of networks trained on distortions (rows) on each
distortion (columns) at one test condition each, with the humans as the first row.

The reference names three test conditions (uniform noise 0.35, salt-and-pepper 0.2,
contrast 5%); for the other experiments :data:`FIGURE4_CONDITIONS` picks one hard level
(our choice, stated in docs/training.md); pass ``conditions`` to use others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from results.plot_style import display_name, new_figure, save, style
from results.tables import HUMANS, group_order, unit_table

log = logging.getLogger(__name__)

#: experiment -> test condition. The first three are the paper's; the rest our choice.
FIGURE4_CONDITIONS: dict[str, str] = {
    "uniform-noise": "0.35", "salt-and-pepper": "0.2", "contrast": "c05",
    "colour": "bw", "low-pass": "7", "high-pass": "0.7", "phase-scrambling": "90",
    "power-equalisation": "pow", "false-colour": "false", "rotation": "90",
    "eidolonI": "8-10-10", "eidolonII": "8-3-10", "eidolonIII": "8-0-10",
}


def figure4_table(table: pd.DataFrame,
                  conditions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Accuracy (0-1) per observer group (rows: humans first) and experiment (columns) at
    each experiment's test condition; experiments absent from ``table`` are left out."""
    conditions = dict(FIGURE4_CONDITIONS if conditions is None else conditions)
    per_unit = unit_table(table)
    cells = []
    for experiment, condition in conditions.items():
        rows = per_unit[(per_unit["experiment"] == experiment)
                        & (per_unit["condition"].astype(str) == condition)]
        if rows.empty:
            continue
        acc = rows.groupby("group", observed=True)["accuracy"].mean()
        cells.append(acc.rename(f"{experiment} {condition}"))
    if not cells:
        return pd.DataFrame()
    matrix = pd.concat(cells, axis=1)
    return matrix.reindex(group_order(matrix.index))


def figure4(table: pd.DataFrame, out_dir: str | Path,
            conditions: Mapping[str, str] | None = None) -> list[Path]:
    """Draw :func:`figure4_table` as a matrix of percentages (PNG + PDF,
    ``figure4-training.*``); nothing when no experiment has its test condition."""
    matrix = figure4_table(table, conditions)
    if matrix.empty:
        log.info("figure 4: no experiment at its test condition; skipped")
        return []
    values = matrix.to_numpy(dtype=float) * 100
    with style():
        # room for the title above and the rotated tick labels and axis label below, also
        # for a single network
        fig = new_figure(max(4.8, 1.6 + 0.75 * matrix.shape[1]),
                         max(2.8, 1.9 + 0.38 * matrix.shape[0]))
        ax = fig.subplots()
        ax.imshow(np.ma.masked_invalid(values), cmap="Greens", vmin=0, vmax=100,
                  aspect="auto")
        for (i, j), v in np.ndenumerate(values):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 60 else "black")
        ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=45, ha="right")
        ax.set_yticks(range(matrix.shape[0]),
                      [display_name(g) for g in matrix.index])
        if HUMANS in matrix.index:
            ax.axhline(0.5, color="0.3", linewidth=1.0)
        ax.set_title("accuracy (%) of each network on each distortion\n(test condition)",
                     fontsize=9)
        ax.set_xlabel("test distortion")
        ax.set_ylabel("trained network")
        fig.tight_layout()
        return save(fig, out_dir, "figure4-training")
