"""``python -m results shape-bias``: shape bias on cue-conflict trials."""

from __future__ import annotations

import argparse

import pandas as pd

from lab.errors import LabInputError
from results.registry import register_table


@register_table(
    "shape-bias", order=30,
    help="shape bias per observer and class on cue-conflict trials",
    example="python -m results shape-bias data/ out/dnn   # cue-conflict trials")
def shape_bias_command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from results.shape_bias import shape_bias
    bias = shape_bias(table)
    if bias.empty:
        raise LabInputError("no cue-conflict trials (image names <shape><n>-<texture><m>) "
                            "in the input; give cue-conflict data")
    return bias
