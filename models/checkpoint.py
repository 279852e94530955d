"""Checkpoints and the model card: written atomically, read back for ``--resume`` and
scoring.

Every file of a run goes through a temporary file in the same folder, ``fsync`` and
``os.replace``: a crash or a full disk leaves the previous version whole and no partial
file behind (the temporary file is removed on failure).
"""

from __future__ import annotations

import collections
import io
import math
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from lab.errors import LabInputError

CHECKPOINT = "checkpoint.pt"
MODEL = "model.pt"
CARD = "model-card.json"
CONFIG = "config.toml"
METRICS = "metrics.csv"
CURVES = "learning-curves.png"


def write_atomic(path: Path,
                 data: bytes | memoryview | Callable[[io.BufferedWriter], None]) -> None:
    """Write ``data`` (bytes, or a function writing to a binary file) to ``path``
    atomically; a one-line :class:`LabInputError` if the disk refuses (full, read-only)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise LabInputError(
            f"{path}: cannot be written ({err.strerror or err}); free disk space or fix the "
            "folder, then continue with --resume (the last checkpoint is intact)") from None
    except RuntimeError as err:  # torch.save wraps write errors in a RuntimeError
        tmp.unlink(missing_ok=True)
        raise LabInputError(
            f"{path}: cannot be written ({str(err).splitlines()[0][:100]}); free disk space "
            "or fix the folder, then continue with --resume") from None


def save_torch(path: Path, obj: Any) -> None:
    """``torch.save`` to memory first, so a full disk is reported as the OS says it."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    write_atomic(path, buf.getbuffer())


#: The only non-plain types a checkpoint holds (besides tensors, dicts, lists, numbers and
#: strings): the step scheduler's milestones. Loading allows exactly these, so a crafted
#: file in a shared run folder cannot run code (``torch.load(weights_only=True)``).
CHECKPOINT_TYPES: tuple[type, ...] = (collections.Counter,)


def load_torch(path: Path) -> Any:
    """``torch.load`` that never executes code: ``weights_only=True`` with the explicit
    allowlist :data:`CHECKPOINT_TYPES`; anything else in the file is refused."""
    with torch.serialization.safe_globals(list(CHECKPOINT_TYPES)):
        return torch.load(path, map_location="cpu", weights_only=True)


def load_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise LabInputError(f"{path}: no checkpoint to resume from; start the run without "
                            "--resume")
    try:
        state = load_torch(path)
    except Exception as err:
        first = str(err).strip().splitlines()[0][:120] if str(err).strip() else ""
        raise LabInputError(f"{path}: unreadable or unsafe checkpoint ({type(err).__name__}"
                            f"{': ' + first if first else ''}); nothing in it was run; start "
                            "again in a new run.out") from None
    if not isinstance(state, dict) or "model" not in state:
        raise LabInputError(f"{path}: not a training checkpoint; start again in a new run.out")
    return state


def strict_json(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by ``None`` (JSON ``null``), so that
    ``json.dumps(..., allow_nan=False)`` writes strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def software_versions() -> dict[str, str]:
    import torchvision

    from lab.provenance import git_commit, package_version

    info = {"python": platform.python_version(), "torch": str(torch.__version__),
            "torchvision": str(torchvision.__version__),
            "lab_version": package_version("vision-generalisation-lab") or "not installed"}
    commit = git_commit()
    if commit:
        info["git_commit"] = commit
    return info
