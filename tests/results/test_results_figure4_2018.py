"""The paper's Figure 4 from the authors' fine-tuning data (Geirhos et al. 2018, CC-BY 4.0):
every cell equals the accuracy computed from their per-trial data, and the published
fine-tuning accuracies are reproduced."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lab.datasets import HUMANS_2018
from lab.readers import read_trials
from results.cli import main
from results.verify import compare_fine_tuning

REPO = Path(__file__).resolve().parents[2]
ARCHIVE = REPO.parent / "shared" / "data" / "geirhos2018" / "fine-tuning.tar.xz"
#: Cell by cell, computed independently from the per-trial CSVs (6 decimals).
CELLS = Path(__file__).with_name("data") / "figure4-cells-2018.csv"
FOLDERS = {"colour-png": "colour", "contrast-png": "contrast", "noise-png": "uniform-noise",
           "salt-and-pepper-png": "salt-and-pepper", "lowpass": "low-pass",
           "highpass": "high-pass", "phase-scrambling": "phase-scrambling",
           "rotation": "rotation"}
pytestmark = pytest.mark.skipif(not ARCHIVE.is_file(), reason=f"{ARCHIVE} not present")


@pytest.fixture(scope="module")
def figure(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figure4")
    assert main(["plot", str(ARCHIVE), "--kind", "figure4", "--out", str(out),
                 "--quiet"]) == 0
    return out


def test_every_cell_equals_the_per_trial_accuracy(figure):
    got = pd.read_csv(figure / "figure4-training.csv", dtype={"condition": str})
    expected = pd.read_csv(CELLS, dtype={"condition": str})
    assert len(got) == len(expected) == 9 * 21  # 9 rows x (humans + 20 networks)
    expected["experiment"] = expected["experiment"].map(FOLDERS)
    merged = expected.merge(got, on=["label", "experiment", "condition"], how="left",
                            suffixes=("_expected", ""), validate="one_to_one")
    networks = merged["label"] != "humans"
    short = merged["network"].str.split("--").str[0]
    assert (short[networks] == merged.loc[networks, "network_expected"]).all()
    assert (merged["n"] == merged["n_expected"].fillna(0)).all()  # no S&P humans: n 0
    known = merged["accuracy_expected"].notna()
    assert (merged["accuracy"] - merged["accuracy_expected"]).abs()[known].max() <= 5e-7 + 1e-12
    assert merged.loc[~known, "accuracy"].isna().all()  # salt-and-pepper: no humans
    # the columns as the paper orders them: humans, A1-A9, B1-B9, C1, C2
    assert list(dict.fromkeys(got["label"]))[:3] == ["humans", "A1", "A2"]
    cell = got[(got["label"] == "A9") & (got["condition"] == "0.35")].iloc[0]
    assert (cell["n"], round(cell["accuracy"] * 100, 1)) == (1120, 80.3)
    human = got[(got["label"] == "humans") & (got["condition"] == "c05")].iloc[0]
    assert human["humans_from"] == "contrast-experiment"
    assert abs(human["accuracy"] - 0.47625) < 1e-12
    assert (figure / "figure4-training.png").stat().st_size > 10_000


def test_the_published_fine_tuning_accuracies_are_reproduced():
    table = read_trials(ARCHIVE)
    humans = read_trials(HUMANS_2018)
    result = compare_fine_tuning(table, ARCHIVE, humans[humans["observer_type"] == "human"])
    assert result["reproduced"].all(), result[~result["reproduced"]].head()
    assert set(result["observer"]) == {"sixteen01v4", "specialised", "all-noise", "humans"}
    # 53 conditions x 3 networks, plus the humans of all but salt-and-pepper (45)
    assert len(result) == 53 * 3 + 45


def test_the_png_contrast_humans_are_an_option(tmp_path):
    assert main(["plot", str(ARCHIVE), "--kind", "figure4", "--out", str(tmp_path),
                 "--contrast-humans", "png", "--quiet"]) == 0
    got = pd.read_csv(tmp_path / "figure4-training.csv", dtype={"condition": str})
    human = got[(got["label"] == "humans") & (got["condition"] == "c05")].iloc[0]
    assert human["humans_from"] == "contrast" and human["n"] == 480
    assert abs(human["accuracy"] - 0.545833333333333) < 1e-12  # the published table


def test_a_figure_with_nothing_to_draw_says_why_and_fails(tmp_path, capsys):
    code = main(["plot", str(HUMANS_2018), "--kind", "figure4", "--out", str(tmp_path),
                 "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1, err
    assert "nothing to draw: no network trained on distortions" in err[0]
