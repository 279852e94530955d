"""Figure: accuracy of networks trained on distortions (Geirhos et al. 2018, figure 4)."""

from __future__ import annotations

from pathlib import Path

from results.registry import FigureInput, Panel, register_figure


@register_figure("figure4", section="figure4", title="Trained networks (the paper's figure 4)",
                 order=70)
def plot_figure4(data: FigureInput, out_dir: Path) -> list[Panel]:
    """Accuracy of networks trained on distortions, at each experiment's test condition."""
    from lab.decision_rules import HEAD_16_RULE
    from results.training_matrix import figure4

    table = data.table
    trained = (table["observer_type"] != "human") & (table["rule"] == HEAD_16_RULE)
    if not trained.any():  # only networks trained here (16-way heads) belong in figure 4
        return []
    paths = figure4(table[trained | (table["observer_type"] == "human")], out_dir)
    return [Panel(paths, "figure 4: accuracy at each experiment's test condition")] \
        if paths else []
