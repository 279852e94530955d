"""Where a result came from: one provenance schema for the JSON sidecars of human and
network trial files, written by :func:`provenance` (no PsychoPy, no torch).

Every sidecar has these keys (:data:`PROVENANCE_KEYS`):

``stimulus_set``
    the stimulus set folder (absolute path) the trials were shown or scored from;
``manifest_sha256``
    sha256 of that set's ``manifest.csv`` (which holds every file's sha256);
``software``
    ``python``, ``platform`` and the version of each package that made the result
    (``not installed`` where absent): the lab's own package first;
``git_commit``
    the code's commit (``<sha>-dirty`` with uncommitted changes; null outside a checkout);
``started``
    when the run started, ISO 8601 in UTC (``2026-11-30T08:15:02+00:00``).

A human session resumed later appends a run record (:func:`run_provenance`: ``software``,
``git_commit``, ``started``) to its sidecar's ``resumed`` list.
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
OWN_PACKAGE = "vision-generalisation-lab"
PROVENANCE_KEYS: tuple[str, ...] = (
    "stimulus_set", "manifest_sha256", "software", "git_commit", "started",
)


def package_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_commit(root: Path = REPO_ROOT) -> str | None:
    """``<sha>`` or ``<sha>-dirty``; None when not a git checkout (or no git)."""
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def software_versions(packages: Sequence[str] = (),
                      runtime: Mapping[str, str] | None = None) -> dict[str, str]:
    """``python``, ``platform``, the lab's own version and each of ``packages`` (installed
    distribution versions; ``runtime`` overrides them with what a module reports at run
    time, e.g. ``torch.__version__`` with its build tag)."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in (OWN_PACKAGE, *packages):
        versions[name] = package_version(name) or "not installed"
    versions.update(runtime or {})
    return versions


def utc_now() -> str:
    """Now, ISO 8601 in UTC to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_provenance(packages: Sequence[str] = (),
                   runtime: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The per-run part: ``software``, ``git_commit``, ``started``."""
    return {"software": software_versions(packages, runtime), "git_commit": git_commit(),
            "started": utc_now()}


def provenance(stimulus_set: str | Path, manifest_sha256: str,
               packages: Sequence[str] = (),
               runtime: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The provenance block of a sidecar (keys :data:`PROVENANCE_KEYS`, in that order)."""
    return {"stimulus_set": str(Path(stimulus_set).resolve()),
            "manifest_sha256": manifest_sha256, **run_provenance(packages, runtime)}
