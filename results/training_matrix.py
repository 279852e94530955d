"""The 2018 paper's Figure 4 as the paper drew it: accuracy of networks trained on
distortions at one test condition per distortion (Geirhos et al. 2018, Figure 4 and the
authors' ``training-plots.R``).

Layout: one column per model, the human observers first, then the paper's networks in the
order of its labels (A1-A9: clean and one distortion each; B1-B9: uniform noise plus one
other, 200 epochs; C1, C2: all but one), then any other network (trained here) by name;
one row per test cell, top to bottom colour, greyscale, contrast 5 %, low-pass 7, high-pass
0.7, phase scrambling 90 degrees, rotation 90 degrees, salt-and-pepper 0.2, uniform noise
0.35 (the colour experiment gives two rows: its colour and its greyscale condition). The
authors picked, per experiment, the condition where humans were closest to 50 % correct.

A cell is the share of correct trials pooled over the network's sessions (over all human
observers for the humans), as the authors computed it. The humans of the contrast row are,
as in the paper's figure, those of the contrast experiment (``contrast-experiment``, 5
observers: 47.6 %); ``contrast_humans="png"`` takes those who saw the networks' PNG
stimuli (``contrast-png-experiment``, 3 observers: 54.6 %, the published fine-tuning
table). No human saw salt-and-pepper noise: that cell is NA.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from results.plot_style import display_name, new_figure, save, style
from results.tables import HUMANS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestCell:
    """One row of the figure: a test experiment (design name) at one condition."""

    row: str  #: the row's label in the figure
    experiment: str
    condition: str
    #: where the humans of this row come from, first present wins ("" in the tuple: none)
    humans: tuple[str, ...]
    #: training components (in the paper's network names) that include this distortion
    trained_on: tuple[str, ...]


PAPER_CELLS: tuple[TestCell, ...] = (
    TestCell("colour", "colour", "cr", ("colour",), ("color",)),
    TestCell("greyscale", "colour", "bw", ("colour",), ("grayscale",)),
    TestCell("contrast (5%)", "contrast", "c05", ("contrast-experiment", "contrast"),
             ("grayscale-contrast",)),
    TestCell("low-pass (std=7)", "low-pass", "7", ("low-pass",), ("low-pass",)),
    TestCell("high-pass (std=0.7)", "high-pass", "0.7", ("high-pass",), ("high-pass",)),
    TestCell("phase scrambling (90°)", "phase-scrambling", "90", ("phase-scrambling",),
             ("phase-scrambling",)),
    TestCell("rotation (90°)", "rotation", "90", ("rotation",), ("rotation",)),
    TestCell("salt-and-pepper noise (0.2)", "salt-and-pepper", "0.2", (),
             ("salt-and-pepper-noise",)),
    TestCell("uniform noise (0.35)", "uniform-noise", "0.35", ("uniform-noise",),
             ("uniform-noise",)),
)
#: Where the contrast row's humans come from: the paper's figure, or the PNG experiment.
CONTRAST_HUMANS: dict[str, tuple[str, ...]] = {
    "paper": ("contrast-experiment", "contrast"), "png": ("contrast",)}

#: The paper's 20 networks: the short name (before the first ``--``) -> the figure's label.
PAPER_NETWORKS: dict[str, str] = {
    "sixteen01v4": "A1", "sixteen26": "A2", "sixteen07": "A3", "sixteen08": "A4",
    "sixteen11": "A5", "sixteen16": "A6", "sixteen09": "A7", "sixteen21": "A8",
    "sixteen03": "A9", "sixteen30": "B1", "sixteen31": "B2", "sixteen32": "B3",
    "sixteen33": "B4", "sixteen34": "B5", "sixteen35": "B6", "sixteen36": "B7",
    "sixteen22": "B8", "sixteen27": "B9", "sixteen19": "C1", "sixteen18": "C2",
}
#: Training components that make a network see greyscale images without saying so.
_IMPLICIT_GREY = ("grayscale-contrast", "low-pass", "high-pass", "phase-scrambling",
                  "rotation")
FILE_STEM = "figure4-training"
CSV_COLUMNS = ("network", "label", "row", "experiment", "condition", "accuracy", "n",
               "humans_from")


def network_label(observer: str) -> str:
    """The figure's label of a network: A1...C2 for the paper's, else its own name."""
    return PAPER_NETWORKS.get(observer.split("--", 1)[0], observer)


def _components(observer: str) -> list[str]:
    return [re.sub(r"-multiple$", "", c) for c in observer.split("--")[1:]]


def trained_mark(observer: str, cell: TestCell) -> str:
    """``box`` where the network was trained on the cell's distortion, ``underline`` in the
    greyscale row for networks that saw greyscale images implicitly, else ``""`` (the
    paper's red boxes and thin underlines; known for the paper's networks only)."""
    if network_label(observer) == observer:
        return ""
    parts = _components(observer)
    if any(p in cell.trained_on for p in parts) or (
            cell.row == "colour" and network_label(observer) == "A1"):
        return "box"
    if cell.row == "greyscale" and any(p in _IMPLICIT_GREY for p in parts):
        return "underline"
    return ""


def _order(networks: list[str]) -> list[str]:
    labels = list(PAPER_NETWORKS.values())
    paper = sorted((n for n in networks if network_label(n) != n),
                   key=lambda n: labels.index(network_label(n)))
    return paper + sorted(n for n in networks if network_label(n) == n)


def figure4_cells(table: pd.DataFrame, *, contrast_humans: str = "paper",
                  cells: tuple[TestCell, ...] = PAPER_CELLS) -> pd.DataFrame:
    """The figure's numbers, long: network (``humans`` first), label, row, experiment,
    condition, accuracy (0-1, pooled trials), n (trials) and humans_from (the experiment
    the humans of that row were read from). Networks are every non-human observer of
    ``table``; rows without data are left out, the humans' missing cells kept as NaN."""
    if contrast_humans not in CONTRAST_HUMANS:
        from lab.errors import LabInputError
        raise LabInputError(f"contrast humans {contrast_humans!r}: use "
                            f"{' or '.join(CONTRAST_HUMANS)}")
    human = (table["observer_type"] == "human").to_numpy()
    condition = table["condition"].astype(str)
    networks = _order(list(table.loc[~human, "observer"].astype(str).unique()))
    out = []
    for cell in cells:
        at = (condition == cell.condition).to_numpy()
        rows = table[at & ~human & (table["experiment"] == cell.experiment).to_numpy()]
        if rows.empty:
            continue
        sources = CONTRAST_HUMANS[contrast_humans] if cell.row.startswith("contrast") \
            else cell.humans
        found = ""
        people = table.iloc[:0]
        for source in sources:
            people = table[at & human & (table["experiment"] == source).to_numpy()]
            if len(people):
                found = source
                break
        out.append({"network": HUMANS, "label": "humans", "row": cell.row,
                    "experiment": cell.experiment, "condition": cell.condition,
                    "accuracy": float(people["correct"].mean()) if len(people) else np.nan,
                    "n": len(people), "humans_from": found})
        stats = rows.groupby(rows["observer"].astype(str), observed=True)["correct"].agg(
            ["mean", "size"])
        for network in networks:
            if network in stats.index:
                out.append({"network": network, "label": network_label(network),
                            "row": cell.row, "experiment": cell.experiment,
                            "condition": cell.condition,
                            "accuracy": float(stats.loc[network, "mean"]),
                            "n": int(stats.loc[network, "size"]), "humans_from": ""})
    return pd.DataFrame(out, columns=list(CSV_COLUMNS))


def figure4_table(table: pd.DataFrame, **options: str) -> pd.DataFrame:
    """:func:`figure4_cells` as the figure's matrix: rows are the test cells (top to
    bottom), columns the models (humans first), values accuracy 0-1."""
    cells = figure4_cells(table, **options)
    if cells.empty:
        return pd.DataFrame()
    matrix = cells.pivot(index="row", columns="network", values="accuracy")
    rows = [c.row for c in PAPER_CELLS if c.row in matrix.index]
    columns = [HUMANS] + _order([c for c in matrix.columns if c != HUMANS])
    return matrix.reindex(index=rows, columns=columns)


def figure4(table: pd.DataFrame, out_dir: str | Path, *,
            contrast_humans: str = "paper") -> list[Path]:
    """Draw the matrix as the paper did (PNG + PDF, ``figure4-training.*``) and write its
    numbers beside it (``figure4-training.csv``); ``[]`` when no network was tested at any
    of the figure's conditions."""
    cells = figure4_cells(table, contrast_humans=contrast_humans)
    if cells.empty or (cells["network"] != HUMANS).sum() == 0:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"{FILE_STEM}.csv"
    cells.to_csv(csv, index=False, na_rep="NA", float_format="%.15g")
    matrix = figure4_table(table, contrast_humans=contrast_humans)
    values = matrix.to_numpy(dtype=float) * 100
    labels = ["human observers" if c == HUMANS else network_label(c) for c in matrix.columns]
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    cmap = LinearSegmentedColormap.from_list("vgg-blue", ["#FFFFFF", "#0069AA"])
    with style():
        rows, cols = matrix.shape
        # room for the (two-line) title, the rotated labels and the axis labels, also
        # for a single row or network
        fig = new_figure(max(4.4, 1.8 + 0.5 * cols), max(3.0, 2.0 + 0.45 * rows))
        ax = fig.subplots()
        finite = values[np.isfinite(values)]
        ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=finite.min(),
                  vmax=finite.max(), aspect="equal")
        for (i, j), v in np.ndenumerate(values):
            if np.isnan(v):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color="0.75"))
            ax.text(j, i, "NA" if np.isnan(v) else f"{v:.1f}", ha="center", va="center",
                    fontsize=6)
            mark = "" if j == 0 else trained_mark(
                matrix.columns[j], next(c for c in PAPER_CELLS if c.row == matrix.index[i]))
            if mark == "box":
                ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False,
                                       edgecolor="#A51E37", linewidth=1.5))
            elif mark == "underline":
                ax.plot([j - 0.35, j + 0.35], [i + 0.38, i + 0.38], color="black",
                        linewidth=0.8)
        for x in range(cols + 1):
            ax.axvline(x - 0.5, color="black", linewidth=0.5)
        for y in range(rows + 1):
            ax.axhline(y - 0.5, color="black", linewidth=0.5)
        for block_end in ("human observers", "A9", "B9"):  # the paper's thick separators
            if block_end in labels and labels.index(block_end) < cols - 1:
                ax.axvline(labels.index(block_end) + 0.5, color="black", linewidth=2.0)
        ax.set_xticks(range(cols), [display_name(x) if x == "humans" else x for x in labels],
                      rotation=45, ha="right")
        ax.set_yticks(range(rows), list(matrix.index))
        ax.set_xlabel("Model")
        ax.set_ylabel("Evaluation condition")
        contrast = cells.loc[(cells["network"] == HUMANS)
                             & cells["row"].str.startswith("contrast"), "humans_from"]
        source = contrast.iloc[0] if len(contrast) and contrast.iloc[0] else "none"
        ax.set_title("accuracy (%) at each distortion's test condition;\nhumans of the "
                     f"contrast row: {source}", fontsize=8)
        fig.set_layout_engine("constrained")  # the axis labels stay clear of the title
        paths = save(fig, out_dir, FILE_STEM)
    return paths + [csv]
