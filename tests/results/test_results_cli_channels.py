"""The thresholds, channels, intervals and biases commands on real trial files."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from results_helpers import human_record, write_human_tsv
from synthetic_observers import channel_observer

from results.cli import main


def write_channel_observer(folder, observer: str, seed: int):
    """A synthetic critical-band observer as our own human TSV, with a session sidecar
    giving the viewing geometry (57.3 cm, 224 px at 0.02 cm/px: about 4.48 degrees)."""
    trials = channel_observer(observer, np.random.default_rng(seed), centre_cpi=20,
                              bandwidth=3.0, peak=50, n_per_condition=40)
    records = [human_record("critical-band", observer, i + 1, f"img{i}.png", "dog",
                            row.condition, "dog" if row.correct else "cat")
               for i, row in enumerate(trials.itertuples())]
    path = write_human_tsv(folder / f"{observer}_ses-1_task-criticalband_beh.tsv", records)
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps({"viewing_distance_cm": 57.3, "image_px": 224,
                                   "display_profile": {"width_cm": 38.4,
                                                       "resolution": [1920, 1080]}}))
    return path


def test_cli_channels_stepped_with_session_geometry(tmp_path, capsys):
    write_channel_observer(tmp_path, "sub-01", 1)
    assert main(["channels", str(tmp_path), "--method", "stepped", "--boot", "100", "--csv",
                 "-q"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    row = frame.iloc[0]
    degrees = math.degrees(2 * math.atan(224 * 0.02 / (2 * 57.3)))
    assert row["geometry"] == "session" and row["image_degrees"] == \
        pytest.approx(degrees)
    assert row["centre_cpd"] == pytest.approx(row["centre_cpi"] / degrees)
    assert main(["channels", str(tmp_path), "--method", "stepped", "--bands", "--boot",
                 "20", "--csv", "-q"]) == 0
    bands = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(bands["band"]) == list(range(7))


def test_cli_refusals_are_one_line(lab_records, capsys):
    assert main(["thresholds", str(lab_records), "-q"]) == 2  # rotation: not parametric
    assert "no parametric experiment" in capsys.readouterr().err
    assert main(["channels", str(lab_records), "-q"]) == 2
    assert "no critical-band trials" in capsys.readouterr().err
    assert main(["thresholds", str(lab_records), "--criterion", "0.05", "-q"]) == 2
    assert "--criterion 0.05" in capsys.readouterr().err


def test_cli_intervals_and_biases(lab_records, capsys):
    assert main(["intervals", str(lab_records), "--what", "benchmark", "--boot", "50",
                 "--csv", "-q"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"error_consistency_low", "error_consistency_high"} <= set(frame.columns)
    assert main(["biases", str(lab_records), "--csv", "-q"]) == 0
    biases = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(biases["network"]) == ["resnet50"] and "accuracy_rotation" in biases
