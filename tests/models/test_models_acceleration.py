"""Inference speed-ups must not change what a network computes."""

from __future__ import annotations

import json

import numpy as np
import torch

from models.acceleration import prepare_model
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


def test_folding_agrees_with_the_plain_network_and_leaves_it_intact(demo_set):
    for name in ("resnet18", "googlenet"):
        plain, _ = build_model(get_spec(name), "none")
        x = _batch(demo_set, name)
        expected = _probs(plain, x)
        fast, done = prepare_model(plain, CPU)
        assert done == ["batch norms folded into convolutions", "channels_last"], name
        assert fast is not plain
        np.testing.assert_allclose(_probs(fast, x), expected, atol=1e-6)
        np.testing.assert_array_equal(_probs(plain, x), expected)  # the original is intact


def test_networks_without_batch_norms_are_left_as_they_are(demo_set):
    plain, _ = build_model(get_spec("alexnet"), "none")
    fast, done = prepare_model(plain, CPU)
    assert done == ["channels_last"] and fast is plain


def test_no_fuse_runs_the_network_as_built(small_set, tmp_path, run_score):
    assert run_score("--model", "resnet18", "--weights", "none", "--stimuli", small_set,
                     "--out", tmp_path, "--no-fuse") == 0
    meta = json.loads(
        (tmp_path / "cue-conflict" / "resnet18_sum_ses-1.json").read_text())
    assert meta["optimisations"] == ["channels_last"]
