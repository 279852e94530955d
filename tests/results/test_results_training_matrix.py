"""The Figure-4 matrix: one test condition per distortion (rows), models as columns with
the humans first, as the paper drew it."""

from __future__ import annotations

import pandas as pd
import pytest

from results.registry import FigureInput, get_figure
from results.training_matrix import figure4, figure4_table


def _trials(observer: str, kind: str, experiment: str, condition: str, correct: list[int],
            rule: str = "16-way", session: int = 1):
    return [{"experiment": experiment, "condition": condition, "observer": observer,
             "observer_type": kind, "source_format": "lab", "session": session,
             "correct": bool(c), "response": "dog" if c else "cat",
             "rule": "" if kind == "human" else rule} for c in correct]


def test_matrix_takes_each_distortions_test_condition(tmp_path):
    rows = (_trials("noise-net", "dnn", "uniform-noise", "0.35", [1, 1, 1, 0])
            + _trials("noise-net", "dnn", "uniform-noise", "0.35", [1, 1, 1, 1], session=2)
            + _trials("noise-net", "dnn", "uniform-noise", "0.00", [0, 0, 0, 0])
            + _trials("noise-net", "dnn", "contrast", "c05", [1, 0, 0, 0])
            + _trials("clean-net", "dnn", "uniform-noise", "0.35", [0, 0, 0, 1])
            + _trials("s01", "human", "uniform-noise", "0.35", [1, 0, 1, 0])
            + _trials("s02", "human", "uniform-noise", "0.35", [1, 1, 1, 1]))
    table = pd.DataFrame(rows)
    matrix = figure4_table(table)
    assert list(matrix.columns) == ["humans", "clean-net", "noise-net"]
    assert list(matrix.index) == ["contrast (5%)", "uniform noise (0.35)"]
    assert matrix.loc["uniform noise (0.35)", "noise-net"] == 7 / 8  # sessions pooled
    assert matrix.loc["uniform noise (0.35)", "humans"] == 0.75
    assert matrix.loc["contrast (5%)", "noise-net"] == 0.25
    assert pd.isna(matrix.loc["contrast (5%)", "clean-net"])
    paths = figure4(table, tmp_path)
    assert [p.name for p in paths] == ["figure4-training.png", "figure4-training.pdf",
                                       "figure4-training.csv"]
    csv = pd.read_csv(paths[-1], dtype={"condition": str})
    assert list(csv.columns[:7]) == ["network", "label", "row", "experiment", "condition",
                                     "accuracy", "n"]
    assert csv.loc[csv["network"] == "noise-net", "n"].tolist() == [4, 8]


def test_the_registered_figure_shows_only_networks_trained_on_distortions(tmp_path):
    pretrained = pd.DataFrame(_trials("efficientnet_lite0", "dnn", "uniform-noise", "0.35",
                                      [1, 0], rule="sum")
                              + _trials("s01", "human", "uniform-noise", "0.35", [1, 1]))
    data = FigureInput(pretrained)
    assert get_figure("figure4").draw(data, tmp_path / "a") == []
    assert "no network trained on distortions" in data.nothing_drawn("figure4")
    trained = pd.concat([pretrained, pd.DataFrame(
        _trials("noise-net", "dnn", "uniform-noise", "0.35", [1, 1]))], ignore_index=True)
    panels = get_figure("figure4").draw(FigureInput(trained), tmp_path / "b")
    assert len(panels) == 1 and "contrast humans" in panels[0].caption


@pytest.mark.parametrize("choice", ["paper", "png"])
def test_contrast_humans_choice_is_recorded(tmp_path, choice):
    table = pd.DataFrame(_trials("net", "dnn", "contrast", "c05", [1, 0])
                         + _trials("a", "human", "contrast-experiment", "c05", [1, 1])
                         + _trials("b", "human", "contrast", "c05", [0, 0]))
    paths = figure4(table, tmp_path, contrast_humans=choice)
    csv = pd.read_csv(paths[-1])
    human = csv[csv["network"] == "humans"].iloc[0]
    assert human["humans_from"] == {"paper": "contrast-experiment", "png": "contrast"}[choice]
    assert human["accuracy"] == {"paper": 1.0, "png": 0.0}[choice]
