"""``python -m results consistency``: error consistency of every pair of observers."""

from __future__ import annotations

from results.commands._plain import register_plain_table

register_plain_table(
    "consistency", "results.consistency:pairwise_consistency", order=20,
    help="error consistency (kappa) of every pair of observers per experiment and "
         "condition",
    example="python -m results consistency data/ out/dnn --csv > consistency.csv")
