"""``channels --method subramanian2023``: the authors' analysis (Subramanian et al. 2023,
``analysis/analysis.py``) and the cases where their fit cannot know the channel."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from synthetic_observers import channel_observer

from results.cli import main
from results.subramanian import (
    fit_j,
    matrices_from_trials,
    matrix_from_lists,
    read_json_matrix,
    subramanian_table,
    threshold_index,
)

HUMAN_J = np.array([0, 0, 0, 0, 2, 2, 0])  # the authors' human group (notebook cell 10)


def test_human_group_reference_is_1_octave_39_6_cpi_pns_1():
    c = fit_j(HUMAN_J)
    assert round(c.bandwidth_octaves, 2) == 1.00
    assert round(c.centre_cpi, 1) == 39.6
    assert round(c.pns, 2) == 1.00
    assert c.a == pytest.approx(4.0, abs=1e-6) and c.mu == pytest.approx(4.5, abs=1e-6)
    assert c.identified and c.reason == ""


def test_a_symmetric_channel_is_found_where_it_is():
    c = fit_j(np.array([0, 1, 2, 3, 2, 1, 0]))
    assert c.mu == pytest.approx(3.0, abs=1e-6) and c.centre_cpi == pytest.approx(14.0)
    assert c.identified


def test_threshold_index_counts_from_the_strongest_noise_and_is_strict():
    m = np.zeros((5, 7))
    m[0] = 90                       # noise-free always above
    m[4, 0] = 60                    # band 0 above at 0.16 -> j 0
    m[1:, 1] = 50                   # exactly 50 is not above -> j 4
    m[3, 2] = 70                    # above at 0.04 first (from the top) -> j 1? no: row 3 = 0.08
    m[2, 3] = 70                    # above first at 0.04 -> j 2
    j = threshold_index(m)
    assert list(j) == [0, 4, 1, 2, 4, 4, 4]


def test_networks_at_chance_are_not_identified_and_say_why():
    chance = np.full((5, 7), 100 / 16)
    row = subramanian_table({("networks", "random-init"): chance}).iloc[0]
    assert row["j"] == "4 4 4 4 4 4 4"
    assert not row["identified"] and "never above the criterion" in row["reason"]
    only_clean = np.full((5, 7), 6.25)
    only_clean[0] = 80  # j = 4 everywhere, but above criterion without noise
    c = fit_j(threshold_index(only_clean))
    assert not c.identified and "same threshold index j = 4" in c.reason
    never_masked = fit_j(np.zeros(7, int))
    assert not never_masked.identified


def test_group_matrix_is_the_mean_of_observer_matrices():
    a = np.full((5, 7), 40.0)
    b = np.full((5, 7), 70.0)  # mean 55 -> above 50 everywhere -> j = 0
    table = subramanian_table({("humans", "s1"): a, ("humans", "s2"): b})
    group = table[table["observer"] == "(group)"].iloc[0]
    assert group["j"] == "0 0 0 0 0 0 0"


def test_authors_json_files_are_read_and_bad_keys_refused(tmp_path):
    cells = {f"noise{s}freq{k}": [1, 1, 0] if (k == 4 and s in ("0.08", "0.16")) or s == "0"
             else [0, 0, 1] for s in ("0", "0.02", "0.04", "0.08", "0.16") for k in range(7)}
    path = tmp_path / "solomon_resnet50_accuracies_2023-01-01T00:00:00.json"
    path.write_text(json.dumps(cells))
    net, m = read_json_matrix(path)
    assert net == "resnet50" and m.shape == (5, 7)
    assert m[4, 4] == pytest.approx(200 / 3) and m[4, 0] == pytest.approx(100 / 3)
    assert list(threshold_index(m)) == [4, 4, 4, 4, 0, 4, 4]
    from lab.errors import LabInputError
    with pytest.raises(LabInputError, match="noise<s>freq<k>"):
        matrix_from_lists({"sd0.02band3": [1]}, "x.json")
    with pytest.raises(LabInputError, match="not one of"):
        matrix_from_lists({"noise0.03freq3": [1]}, "x.json")


def test_cli_reads_the_authors_json_and_our_trial_files(tmp_path, capsys):
    cells = {f"noise{s}freq{k}": [1] * 3 for s in ("0", "0.02", "0.04", "0.08", "0.16")
             for k in range(7)}
    for k in (1, 2, 3, 4, 5):
        cells[f"noise0.16freq{k}"] = [0, 0, 0]
    for k in (2, 3, 4):
        cells[f"noise0.08freq{k}"] = [0, 1, 0]
    (tmp_path / "cbm_vit_accuracies_2024.json").write_text(json.dumps(cells))
    assert main(["channels", str(tmp_path), "--method", "subramanian2023", "--csv", "-q"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    row = frame.iloc[0]
    assert row["observer"] == "vit" and row["j"] == "0 1 2 2 2 1 0"
    assert bool(row["identified"]) and row["centre_cpi"] == pytest.approx(14.0, rel=1e-6)
    assert row["method"] == "subramanian2023"


def test_channel_from_our_trials_sits_near_the_simulated_one():
    trials = channel_observer("sub-01", np.random.default_rng(3), centre_cpi=28,
                              bandwidth=2.0, peak=40, n_per_condition=200)
    matrices = matrices_from_trials(trials)
    (key, m), = matrices.items()
    assert m.shape == (5, 7) and not np.isnan(m).any()
    c = fit_j(threshold_index(m))
    assert c.identified and 2.0 <= c.mu <= 6.0
