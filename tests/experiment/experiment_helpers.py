"""Helpers of the experiment tests (a uniquely named module: every area has a conftest):
a small real stimulus set on disk, display skips, the launcher in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stimuli.manifest import MANIFEST_NAME, ManifestEntry, sha256_file, write_manifest

REPO = Path(__file__).resolve().parents[2]
DEMO_SOURCE = REPO / "stimuli" / "demo" / "source"
XVFB_ARGS = ["-screen", "0", "1280x1024x24"]

#: Short phases for whole sessions in tests: still whole frames at 60 Hz (frame counts
#: exact), response long enough for the simulated observer's click.
TEST_DURATIONS = "fixation=50,image=50,mask=50,response=500,iti=50,feedback=50"

needs_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"),
    reason="needs an X display: run under xvfb-run -a -s '-screen 0 1280x1024x24'",
)
needs_xdotool = pytest.mark.skipif(shutil.which("xdotool") is None,
                                   reason="needs xdotool for the simulated observer")


def make_cue_conflict_set(folder: Path, n: int | None = None) -> list[ManifestEntry]:
    """Copy the bundled cue-conflict demo images (224 px) into ``folder`` with a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    sources = sorted(DEMO_SOURCE.glob("*/*.png"))
    for src in sources[:n]:
        shape = src.parent.name
        texture = src.stem.split("-")[1].rstrip("0123456789")
        dst = folder / src.name
        shutil.copyfile(src, dst)
        entries.append(ManifestEntry(
            file=src.name, sha256=sha256_file(dst), experiment="cue-conflict",
            condition="0", category=shape, source=f"{shape}/{src.name}", seed=0,
            width=224, height=224, texture=texture))
    write_manifest(folder / MANIFEST_NAME, entries)
    return entries


def run_cli(*args: str, timeout: float = 240, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``run_experiment.py`` in a subprocess (the display of this process); ``input``
    is typed on its standard input (closed after it)."""
    return subprocess.run([sys.executable, str(REPO / "run_experiment.py"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=env, input=input)
