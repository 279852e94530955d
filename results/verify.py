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
           url: str | None = None, fine_tuning: Path | None = None
           ) -> tuple[list[str], pd.DataFrame]:
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
        line, tuned = _fine_tuning_part(cache, fine_tuning)
        lines.append(line)
        return lines, humans if tuned is None else pd.concat([humans, tuned],
                                                             ignore_index=True)
    folder = dataset_folder(DNN_DATASET, cache)
    networks = compare(read_trials(folder), ["googlenet", "vgg19", "resnet152"])
    lines.append(_line("networks", networks, str(folder)))
    results.append(networks)
    line, tuned = _fine_tuning_part(cache, fine_tuning)
    lines.append(line)
    if tuned is not None:
        results.append(tuned)
    return lines, pd.concat(results, ignore_index=True)


def _fine_tuning_part(cache: Path | None, source: Path | None
                      ) -> tuple[str, pd.DataFrame | None]:
    """The fine-tuned networks: from ``source`` (a folder or archive) or the cache."""
    if source is None:
        missing = missing_files(FINE_TUNING_DATASET, cache)
        if missing:
            return (f"fine-tuned networks: not checked: {len(missing)} files not in "
                    f"{dataset_folder(FINE_TUNING_DATASET, cache)}; run python -m results "
                    f"fetch {FINE_TUNING_DATASET} or give --fine-tuning PATH"), None
        source = dataset_folder(FINE_TUNING_DATASET, cache)
    line, result = verify_fine_tuning(Path(source))
    return line, result


# -- the fine-tuned networks (the paper's Figure 4) ---------------------------------------
FINE_TUNING_DATASET = "geirhos2018-fine-tuning"
#: Published table stem -> the design its rows belong to.
_FT_TABLES: dict[str, str] = {
    "colour-png": "colour", "contrast-png": "contrast", "noise-png": "uniform-noise",
    "salt-and-pepper-png": "salt-and-pepper", "lowpass": "low-pass", "highpass": "high-pass",
    "phase-scrambling": "phase-scrambling", "rotation": "rotation"}
#: The network trained on each test distortion: the published ``specialised`` column.
_SPECIALISED: dict[str, str] = {
    "colour": "sixteen26", "contrast": "sixteen07", "low-pass": "sixteen08",
    "high-pass": "sixteen11", "phase-scrambling": "sixteen16", "rotation": "sixteen09",
    "uniform-noise": "sixteen03", "salt-and-pepper": "sixteen21"}


def _published_tables(source: Path) -> dict[str, bytes]:
    """The 8 ``raw-accuracies/fine-tuning/*_accuracies_finetuned_TF.csv`` of a folder or
    tar archive, by stem."""
    import re
    import tarfile

    pattern = re.compile(r"(?:^|/)raw-accuracies/fine-tuning/(.+)_accuracies_finetuned_TF\.csv$")
    found: dict[str, bytes] = {}
    if source.is_dir():
        for path in source.rglob("*_accuracies_finetuned_TF.csv"):
            match = pattern.search(path.as_posix())
            if match:
                found[match[1]] = path.read_bytes()
    else:
        with tarfile.open(source, mode="r|*") as tar:
            for member in tar:
                match = pattern.search(member.name)
                handle = tar.extractfile(member) if match and member.isfile() else None
                if handle is not None:
                    found[match[1]] = handle.read()  # type: ignore[index]
    return found


def _condition_key(experiment: str, text: str) -> str:
    """A published condition (as R printed it) as the key the trial data use."""
    text = text.strip().strip('"')
    if experiment == "colour":
        return {"colour": "cr", "greyscale": "bw"}.get(text, text)
    try:
        return repr(float(text))
    except ValueError:
        return text


def compare_fine_tuning(table: pd.DataFrame, source: Path,
                        humans: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published fine-tuning accuracies of ``source`` (folder or archive) vs those
    computed from the trials in ``table``: ``sixteen01v4``, ``specialised`` (the network
    trained on that distortion), ``all-noise`` (the pooled trials of sixteen18 and
    sixteen19; of the one not trained on that noise for the two noise tests) and, given
    ``humans``, the humans (for contrast those who saw the PNG stimuli, as published)."""
    import io

    import numpy as np

    short = table["observer"].astype(str).str.split("--", n=1).str[0]
    rows = []
    for stem, data in sorted(_published_tables(source).items()):
        experiment = _FT_TABLES[stem]
        wide = pd.read_csv(io.BytesIO(data), dtype={"condition": str})
        of_x = table[table["experiment"] == experiment]
        keys = of_x["condition"].astype(str).map(lambda c, x=experiment: _condition_key(x, c))
        people = None
        if humans is not None:
            people = humans[humans["experiment"] == experiment]
            people_keys = people["condition"].astype(str).map(
                lambda c, x=experiment: _condition_key(x, c))
        noise = {"uniform-noise": ["sixteen18"], "salt-and-pepper": ["sixteen19"]}.get(
            experiment, ["sixteen18", "sixteen19"])
        columns = {"sixteen01v4": ["sixteen01v4"], "specialised": [_SPECIALISED[experiment]],
                   "all-noise": noise}
        for _, line in wide.iterrows():
            key = _condition_key(experiment, str(line["condition"]))
            for column, networks in columns.items():
                trials = of_x[(keys == key) & short.loc[of_x.index].isin(networks)]
                rows.append((experiment, key, column, float(line[column]),
                             trials["correct"].mean() if len(trials) else np.nan))
            if people is not None and "humans" in wide.columns:
                trials = people[people_keys == key]
                rows.append((experiment, key, "humans", float(line["humans"]),
                             trials["correct"].mean() if len(trials) else np.nan))
    result = pd.DataFrame(rows, columns=["experiment", "condition", "observer", "published",
                                         "computed"])
    result["difference"] = (result["computed"] - result["published"]).abs()
    result["reproduced"] = result["difference"] <= TOLERANCE
    return result


def verify_fine_tuning(source: Path) -> tuple[str, pd.DataFrame]:
    """One summary line and the comparison for the fine-tuning data at ``source``."""
    from lab.readers import read_trials

    table = read_trials(source)
    humans = read_trials(HUMANS_2018)
    result = compare_fine_tuning(table, source, humans[humans["observer_type"] == "human"])
    return _line("fine-tuned networks", result, str(source)), result
