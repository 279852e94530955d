"""Format ``lab``: our own trial TSVs (:mod:`lab.trial_file`), header
``experiment<TAB>observer<TAB>...``; a ``rule`` column marks a network's file, whose JSON
sidecar says whether its scoring run completed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lab.decision_rules import HEAD_16_RULE
from lab.errors import LabInputError
from lab.readers.parsing import Source, check_complete, parse_group, warn_unknown
from lab.readers.records import DNN, HUMAN, OPTIONAL_COLUMNS, TrialFileKind
from lab.schema import BASE_COLUMNS, DNN_COLUMNS, HUMAN_COLUMNS
from lab.trial_file import sidecar_path

#: The start of the header of our trial TSVs (:mod:`lab.trial_file`).
LAB_HEADER_START = "experiment\tobserver\t"


def detect_lab(header: str) -> TrialFileKind | None:
    """Our TSV (``lab``) when ``header`` is ours; a ``rule`` column marks a network's file."""
    if not header.startswith(LAB_HEADER_START):
        return None
    return TrialFileKind("lab", DNN if "rule" in header.split("\t") else HUMAN)


def incomplete_run(path: Path, rows: int) -> str | None:
    """Why the network trial file ``path`` is not a complete scoring run, from its JSON
    sidecar (``kind`` ``dnn-trials``, or ``imagenet-trials`` for ImageNet/PGD runs), or
    ``None``: the sidecar says ``"complete": false``
    (a run that stopped; ``models score`` writes under a ``.partial`` name until complete,
    so this is a file copied or renamed by hand), or the file holds fewer rows than its
    ``n_images`` (files of versions without the marker)."""
    side = sidecar_path(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("kind") not in ("dnn-trials", "imagenet-trials"):
        return None
    expected = meta.get("n_images")
    expected = expected if isinstance(expected, int) and not isinstance(expected, bool) else None
    if meta.get("complete") is False or (expected is not None and rows < expected):
        total = f" of {expected}" if expected is not None else ""
        return f"an incomplete scoring run ({rows}{total} trials)"
    return None


def lab_group(sources: list[Source], rule: str) -> pd.DataFrame:
    frame = parse_group(sources, "\t")
    observer_type = sources[0].kind.observer_type
    missing = [c for c in BASE_COLUMNS if c not in frame.columns]
    if observer_type == DNN and "rule" not in frame.columns:
        missing.append("rule")
    if missing:
        raise LabInputError(
            f"{sources[0].path}:1: missing columns {missing}; is this a trial file?")
    warn_unknown(sources, frame.columns,
                  set(BASE_COLUMNS) | set(HUMAN_COLUMNS) | set(DNN_COLUMNS) | {"file", "_line"})
    check_complete(frame, ("experiment", "observer", "session", "trial", "image", "category",
                            "condition", "response"))
    if (observer_type == HUMAN and "image_duration_ms" in frame.columns
            and "soa_ms" not in frame.columns):
        # written before the timing columns were split: its image_duration_ms was mask
        # onset minus image onset, i.e. the SOA
        frame["soa_ms"] = frame["image_duration_ms"]
        frame["image_duration_ms"] = np.nan
    keep = [c for c in frame.columns
            if c in BASE_COLUMNS or c in OPTIONAL_COLUMNS or c in ("rule", "file", "_line")]
    out = frame[keep]
    if observer_type != DNN:
        return out.assign(rule="")
    # a network with a trained 16-way head has one decision only: kept under every rule
    return out[(out["rule"] == rule) | (out["rule"] == HEAD_16_RULE)]


def simulated_label(trial_file: str | Path) -> str:
    """The ``simulated.label`` of a lab trial file's JSON sidecar ('' for a person, or
    when there is no readable sidecar)."""
    sidecar = Path(trial_file).with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    simulated = meta.get("simulated") if isinstance(meta, dict) else None
    if isinstance(simulated, dict):
        return str(simulated.get("label") or simulated.get("kind") or "simulated")
    return ""


def weights_sha256(trial_file: str | Path) -> str:
    """The ``weights_sha256`` of a network trial file's JSON sidecar ('' when it has none:
    the registry's DEFAULT or random weights, or files of older versions)."""
    try:
        meta = json.loads(sidecar_path(Path(trial_file)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    value = meta.get("weights_sha256") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""
