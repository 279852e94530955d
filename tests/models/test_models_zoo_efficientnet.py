"""The network of models/zoo_efficientnet.py: its spec, and its real pretrained weights on
a real photograph (the worked example of docs/contributing.md, "Adding a network")."""

from __future__ import annotations

import torch

from lab.categories import IMAGENET_INDICES
from models.loading import fit_to_input, normalise, read_image
from models.registry import IMAGENET_1000, get_spec
from models.weights import build_model
from tests.models.conftest import EXAMPLE_IMAGE  # a lorikeet


def test_efficientnet_lite0_sees_a_bird():
    spec = get_spec("efficientnet_lite0")
    assert spec.label_space == IMAGENET_1000 and spec.preprocessing.std == (128.0,) * 3
    model, _ = build_model(spec, "DEFAULT")
    image = fit_to_input(read_image(EXAMPLE_IMAGE), spec.preprocessing)
    with torch.inference_mode():
        logits = model(normalise(image[None], spec.preprocessing, torch.device("cpu")))
    assert logits.shape == (1, spec.label_space.num_classes)
    assert int(logits.argmax()) in IMAGENET_INDICES["bird"]
