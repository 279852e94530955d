"""``python -m results table``: accuracy and response entropy per condition."""

from __future__ import annotations

from results.commands._plain import register_plain_table

register_plain_table(
    "table", "results.tables:summary_table", order=10,
    help="accuracy and response entropy per experiment, condition and observer group "
         "(humans, each model)",
    example="python -m results table data/ out/dnn\n"
            "python -m results table data/ out/dnn --rule mean --csv > accuracy.csv\n"
            "python -m results table geirhos2018-humans --csv > humans2018.csv")
