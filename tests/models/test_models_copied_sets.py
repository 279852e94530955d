"""Networks are scored on the copied-set experiments (edge, silhouette, sketch, stylized:
model-vs-human, Geirhos et al. 2021) exactly as on the others: same trial-file schema,
same decision rule, every image once; and their trials pair with model-vs-human's human
trials by image in the benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lab.categories import CATEGORIES
from lab.manifest import read_manifest
from lab.readers import read_trials
from lab.trial_file import read_rows
from stimuli.builder import build_set
from tests.copied_sets import copied_source

REPO = Path(__file__).resolve().parents[2]
MVH_HUMANS = REPO.parent / "shared" / "data" / "model-vs-human" / "human-raw-data"


def scored(name: str, tmp_path: Path, run_score) -> tuple[Path, Path]:
    source = copied_source(name, tmp_path)
    stimuli = tmp_path / "set"
    build_set(name, source, stimuli, seed=1, progress=False)
    out = tmp_path / "dnn"
    assert run_score("--model", "mobilenet_v3_small", "--weights", "none", "--stimuli",
                     stimuli, "--out", out, "--rule", "mean") == 0
    return stimuli, out / name / "mobilenet_v3_small_mean_ses-1.tsv"


@pytest.mark.parametrize("name", [
    "edge", "silhouette",
    pytest.param("sketch", marks=pytest.mark.slow),
    pytest.param("stylized", marks=pytest.mark.slow),
])
def test_a_scoring_run_on_each_copied_set(name, tmp_path, run_score, scored_demo):
    stimuli, tsv = scored(name, tmp_path, run_score)
    rows = read_rows(tsv)
    files = sorted(entry.file for entry in read_manifest(stimuli))
    assert sorted(r["image"] for r in rows) == files
    # the same columns as a scoring run on any other set (cue-conflict here)
    assert list(rows[0]) == list(read_rows(scored_demo)[0])
    assert {r["experiment"] for r in rows} == {name} and {r["rule"] for r in rows} == {"mean"}
    assert {r["response"] for r in rows} <= set(CATEGORIES)


def test_a_scored_edge_set_pairs_with_the_model_vs_human_humans(tmp_path, run_score):
    if not (MVH_HUMANS / "edge").is_dir():
        pytest.skip("model-vs-human human raw data not in ../shared/data")
    from results.benchmark import benchmark_per_experiment

    _, tsv = scored("edge", tmp_path, run_score)
    table = read_trials([MVH_HUMANS / "edge", tsv], rule="mean", progress=False)
    per = benchmark_per_experiment(table).set_index("observer")
    network = per.loc["mobilenet_v3_small"]
    assert network["n_humans"] == 10 and network["n_trials"] == 160
    # every trial matched one human trial by image (the published file names)
    keys = table.groupby("observer")["image_key"].apply(frozenset)
    assert keys["mobilenet_v3_small"] == keys["subject-01"]
    assert np.isfinite(network["error_consistency"])
    assert per.loc["humans", "error_consistency"] == pytest.approx(0.318436433841, abs=1e-9)
