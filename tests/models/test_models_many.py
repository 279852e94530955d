"""``python -m models score --models FILE``: many networks in one run, the unavailable
ones skipped with one line; then the bias table over them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from models.cli import main, read_network_list

REPO = Path(__file__).resolve().parents[2]


def test_network_list_scores_each_and_skips_offline_weights(small_set, tmp_path):
    listing = tmp_path / "networks.txt"
    listing.write_text("# name weights\nefficientnet_lite0\nresnet18 none\n"
                       "mobilenet_v3_small DEFAULT   # torchvision download: offline here\n")
    unreachable = "http://127.0.0.1:9"
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch-home"),
           "https_proxy": unreachable, "HTTPS_PROXY": unreachable,
           "http_proxy": unreachable, "HTTP_PROXY": unreachable, "NO_PROXY": "",
           "no_proxy": ""}
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "models", "score", "--models", str(listing),
                           "--stimuli", str(small_set), "--out", str(out), "--no-progress"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1 and skipped[0].startswith("skipped mobilenet_v3_small")
    assert "offline? use --weights PATH" in skipped[0]
    assert not any(line.startswith("Traceback") for line in done.stderr.splitlines())
    written = sorted(p.name for p in (out / "cue-conflict").glob("*.tsv"))
    assert written == ["efficientnet_lite0_sum_ses-1.tsv", "resnet18_sum_ses-1.tsv"]
    assert done.stdout.splitlines()[-1].startswith("3 network(s) x 1 set(s): 16 images")
    assert done.stdout.splitlines()[-1].endswith("1 skipped")

    from lab.readers import read_trials
    from results.biases import bias_table
    biases = bias_table(read_trials(out)).set_index("network")
    assert list(biases.index) == ["efficientnet_lite0", "resnet18"]
    assert 0 <= biases.loc["efficientnet_lite0", "shape_bias"] <= 1
    # a random network may answer neither the shape nor the texture class on 8 images
    assert np.isnan(biases.loc["resnet18", "shape_bias"]) or \
        0 <= biases.loc["resnet18", "shape_bias"] <= 1


def test_bad_network_list_is_one_line(tmp_path, small_set, capsys):
    listing = tmp_path / "networks.txt"
    listing.write_text("efficientnet_lite0\nresnet_fifty DEFAULT\n")
    assert main(["score", "--models", str(listing), "--stimuli", str(small_set),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {listing}:2: unknown model 'resnet_fifty'") and "\n" not in err
    assert not (tmp_path / "out").exists()
    listing.write_text("# nothing\n")
    try:
        read_network_list(listing)
    except Exception as exc:  # noqa: BLE001 - the error's text is what is tested
        assert "no networks listed" in str(exc)
