"""Confusion matrices: 16 rows (presented class) x 17 columns (answer, ``na`` last)."""

from __future__ import annotations

import pandas as pd

from lab.categories import CATEGORIES, NO_RESPONSE

RESPONSE_COLUMNS: tuple[str, ...] = CATEGORIES + (NO_RESPONSE,)


def confusion_counts(trials: pd.DataFrame) -> pd.DataFrame:
    """Trial counts, rows = ``category`` (the 16 classes, alphabetical), columns = the
    answer (16 classes then ``na``); every row and column is present, zeros included."""
    counts = pd.crosstab(
        pd.Categorical(trials["category"], categories=CATEGORIES),
        pd.Categorical(trials["response"], categories=RESPONSE_COLUMNS),
        dropna=False,
    )
    counts.index = pd.Index(CATEGORIES, name="category")
    counts.columns = pd.Index(RESPONSE_COLUMNS, name="response")
    return counts.astype(int)


def confusion_percent(trials: pd.DataFrame) -> pd.DataFrame:
    """Each row of :func:`confusion_counts` as percent of that class's trials (NaN for a
    class that was never shown)."""
    counts = confusion_counts(trials)
    totals = counts.sum(axis=1)
    return counts.div(totals.where(totals > 0), axis=0) * 100.0
