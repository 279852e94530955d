"""Software versions and the code's git commit, for the session sidecar (no PsychoPy
import)."""

from __future__ import annotations

import platform
import sys

from results.provenance import git_commit, package_version

__all__ = ["PACKAGES", "git_commit", "software_versions"]

PACKAGES = ("vision-generalisation-lab", "psychopy", "pyglet", "numpy", "scipy", "pillow")


def software_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in PACKAGES:
        versions[name] = package_version(name) or "not installed"
    return versions
