"""Inference speed-ups must not change what a network computes."""

from __future__ import annotations

import json

import numpy as np
import torch

from models.acceleration import OneDnnNetwork, prepare_model
from models.loading import normalise, read_image
from models.registry import get_spec
from models.weights import build_model

CPU = torch.device("cpu")


def _batch(demo_set, name: str) -> torch.Tensor:
    files = sorted(demo_set.glob("*.png"))[:6]
    return normalise(torch.stack([read_image(f) for f in files]),
                     get_spec(name).preprocessing, CPU)


def _probs(model, x) -> np.ndarray:
    with torch.inference_mode():
        return torch.softmax(model(x), dim=1).numpy()


def test_onednn_resnet_agrees_with_the_plain_network(demo_set):
    plain, _ = build_model(get_spec("resnet18"), "none")
    x = _batch(demo_set, "resnet18")
    expected = _probs(plain, x)
    fast, done = prepare_model(plain, CPU)
    assert isinstance(fast, OneDnnNetwork)
    assert done == ["batch norms folded into convolutions",
                    "oneDNN prepacked weights and blocked layout (CPU)"]
    np.testing.assert_allclose(_probs(fast, x), expected, atol=1e-6)
    np.testing.assert_array_equal(_probs(fast, x), _probs(fast, x))  # deterministic


def test_networks_onednn_cannot_run_fall_back_intact(demo_set):
    # googlenet has an op without a oneDNN kernel; the failed conversion must not leave
    # the network half converted
    plain, _ = build_model(get_spec("googlenet"), "none")
    x = _batch(demo_set, "googlenet")
    expected = _probs(plain, x)
    fast, done = prepare_model(plain, CPU)
    assert done[-1] == "channels_last" and not isinstance(fast, OneDnnNetwork)
    np.testing.assert_allclose(_probs(fast, x), expected, atol=1e-6)
    np.testing.assert_allclose(_probs(plain, x), expected, atol=0)


def test_no_fuse_runs_the_network_as_built(small_set, tmp_path, run_score):
    assert run_score("--model", "resnet18", "--weights", "none", "--stimuli", small_set,
                     "--out", tmp_path, "--no-fuse") == 0
    meta = json.loads(
        (tmp_path / "cue-conflict" / "resnet18_sum_ses-1.json").read_text())
    assert meta["optimisations"] == ["channels_last"]
