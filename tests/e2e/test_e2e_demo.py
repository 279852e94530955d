"""End to end: the README's main command from a fresh clone, with no display (the demo
starts its own Xvfb and an observer simulated from the 2018 human data), checking the
files it leaves, that the session is balanced over conditions and classes, that the
simulation is labelled as such everywhere, and that the report's human and network rows
come from the same stimulus files (sha256)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    # one file: pytest-xdist (--dist loadfile) runs these in the worker that ran the demo
    pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run"),
    pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                       reason="needs git and a git checkout"),
]


def table(path: Path, delimiter: str = "\t") -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.fixture(scope="module")
def demo(demo_clone) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The session's demo run from a fresh clone (tests/e2e/conftest.py): (run, out)."""
    return demo_clone.run, demo_clone.out


def test_demo_runs_and_says_where_everything_went(demo) -> None:
    run, out = demo
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "no display found" in run.stdout
    assert f"{out}/report/report.html" in run.stdout
    # every step says what it does; the session its progress and a closing line that
    # agrees with its plan (128 planned trials, however many re-runs)
    for step in ("== 1/4", "== 2/4", "== 3/4", "== 4/4", "stimuli build cue-conflict"):
        assert step in run.stdout, step
    assert "128 planned trials in" in run.stdout and "trial 64 of 128" in run.stdout
    assert "session complete: 128 planned trials done;" in run.stdout
    for path in ("stimuli/contrast/manifest.csv", "stimuli/cue-conflict/manifest.csv",
                 "data/dataset_description.json", "data/participants.tsv",
                 "report/report.html", "report/provenance.csv"):
        assert (out / path).is_file(), path


HUMAN_FILE = "data/sub-simhumans201801/ses-1/beh/sub-simhumans201801_ses-1_task-contrast_beh.tsv"


def test_humans_and_network_saw_identical_files(demo) -> None:
    run, out = demo
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = {r["file"]: r["sha256"] for r in
                table(out / "stimuli" / "contrast" / "manifest.csv", ",")}
    human = table(out / HUMAN_FILE)
    assert len({r["trial"] for r in human}) == 128 and len(manifest) == 384
    # the report counts each planned trial once (re-run attempts set aside)
    accuracy = table(out / "report/accuracy_entropy.csv", ",")
    counted = sum(int(r["n_trials"]) for r in accuracy
                  if r["experiment"] == "contrast" and r["observer"] == "humans")
    assert counted == 128
    for experiment in ("contrast", "cue-conflict"):
        files = {r["file"]: r["sha256"] for r in
                 table(out / "stimuli" / experiment / "manifest.csv", ",")}
        dnn = table(out / "dnn" / experiment / "efficientnet_lite0_sum_ses-1.tsv")
        assert {r["image"]: r["sha256"] for r in dnn} == files
    dnn = table(out / "dnn" / "contrast" / "efficientnet_lite0_sum_ses-1.tsv")
    for row in human:
        assert manifest[row["image"]] == row["sha256"]
        assert row["correct"] == ("1" if row["response"] == row["category"] else "0")
    # every human trial has the network's answer to the very same file
    assert {r["sha256"] for r in human} <= {r["sha256"] for r in dnn}
    row = {r["experiment"]: r for r in table(out / "report/provenance.csv", ",")}["contrast"]
    assert row["identified_by"] == "sha256"
    assert int(row["human_only"]) == 0 and int(row["shared"]) > 0
    html = (out / "report/report.html").read_text(encoding="utf-8")
    assert "shared by humans and models" in html and "efficientnet_lite0" in html
    assert "shape bias" in html.lower()


def test_conditions_are_balanced(demo) -> None:
    run, out = demo
    assert run.returncode == 0, run.stderr[-3000:]
    last = {r["trial"]: r for r in table(out / HUMAN_FILE)}  # a re-run replaces a record
    cells = Counter((r["condition"], r["category"]) for r in last.values())
    assert len(cells) == 8 * 16 and set(cells.values()) == {1}
    assert set(Counter(r["condition"] for r in last.values()).values()) == {16}


def test_the_simulation_is_labelled_everywhere(demo) -> None:
    run, out = demo
    assert run.returncode == 0, run.stderr[-3000:]
    label = "simulated from the 2018 human data"
    assert "SIMULATED from the 2018 human data" in run.stdout
    sidecar = json.loads((out / HUMAN_FILE).with_suffix(".json").read_text())
    assert sidecar["simulated"]["kind"] == "humans2018"
    assert sidecar["simulated"]["label"] == label
    assert sidecar["durations_ms"]["fixation"] == 100  # shortened, and said so:
    html = (out / "report/report.html").read_text(encoding="utf-8")
    assert 'id="simulated-banner"' in html
    assert "All human observers in this report are simulated" in html
    assert f"<li><code>sim-humans2018-01</code>: {label}</li>" in html
    assert "Timing shortened for the demo" in html
    assert "cue-conflict images" in html and "networks only" in html
    assert "sim-humans2018-01" in html  # the data-quality table names the observer
