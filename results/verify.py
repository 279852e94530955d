"""Reproduce the per-condition accuracies published with Geirhos et al. 2018 from the raw
data: the bundled human data always, the networks' data where they were fetched."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from lab.datasets import (
    HUMANS_2018,
    PUBLISHED_2018,
    FetchOffline,
    dataset_folder,
    fetch,
    missing_files,
)
from lab.readers import read_trials
from results.tables import summary_table

log = logging.getLogger(__name__)

#: Largest difference that still counts as reproduced (the published numbers are
#: printed with 15 significant digits).
TOLERANCE = 1e-12
DNN_DATASET = "geirhos2018-dnn"


def published_accuracies(path: Path = PUBLISHED_2018) -> pd.DataFrame:
    """Long table: experiment, condition, observer, published."""
    wide = pd.read_csv(path, comment="#", dtype={"condition": str})
    return wide.melt(id_vars=["experiment", "condition"], var_name="observer",
                     value_name="published")


def compare(table: pd.DataFrame, observers: list[str],
            published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published vs computed accuracy for ``observers`` (``humans`` and/or network names):
    columns experiment, condition, observer, published, computed, difference, reproduced."""
    published = published_accuracies() if published is None else published
    expected = published[published["observer"].isin(observers)]
    computed = summary_table(table)[["experiment", "condition", "observer", "accuracy"]]
    merged = expected.merge(computed, on=["experiment", "condition", "observer"], how="left")
    merged = merged.rename(columns={"accuracy": "computed"})
    merged["difference"] = (merged["computed"] - merged["published"]).abs()
    merged["reproduced"] = merged["difference"] <= TOLERANCE  # NaN (missing) is False
    return merged.reset_index(drop=True)


def _line(what: str, result: pd.DataFrame, source: str) -> str:
    ok = int(result["reproduced"].sum())
    largest = result["difference"].max()
    line = (f"{what}: {ok} of {len(result)} published accuracies reproduced "
            f"(largest difference {largest:.1e}) from {source}")
    bad = result[~result["reproduced"]]
    if len(bad):
        first = bad.iloc[0]
        line += (f"; first mismatch: {first['experiment']} {first['condition']} "
                 f"{first['observer']}: published {first['published']:.6f}, computed "
                 f"{first['computed']:.6f}")
    return line


def verify(cache: Path | None = None, *, fetch_dnn: bool = False,
           url: str | None = None) -> tuple[list[str], pd.DataFrame]:
    """Summary lines and the comparison table. Humans from the bundled archive; networks
    from the cache (fetched first with ``fetch_dnn``), else one line saying why not."""
    humans = compare(read_trials(HUMANS_2018), ["humans"])
    lines = [_line("humans", humans, f"the bundled {HUMANS_2018.name}")]
    results = [humans]
    if fetch_dnn and missing_files(DNN_DATASET, cache):
        try:
            fetch(DNN_DATASET, cache, url)
        except FetchOffline as err:
            lines.append(f"networks: skipped, their data cannot be fetched now ({err}); "
                         f"run python -m results fetch {DNN_DATASET} when online")
            return lines, humans
    missing = missing_files(DNN_DATASET, cache)
    if missing:
        lines.append(f"networks: not checked: {len(missing)} files of their data are not in "
                     f"{dataset_folder(DNN_DATASET, cache)}; run python -m results fetch "
                     f"{DNN_DATASET} (about 57 MB) or add --fetch")
        return lines, humans
    folder = dataset_folder(DNN_DATASET, cache)
    networks = compare(read_trials(folder), ["googlenet", "vgg19", "resnet152"])
    lines.append(_line("networks", networks, str(folder)))
    results.append(networks)
    return lines, pd.concat(results, ignore_index=True)
