"""Formats ``geirhos2018`` and ``model-vs-human``: the 8-column CSVs of the authors.

``geirhos2018``
    the raw data of Geirhos et al. 2018, ``<name>-experiment_<subj>_session_<n>.csv`` with
    the header ``subj,session,trial,rt,object_response,category,condition,imagename``;
    network files add ``entropy_1000, prob_correct_16, ...`` and ``..._sums`` variants.
``model-vs-human``
    the human CSVs of model-vs-human (Geirhos et al. 2021),
    ``<dataset>_<subj>_session_<n>.csv``, same 8 columns (some files say ``Session``).

Both share one header and one parser; they differ in detection (the file name) and in
the 2018 experiment names mapped onto our designs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lab.decision_rules import HEAD_16_RULE
from lab.design import bundled_designs
from lab.errors import LabInputError
from lab.readers.parsing import Source, check_complete, parse_group, warn_unknown
from lab.readers.records import DNN, HUMAN, TrialFileKind

#: The 8 columns of the original CSVs (2018 and model-vs-human), lower-cased.
ORIGINAL_COLUMNS: tuple[str, ...] = (
    "subj", "session", "trial", "rt", "object_response", "category", "condition", "imagename",
)


#: Network columns of the 2018 CSVs; each also exists with a ``_sums`` suffix.
ORIGINAL_DNN_COLUMNS: tuple[str, ...] = (
    "entropy_1000", "prob_correct_16", "rank_correct_16", "entropy_16", "highest_prob_16",
)




#: The fine-tuning data of Geirhos et al. 2018 (their Figure 4): the 20 ResNet-50s with
#: 16-way heads are named ``sixteen<NN>[--<training components>]``.
FINE_TUNED_NETWORK = re.compile(r"^sixteen\d\d")
#: Files of that data that copy other networks' trials under another name (the authors'
#: ``extract_specialised_and_all-noise.py``): left out, with one log line.
DERIVED_AGGREGATES: frozenset[str] = frozenset({"all-noise", "specialised"})
#: Fine-tuning test experiments (PNG stimuli) whose names are not a bundled design's
#: ``original_experiment``: the design (or, for salt-and-pepper, which no human saw, the
#: experiment name) they belong to.
FINE_TUNING_EXPERIMENTS: dict[str, str] = {
    "noise-png-experiment": "uniform-noise",
    "colour-png-experiment": "colour",
    "salt-and-pepper-png-experiment": "salt-and-pepper",
}


ORIGINAL_NAME = re.compile(r"^(?P<experiment>.+)_(?P<subj>[^_]+)_session_(?P<session>\d+)\.csv$")


_ORIGINAL_RENAME = {"subj": "observer", "imagename": "image"}


def detect_original(name: str, header: str) -> TrialFileKind | None:
    """``geirhos2018`` or ``model-vs-human`` when ``header`` starts with the 8 original
    columns and ``name`` is ``<experiment>_<subj>_session_<n>.csv``; else ``None``."""
    columns = [c.strip().lower() for c in header.split(",")]
    if tuple(columns[: len(ORIGINAL_COLUMNS)]) != ORIGINAL_COLUMNS:
        return None
    match = ORIGINAL_NAME.match(name)
    if match is None:
        return None
    scored = "object_response_sums" in columns or "entropy_16" in columns
    # model-vs-human writes model answers in the 8 human columns; humans are "subject-*"
    observer_type = DNN if scored or not match["subj"].startswith("subject-") else HUMAN
    source = "geirhos2018" if match["experiment"].endswith("-experiment") else "model-vs-human"
    return TrialFileKind(source, observer_type)


def design_names_by_original() -> dict[str, str | dict[str, str]]:
    """Design name per 2018 experiment folder; where one 2018 experiment is split over
    several designs (eidolon: one per coherence), the design name per condition code."""
    names: dict[str, list[str]] = {}
    for design in bundled_designs().values():
        names.setdefault(design.original_experiment, []).append(design.name)
    out: dict[str, str | dict[str, str]] = dict(FINE_TUNING_EXPERIMENTS)
    for original, found in names.items():
        out[original] = found[0] if len(found) == 1 else {
            code: name for name in found for code in bundled_designs()[name].conditions}
    return out


def original_group(sources: list[Source], rule: str,
                    by_original: dict[str, str | dict[str, str]]) -> pd.DataFrame:
    frame = parse_group(sources, ",")
    frame.columns = [c.strip().lower() for c in frame.columns]
    kind = sources[0].kind
    scored = bool(set(ORIGINAL_DNN_COLUMNS) & set(frame.columns))  # a 2018 network file
    suffix = "_sums" if kind.observer_type == DNN and scored and rule == "sum" else ""
    needed = list(ORIGINAL_COLUMNS) + ([f"object_response{suffix}"] if suffix else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise LabInputError(
            f"{sources[0].path}:1: missing columns {missing}; is this a trial file?")
    known = set(ORIGINAL_COLUMNS) | set(ORIGINAL_DNN_COLUMNS) | {"object_response_sums"} | {
        f"{c}_sums" for c in ORIGINAL_DNN_COLUMNS} | {"file", "_line"}
    warn_unknown(sources, frame.columns, known)
    check_complete(frame, [c for c in ORIGINAL_COLUMNS if c != "rt"])
    out = frame[["subj", "session", "trial", "rt", "category", "condition", "imagename",
                 "file", "_line"]].rename(columns=_ORIGINAL_RENAME)
    out["response"] = frame[f"object_response{suffix}"]
    names = [ORIGINAL_NAME.match(s.path.name)["experiment"]  # type: ignore[index]
             for s in sources]
    experiment = np.repeat(np.array(names, dtype=object), [s.rows for s in sources])
    if kind.source_format == "geirhos2018":
        for original in set(names):
            design = by_original.get(original, original)
            rows = experiment == original
            if isinstance(design, str):
                experiment[rows] = design
            else:  # one 2018 experiment, several designs: split by the condition code
                conditions = frame["condition"].to_numpy(dtype=object)[rows]
                experiment[rows] = [design.get(c, original) for c in conditions]
    out["experiment"] = experiment
    if kind.observer_type != DNN:
        out["rule"] = ""
    elif scored:
        out["rule"] = rule
    else:  # answers in the plain 8 columns: the 2018 fine-tuned networks have 16-way heads
        fine_tuned = out["observer"].astype(str).str.match(FINE_TUNED_NETWORK.pattern)
        out["rule"] = np.where(fine_tuned & (kind.source_format == "geirhos2018"),
                               HEAD_16_RULE, "unknown")
    if kind.observer_type == DNN:
        for column in ("prob_correct_16", "entropy_16", "entropy_1000", "rank_correct_16"):
            source = column if column == "entropy_1000" else f"{column}{suffix}"
            if source in frame.columns:
                out[column] = frame[source]
    return out
