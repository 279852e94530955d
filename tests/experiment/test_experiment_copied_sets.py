"""Window-less sessions of the copied-set experiments (edge, silhouette, sketch, stylized:
model-vs-human, Geirhos et al. 2021): a simulated observer sees every image of the set
exactly once, in blocks of the design."""

from __future__ import annotations

import pytest
from experiment_helpers import check_exactly_once, fork_cli

from experiment.files.bids import session_paths
from lab.design import load_experiment
from lab.manifest import read_manifest
from lab.trial_file import read_rows
from stimuli.builder import build_set
from tests.copied_sets import copied_source


@pytest.mark.parametrize("name", ["edge", "silhouette", "sketch", "stylized"])
def test_a_whole_session_shows_each_image_once(name, tmp_path):
    design = load_experiment(name)
    source = copied_source(name, tmp_path)
    stimuli = tmp_path / "set"
    build_set(name, source, stimuli, seed=2, progress=False)
    data = tmp_path / "data"
    rc, out = fork_cli(["--experiment", name, "--stimuli", str(stimuli), "--observer",
                        "sim-01", "--session", "1", "--data", str(data),
                        "--simulate-observer", "0.7", "--seed", "5", "--no-window"])
    assert rc == 0, out
    assert f"session complete: {design.trials_per_observer} planned trials done" in out
    paths = session_paths(data, "sim-01", 1, name)
    rows = read_rows(paths.trials)
    check_exactly_once(rows, paths.trial_list)
    files = {entry.file for entry in read_manifest(stimuli)}
    assert sorted(r["image"] for r in rows) == sorted(files)  # every image, once
    assert {r["experiment"] for r in rows} == {name}
    assert {r["condition"] for r in rows} == {"0"}
    assert len({r["block"] for r in rows}) == design.n_blocks
