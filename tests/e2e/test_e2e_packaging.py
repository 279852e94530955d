"""Packaging: the wheel builds without a single setuptools warning and carries every data
file a lab needs (icons, display profiles, designs, bundled data, demo images)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "experiment", "stimuli",
           "models", "results")

pytestmark = pytest.mark.slow


def test_wheel_builds_without_warnings_and_with_its_data(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    source = tmp_path / "src"  # a copy: building writes build/ and *.egg-info
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
         "--no-build-isolation", "-w", str(tmp_path / "wheel"), "-v"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = done.stdout + done.stderr
    assert "BuildBackendWarning" not in log and "is absent from the `packages`" not in log
    assert "SetuptoolsDeprecationWarning" not in log
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"experiment/icons/{p.name}" for p in (REPO / "experiment/icons").glob("*.png")}
    expected |= {f"experiment/profiles/{p.name}"
                 for p in (REPO / "experiment/profiles").glob("*.json")}
    expected |= {f"stimuli/experiments/{p.name}"
                 for p in (REPO / "stimuli/experiments").glob("*.toml")}
    expected |= {p.relative_to(REPO).as_posix()
                 for p in (REPO / "stimuli/demo/source").rglob("*.png")}
    assert len(expected) > 60
    assert expected <= names, sorted(expected - names)[:5]
    assert not any("__pycache__" in n for n in names)
