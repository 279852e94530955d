"""``python -m results table``: accuracy and response entropy per condition."""

from __future__ import annotations

from results.commands._plain import register_plain_table

#: under the text table: its interval speaks for these observers only (issue 19)
WITHIN_OBSERVERS_LEGEND = (
    "accuracy_ci_low/high: within-observer 95 % Wilson interval of the trials pooled over\n"
    "these observers (the variance between observers is left out); for a claim about\n"
    "people (observers resampled, then trials): python -m results intervals --what accuracy")

register_plain_table(
    "table", "results.tables:summary_table", order=10,
    help="accuracy and response entropy per experiment, condition and observer group "
         "(humans, each model); the accuracy interval is within observers",
    example="python -m results table data/ out/dnn\n"
            "python -m results table data/ out/dnn --rule mean --csv > accuracy.csv\n"
            "python -m results table geirhos2018-humans --csv > humans2018.csv",
    legend=WITHIN_OBSERVERS_LEGEND)
