"""``results benchmark`` on model-vs-human's 17 human data sets (Geirhos et al. 2021) equals
model-vs-human's own analysis on the same trials.

The expected numbers were computed with model-vs-human's rules (``plotting/plot.py``:
``get_raw_benchmark_df``, ``format_benchmark_df``, ``get_mean_over_datasets``, its fixed
``EXCLUDE_CONDITIONS``; ``plotting/analyses.py``: ``SixteenClassAccuracy``,
``SixteenClassAccuracyDifference``, ``ErrorConsistency``) on the 90 human CSVs, which are
byte-identical to its ``raw-data/``. The model row is tested by treating ``subject-01`` as a
network compared with the other humans (its code pairs each model with every human and
averages over conditions, then humans, then data sets).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lab.readers import DNN, read_trials
from results.benchmark import (
    MODEL_VS_HUMAN_DATASETS,
    benchmark_coverage,
    benchmark_per_experiment,
    benchmark_table,
)

REPO = Path(__file__).resolve().parents[2]
METRICS = ("ood_accuracy", "accuracy_difference", "observed_consistency", "error_consistency")

#: data set: OOD accuracy, accuracy difference, observed consistency, error consistency
HUMANS = {
    "edge": (0.871250000000, 0.020350694444, 0.838611111111, 0.318436433841),
    "silhouette": (0.753125000000, 0.008476562500, 0.803472222222, 0.475709321465),
    "cue-conflict": (0.775546875000, 0.011554104275, 0.765156250000, 0.331051676564),
    "colour": (0.886718750000, 0.000747070312, 0.882812500000, 0.415431544428),
    "contrast": (0.660937500000, 0.008126302083, 0.780208333333, 0.437025109217),
    "high-pass": (0.628906250000, 0.014970703125, 0.765104166667, 0.440140550420),
    "low-pass": (0.661250000000, 0.001682291667, 0.790833333333, 0.468878702551),
    "phase-scrambling": (0.687890625000, 0.000802408854, 0.798177083333, 0.446673175633),
    "power-equalisation": (0.758928571429, 0.002640306122, 0.820238095238, 0.510632211293),
    "false-colour": (0.873660714286, 0.003266900510, 0.875892857143, 0.444045006181),
    "rotation": (0.829947916667, 0.001029188368, 0.842534722222, 0.438508974391),
    "eidolonI": (0.607500000000, 0.008919270833, 0.782916666667, 0.386336371241),
    "eidolonII": (0.582812500000, 0.003987630208, 0.788020833333, 0.454018434492),
    "eidolonIII": (0.639062500000, 0.011030815972, 0.778819444444, 0.459531948887),
    "uniform-noise": (0.682812500000, 0.001907552083, 0.782291666667, 0.434056756272),
    "sketch": (0.916250000000, 0.003579166667, 0.899880952381, 0.369619807638),
    "stylized": (0.471250000000, 0.008543750000, 0.750250000000, 0.500582365103),
}
HUMANS_MEAN = (0.722814688375, 0.006565571649, 0.808542366947, 0.431216375860)
HUMAN_COUNTS = {"edge": 10, "silhouette": 10, "cue-conflict": 10, "sketch": 7, "stylized": 5}

#: subject-01 as a model against the other humans
SUBJECT_01 = {
    "edge": (0.893750000000, 0.010737847222, 0.843055555556, 0.253906026020),
    "silhouette": (0.800000000000, 0.006679687500, 0.814583333333, 0.474650172799),
    "cue-conflict": (0.692968750000, 0.013353881836, 0.717274305556, 0.273776110247),
    "colour": (0.914062500000, 0.001370442708, 0.884375000000, 0.383114902573),
    "contrast": (0.616250000000, 0.007085937500, 0.770416666667, 0.422630863091),
    "high-pass": (0.512500000000, 0.026901041667, 0.728125000000, 0.374503659815),
    "low-pass": (0.668750000000, 0.001541666667, 0.798333333333, 0.487288520807),
    "phase-scrambling": (0.704687500000, 0.000784505208, 0.802604166667, 0.452537130328),
    "power-equalisation": (0.712500000000, 0.004194302721, 0.807142857143, 0.497169399524),
    "false-colour": (0.883928571429, 0.001774022109, 0.882738095238, 0.456998538716),
    "rotation": (0.815625000000, 0.000953776042, 0.848263888889, 0.471944333098),
    "eidolonI": (0.600000000000, 0.005583333333, 0.790000000000, 0.421543806312),
    "eidolonII": (0.593750000000, 0.002975260417, 0.783333333333, 0.451259984717),
    "eidolonIII": (0.668750000000, 0.007565104167, 0.786805555556, 0.476829678719),
    "uniform-noise": (0.672500000000, 0.002627604167, 0.778750000000, 0.435585268094),
    "sketch": (0.941250000000, 0.002518750000, 0.918750000000, 0.419647569678),
    "stylized": (0.515000000000, 0.006664453125, 0.753437500000, 0.508162215531),
}
SUBJECT_01_MEAN = (0.718016018908, 0.006077153905, 0.806352270075, 0.427149892945)
HUMANS_WITHOUT_01_MEAN = (0.724701, 0.006556, 0.810035, 0.431777)


@pytest.fixture(scope="module")
def mvh_humans(shared_data: Path) -> pd.DataFrame:
    folder = shared_data / "model-vs-human" / "human-raw-data"
    if not folder.is_dir():
        pytest.skip("model-vs-human human raw data not in ../shared/data")
    return read_trials([folder], progress=False)


def _row(frame: pd.DataFrame, observer: str, experiment: str | None = None) -> np.ndarray:
    rows = frame[frame["observer"] == observer]
    if experiment is not None:
        rows = rows[rows["experiment"] == experiment]
    assert len(rows) == 1, (observer, experiment)
    return rows[list(METRICS)].to_numpy(dtype=float)[0]


def test_the_humans_row_equals_model_vs_human_per_data_set_and_averaged(mvh_humans):
    per = benchmark_per_experiment(mvh_humans)
    assert list(per["experiment"]) == list(MODEL_VS_HUMAN_DATASETS)
    for dataset, expected in HUMANS.items():
        np.testing.assert_allclose(_row(per, "humans", dataset), expected, rtol=0,
                                   atol=1e-6, err_msg=dataset)
        n = per.loc[per["experiment"] == dataset, "n_humans"].item()
        assert n == HUMAN_COUNTS.get(dataset, 4)
    averaged = benchmark_table(mvh_humans)
    np.testing.assert_allclose(_row(averaged, "humans"), HUMANS_MEAN, rtol=0, atol=1e-6)
    assert averaged["n_experiments"].item() == 17
    assert benchmark_coverage(mvh_humans) == {
        "had": list(MODEL_VS_HUMAN_DATASETS), "missing": [], "other": []}


def test_a_model_row_equals_model_vs_human(mvh_humans):
    table = mvh_humans.copy()
    first = (table["observer"] == "subject-01").to_numpy()
    table["observer"] = table["observer"].astype(object)
    table.loc[first, "observer"] = "fake-model"
    table.loc[first, "observer_type"] = DNN
    per = benchmark_per_experiment(table)
    for dataset, expected in SUBJECT_01.items():
        np.testing.assert_allclose(_row(per, "fake-model", dataset), expected, rtol=0,
                                   atol=1e-6, err_msg=dataset)
    averaged = benchmark_table(table)
    np.testing.assert_allclose(_row(averaged, "fake-model"), SUBJECT_01_MEAN, rtol=0,
                               atol=1e-6)
    np.testing.assert_allclose(_row(averaged, "humans"), HUMANS_WITHOUT_01_MEAN, rtol=0,
                               atol=5e-7)
    # the model was compared with the other humans only
    edge = per[(per["observer"] == "fake-model") & (per["experiment"] == "edge")]
    assert edge["n_humans"].item() == 9


def test_the_command_lists_the_data_sets_it_had_and_had_not(shared_data: Path):
    folder = shared_data / "model-vs-human" / "human-raw-data"
    if not folder.is_dir():
        pytest.skip("model-vs-human human raw data not in ../shared/data")
    done = subprocess.run(
        [sys.executable, "-m", "results", "benchmark", str(folder / "edge"),
         str(folder / "sketch"), "-q"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "data sets had (2 of 17): edge, sketch" in out
    assert "data sets not had (15): silhouette, cue-conflict, colour" in out
    assert "per data set" in out and "averaged over the data sets" in out
    per_dataset = subprocess.run(
        [sys.executable, "-m", "results", "benchmark", str(folder / "edge"),
         str(folder / "sketch"), "-q", "--csv", "--per-dataset"],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    lines = per_dataset.stdout.splitlines()
    assert lines[0].startswith("observer,experiment,ood_accuracy")
    assert [line.split(",")[1] for line in lines[1:]] == ["edge", "sketch"]
