"""The figures, one module each; every module registers its figure with
:func:`results.registry.register_figure` and is found by walking this package (adding a
figure is adding a module here). Each drawing function writes PNG and PDF and returns
:class:`~results.registry.Panel` objects (or paths).

The drawing functions are re-exported here for callers that draw one figure directly."""

from results.figures._common import axis_for, experiment_order, n_text
from results.figures.accuracy_entropy import figure3, figure3_points
from results.figures.confusion import confusion_figure, informative_condition
from results.figures.consistency import consistency_figure, shared_trials_matrix
from results.figures.rt import rt_figure
from results.figures.shape_bias import shape_bias_figure

__all__ = [
    "axis_for", "confusion_figure", "consistency_figure", "experiment_order", "figure3",
    "figure3_points", "informative_condition", "n_text", "rt_figure", "shape_bias_figure",
    "shared_trials_matrix",
]
