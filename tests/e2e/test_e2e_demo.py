"""End to end: the README's main command from a fresh clone, with no display (the demo
starts its own Xvfb and a simulated observer), checking the files it leaves and that the
report's human and network rows come from the same stimulus files (sha256)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run"),
    pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                       reason="needs git and a git checkout"),
]


def table(path: Path, delimiter: str = "\t") -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                            Path]:
    """Clone HEAD, run ``scripts/demo.sh`` there without a display, return (run, out)."""
    root = tmp_path_factory.mktemp("e2e")
    clone = root / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    out = root / "demo"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
    env.update(LAB_VENV=str(VENV), DEMO_OUT=str(out), DEMO_TRIALS="16")
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=1200)
    return run, out


def test_demo_runs_and_says_where_everything_went(demo) -> None:
    run, out = demo
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "no display found" in run.stdout
    assert f"{out}/report/report.html" in run.stdout
    for path in ("stimuli/contrast/manifest.csv", "stimuli/cue-conflict/manifest.csv",
                 "data/dataset_description.json", "data/participants.tsv",
                 "report/report.html", "report/provenance.csv"):
        assert (out / path).is_file(), path


def test_humans_and_network_saw_identical_files(demo) -> None:
    run, out = demo
    assert run.returncode == 0, run.stderr[-3000:]
    for experiment, task, n_trials in (("contrast", "contrast", 16),
                                       ("cue-conflict", "cueconflict", 16)):
        manifest = {r["file"]: r["sha256"] for r in
                    table(out / "stimuli" / experiment / "manifest.csv", ",")}
        human_file = out / f"data/sub-sim01/ses-1/beh/sub-sim01_ses-1_task-{task}_beh.tsv"
        human = table(human_file)
        assert len({r["trial"] for r in human}) == n_trials
        dnn = table(out / "dnn" / experiment / "efficientnet_lite0_sum_ses-1.tsv")
        assert {r["image"]: r["sha256"] for r in dnn} == manifest
        for row in human:
            assert manifest[row["image"]] == row["sha256"]
            assert row["correct"] == ("1" if row["response"] == row["category"] else "0")
        # every human trial has the network's answer to the very same file
        assert {r["sha256"] for r in human} <= {r["sha256"] for r in dnn}
        # the report counts each planned trial once (re-run attempts set aside)
        accuracy = table(out / "report/accuracy_entropy.csv", ",")
        counted = sum(int(r["n_trials"]) for r in accuracy
                      if r["experiment"] == experiment and r["observer"] == "humans")
        assert counted == n_trials
    provenance = {r["experiment"]: r for r in table(out / "report/provenance.csv", ",")}
    for experiment in ("contrast", "cue-conflict"):
        row = provenance[experiment]
        assert row["identified_by"] == "sha256"
        assert int(row["human_only"]) == 0 and int(row["shared"]) > 0
    html = (out / "report/report.html").read_text(encoding="utf-8")
    assert "shared by humans and models" in html and "efficientnet_lite0" in html
    assert "shape bias" in html.lower()
