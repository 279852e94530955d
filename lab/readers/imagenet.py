"""ImageNet top-1 and PGD trial files (``python -m models imagenet`` / ``adversarial``):
our trial TSVs whose JSON sidecar says ``"kind": "imagenet-trials"``. Their classes are
the 1000 ImageNet wnids, not the 16 of the psychophysics, so :func:`lab.readers.read_trials`
leaves them out (they are no 16-class trials) and :func:`read_imagenet_trials` reads them:
the generalisation targets of ``python -m results biases`` (Gavrikov & Keuper 2024)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from lab.errors import LabInputError
from lab.readers.files import is_archive, iter_trial_files
from lab.readers.lab_tsv import incomplete_run
from lab.readers.parsing import load_source
from lab.readers.records import DNN, TrialFileKind
from lab.trial_file import sidecar_path

log = logging.getLogger(__name__)

IMAGENET_KIND = "imagenet-trials"  #: the sidecar ``kind`` (models.generalisation.KIND)
#: the columns :func:`read_imagenet_trials` returns
IMAGENET_COLUMNS = ("experiment", "observer", "session", "condition", "image", "category",
                    "response", "correct", "rule", "file")


def is_imagenet_file(path: str | Path) -> bool:
    """Whether the sidecar beside ``path`` marks an ImageNet/PGD trial file."""
    try:
        meta = json.loads(sidecar_path(Path(path)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("kind") == IMAGENET_KIND


def imagenet_files(paths: Iterable[str | Path]) -> list[tuple[Path, TrialFileKind]]:
    """The ImageNet/PGD trial files under ``paths`` (folders walked; archives skipped)."""
    found = []
    for raw in paths:
        if Path(raw).is_file() and is_archive(raw):
            continue
        for path, kind in iter_trial_files([raw]):
            if (kind.source_format, kind.observer_type) == ("lab", DNN) and \
                    is_imagenet_file(path):
                found.append((path, kind))
    return found


def read_imagenet_trials(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per image of every complete ImageNet/PGD trial file under ``paths``
    (:data:`IMAGENET_COLUMNS`; ``correct`` as 0/1); an empty table when there is none. An
    incomplete run is left out with a warning, as :func:`read_trials` leaves it out."""
    frames = []
    for path, kind in imagenet_files(paths):
        source = load_source(path, kind)
        reason = incomplete_run(path, source.rows)
        if reason is not None:
            log.warning("%s: %s; left out; finish it with the same command and --resume",
                        path, reason)
            continue
        if not source.rows:
            continue
        frame = pd.read_csv(io.StringIO(source.header + "\n" + source.body), sep="\t",
                            dtype=str, keep_default_na=False)
        missing = [c for c in IMAGENET_COLUMNS[:-1] if c not in frame.columns]
        if missing:
            raise LabInputError(f"{path}:1: missing columns {missing}; is this a trial file "
                                "of 'python -m models imagenet'?")
        bad = frame.loc[~frame["correct"].isin(("0", "1")), "correct"]
        if len(bad):
            raise LabInputError(f"{path}: correct {bad.iloc[0]!r} is not 0 or 1; the file "
                                "was changed by hand, evaluate again")
        frame = frame.assign(correct=frame["correct"].astype(int),
                             session=frame["session"].astype(int), file=str(path))
        frames.append(frame[list(IMAGENET_COLUMNS)])
    if not frames:
        return pd.DataFrame(columns=list(IMAGENET_COLUMNS))
    return pd.concat(frames, ignore_index=True)
