"""The Figure-4 matrix: one test condition per distortion, humans as the first row."""

from __future__ import annotations

import pandas as pd

from results.training_matrix import figure4, figure4_table


def _trials(observer: str, kind: str, experiment: str, condition: str, correct: list[int]):
    return [{"experiment": experiment, "condition": condition, "observer": observer,
             "observer_type": kind, "source_format": "lab", "session": 1,
             "correct": bool(c), "response": "dog" if c else "cat"} for c in correct]


def test_matrix_takes_each_experiments_test_condition(tmp_path):
    rows = (_trials("noise-net", "dnn", "uniform-noise", "0.35", [1, 1, 1, 0])
            + _trials("noise-net", "dnn", "uniform-noise", "0.00", [0, 0, 0, 0])
            + _trials("noise-net", "dnn", "contrast", "c05", [1, 0, 0, 0])
            + _trials("clean-net", "dnn", "uniform-noise", "0.35", [0, 0, 0, 1])
            + _trials("s01", "human", "uniform-noise", "0.35", [1, 0, 1, 0])
            + _trials("s02", "human", "uniform-noise", "0.35", [1, 1, 1, 1]))
    table = pd.DataFrame(rows)
    matrix = figure4_table(table)
    assert list(matrix.index) == ["humans", "clean-net", "noise-net"]
    assert list(matrix.columns) == ["uniform-noise 0.35", "contrast c05"]
    assert matrix.loc["noise-net", "uniform-noise 0.35"] == 0.75
    assert matrix.loc["humans", "uniform-noise 0.35"] == 0.75  # mean over observers
    assert matrix.loc["noise-net", "contrast c05"] == 0.25
    assert pd.isna(matrix.loc["clean-net", "contrast c05"])
    paths = figure4(table, tmp_path)
    assert [p.name for p in paths] == ["figure4-training.png", "figure4-training.pdf"]
    assert figure4(table, tmp_path / "none", conditions={"rotation": "90"}) == []


def test_the_registered_figure_shows_only_networks_trained_here(tmp_path):
    """Figure 4 is about networks trained on distortions (16-way heads, rule 16-way): a
    report of pretrained networks only has no figure 4, and pretrained rows stay out."""
    from results.registry import FigureInput, get_figure

    def rows(observer, kind, rule, correct):
        return [dict(r, rule=rule) for r in _trials(observer, kind, "uniform-noise", "0.35",
                                                    correct)]

    pretrained = pd.DataFrame(rows("efficientnet_lite0", "dnn", "sum", [1, 0])
                              + rows("s01", "human", "", [1, 1]))
    draw = get_figure("figure4").draw
    assert draw(FigureInput(pretrained), tmp_path / "a") == []
    trained = pd.concat([pretrained, pd.DataFrame(rows("noise-net", "dnn", "16-way", [1, 1]))],
                        ignore_index=True)
    panels = draw(FigureInput(trained), tmp_path / "b")
    assert len(panels) == 1
