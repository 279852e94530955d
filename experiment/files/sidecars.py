"""A session's JSON sidecar as read back: the settings and the stimulus set it names."""

from __future__ import annotations

import json
from typing import Any

from experiment.files.bids import SessionPaths
from lab.errors import LabInputError


def read_sidecar(paths: SessionPaths) -> dict[str, Any]:
    try:
        sidecar = json.loads(paths.sidecar.read_text(encoding="utf-8"))
        int(sidecar["seed"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise LabInputError(f"{paths.sidecar}: unreadable ({err}); restore it to "
                            "resume") from err
    return dict(sidecar)


def stimulus_set_of(sidecar: dict[str, Any]) -> tuple[str | None, str | None]:
    """(folder, manifest sha256) a session's sidecar names (older sidecars: ``stimuli``)."""
    old = sidecar.get("stimuli") if isinstance(sidecar.get("stimuli"), dict) else {}
    return (sidecar.get("stimulus_set") or old.get("path"),
            sidecar.get("manifest_sha256") or old.get("manifest_sha256"))
