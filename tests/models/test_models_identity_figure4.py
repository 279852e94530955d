"""A network's identity end to end (issue 17's acceptance): two networks trained here
(same architecture, different weights), scored into one ``--out``, are two networks in
``results table`` and two columns of Figure 4 (``results plot --kind figure4``)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import torch

from models.checkpoint import MODEL
from models.cli import main as models_main
from results.cli import main as results_main
from tests.models.conftest import demo_sources, make_set

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "stimuli" / "demo" / "source"
ARCH = "shufflenet_v2_x0_5"




def _train(tiny: Path, out: Path, label: str) -> Path:
    """The shipped Figure-4 config ``label``, shrunk to 2 CPU steps."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert models_main(["train", f"figure4/{label}", "--train", str(tiny), "--val", "",
                            "--out", str(out), "--epochs", "1", "--max-steps", "2",
                            "--batch-size", "8", "--device", "cpu", "--no-progress",
                            "--set", f"model.architecture={ARCH}",
                            "--set", "data.image_size=32", "--set", "data.crop=resize",
                            "--set", "data.workers=0"]) == 0
    finally:
        torch.set_num_threads(before)
    return out / MODEL


def test_two_trained_networks_in_one_out_are_two_networks_and_two_columns(
        tiny, tmp_path, capsys):
    clean = _train(tiny, tmp_path / "runs" / "A1", "A1")
    noise = _train(tiny, tmp_path / "runs" / "A9", "A9")
    assert hashlib.sha256(clean.read_bytes()).digest() != hashlib.sha256(
        noise.read_bytes()).digest()
    # a uniform-noise set at the figure's condition (0.35), 16 images, one per class
    seen: dict = {}
    for s in demo_sources():
        seen.setdefault(s.category, s)
    stimuli = make_set(tmp_path / "set", list(seen.values()), experiment="uniform-noise",
                       size=32, conditions=["0.35"] * len(seen))
    out = tmp_path / "scored"
    for weights in (clean, noise):
        assert models_main(["score", "--model", ARCH, "--weights", str(weights),
                            "--stimuli", str(stimuli), "--out", str(out), "--device", "cpu",
                            "--no-progress"]) == 0
    files = sorted((out / "uniform-noise").glob("*.tsv"))
    assert [f.name for f in files] == [f"{ARCH}@A1_16-way_ses-1.tsv",
                                       f"{ARCH}@A9_16-way_ses-1.tsv"]
    shas = {json.loads(f.with_suffix(".json").read_text())["weights_sha256"] for f in files}
    assert shas == {hashlib.sha256(w.read_bytes()).hexdigest() for w in (clean, noise)}
    for f in files:  # the trial rows carry it too
        with f.open() as fh:
            got = {r["weights_sha256"] for r in csv.DictReader(fh, delimiter="\t")}
        assert got == {json.loads(f.with_suffix(".json").read_text())["weights_sha256"]}
    capsys.readouterr()

    # results table: two networks, each with its 16 trials
    assert results_main(["table", str(out), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted((r["observer"], r["n_trials"], r["n_observers"]) for r in rows) == [
        (f"{ARCH}@A1", "16", "1"), (f"{ARCH}@A9", "16", "1")], rows

    # Figure 4: two network columns (no humans in these inputs: the humans' cells are NA)
    figs = tmp_path / "figs"
    assert results_main(["plot", str(out), "--kind", "figure4", "--out", str(figs)]) == 0
    with (figs / "figure4-training.csv").open() as fh:
        cells = list(csv.DictReader(fh))
    networks = [c["network"] for c in cells if c["network"] != "humans"]
    assert networks == [f"{ARCH}@A1", f"{ARCH}@A9"]
    assert {c["row"] for c in cells} == {"uniform noise (0.35)"}
    assert all(c["n"] == "16" for c in cells if c["network"] != "humans")
