"""Fresh clones for the end-to-end tests: one demo run for the whole session, shared by the
demo's tests, and a clone of its own for the lab guide.

The demo (``scripts/demo.sh``, 4-5 minutes on 2 cores) runs once, in a clone nobody has
touched yet, and writes its output beside the clone, not into it. The lab-guide test runs
the guide's commands in a clone of its own (cloning takes a second), so that it runs
beside the demo on another pytest-xdist worker instead of after it: the two are the
slow lane's longest tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)


@dataclass(frozen=True)
class DemoClone:
    """A fresh clone of HEAD, and the demo run from it without a display."""

    clone: Path  #: the clone (the demo leaves it as cloned; later tests may write to it)
    run: subprocess.CompletedProcess[str]  #: ``bash scripts/demo.sh``; not checked here
    out: Path  #: the demo's output folder (DEMO_OUT), outside the clone


def clone_head(root: Path) -> Path:
    """A fresh clone of this checkout's HEAD at ``root / "clone"``."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    clone = root / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    return clone


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """A fresh clone of HEAD for one test."""
    return clone_head(tmp_path)


@pytest.fixture(scope="session")
def demo_clone(tmp_path_factory: pytest.TempPathFactory) -> DemoClone:
    """Clone HEAD once, run ``scripts/demo.sh`` there once without a display."""
    root = tmp_path_factory.mktemp("e2e")
    clone = clone_head(root)
    out = root / "demo"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
    env.update(LAB_VENV=str(VENV), DEMO_OUT=str(out), DEMO_PER_CONDITION="16")
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=1200)
    return DemoClone(clone=clone, run=run, out=out)
