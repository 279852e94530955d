"""One fresh clone and one demo run for the whole session, shared by the end-to-end tests.

The demo (``scripts/demo.sh``, 4-5 minutes on 2 cores) runs once, in a clone nobody has
touched yet, and writes its output beside the clone, not into it. The lab-guide test then
runs the guide's commands in the same clone instead of cloning again; requesting this
fixture guarantees that the demo has run first, whichever test asks first.
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


@pytest.fixture(scope="session")
def demo_clone(tmp_path_factory: pytest.TempPathFactory) -> DemoClone:
    """Clone HEAD once, run ``scripts/demo.sh`` there once without a display."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    root = tmp_path_factory.mktemp("e2e")
    clone = root / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    out = root / "demo"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
    env.update(LAB_VENV=str(VENV), DEMO_OUT=str(out), DEMO_PER_CONDITION="16")
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=1200)
    return DemoClone(clone=clone, run=run, out=out)
