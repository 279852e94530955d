"""The docs stand alone: they cite no section of a specification that is not in the
repository, and every command's help shows examples a user can run with what they have."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_cite_no_spec_sections(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    hits = [line for line in text.splitlines() if re.search(r"\bSPEC\b", line)]
    assert not hits, f"{doc.name} cites SPEC: {hits[:3]}"


@pytest.mark.parametrize("command", [
    ["-m", "results", "table"], ["-m", "results", "plot"], ["-m", "results", "report"],
    ["-m", "results", "quality"], ["-m", "results", "consistency"],
    ["-m", "results", "shape-bias"], ["-m", "results", "benchmark"],
    ["-m", "stimuli", "list"], ["-m", "stimuli", "check-mapping"],
])
def test_help_has_its_own_example_without_reference_paths(command: list[str]) -> None:
    done = subprocess.run([sys.executable, *command, "--help"], capture_output=True,
                          text=True, timeout=120, cwd=REPO, check=True)
    assert re.search(r"^examples?:", done.stdout, re.M), done.stdout
    example = done.stdout[re.search(r"^examples?:", done.stdout, re.M).start():]
    assert f"python -m {command[1]} {command[2]}" in example
    assert "../shared" not in done.stdout and "SPEC" not in done.stdout
    if command[1] == "results":  # its own example, not every command's
        others = {"table", "plot", "report", "quality", "consistency", "shape-bias",
                  "benchmark"} - {command[2]}
        assert not any(f"python -m results {o} " in example for o in others)
