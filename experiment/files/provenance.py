"""The packages a session's sidecar names, for :mod:`lab.provenance` (the one
provenance schema of human and network sidecars)."""

from __future__ import annotations

from typing import Any

from lab import provenance as _provenance

__all__ = ["PACKAGES", "run_provenance", "software_versions"]

PACKAGES = ("psychopy", "pyglet", "numpy", "scipy", "pillow")


def software_versions() -> dict[str, str]:
    return _provenance.software_versions(PACKAGES)


def run_provenance() -> dict[str, Any]:
    """``software``, ``git_commit`` and ``started`` (UTC) of this run."""
    return _provenance.run_provenance(PACKAGES)
