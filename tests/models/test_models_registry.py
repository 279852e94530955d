"""The registry: names, close matches, plug-ins, and preprocessing carried per model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lab.errors import LabInputError
from models import registry
from models.loading import normalise, read_image
from models.registry import (
    ModelSpec,
    Preprocessing,
    get_spec,
    list_models,
    register_model,
)


def test_lists_the_paper_models_torchvision_and_efficientnet_lite0():
    names = list_models()
    for name in ("vgg19", "googlenet", "resnet152", "resnet50", "efficientnet_lite0",
                 "resnet18", "mobilenet_v3_small"):
        assert name in names
    assert len(names) > 50  # every torchvision classification model


@pytest.mark.parametrize(("typo", "expected"), [
    ("resnet-50", "resnet50"), ("ResNet50", "resnet50"),
    ("efficientnet_lite", "efficientnet_lite0"), ("vgg_19", "vgg19"), ("googlenet2", "googlenet"),
])
def test_unknown_names_list_close_matches(typo, expected):
    with pytest.raises(LabInputError, match=f"unknown model '{typo}': did you mean") as err:
        get_spec(typo)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_hopeless_names_point_to_the_list():
    with pytest.raises(LabInputError, match="python -m models list"):
        get_spec("zzzzzz")


def test_a_plugin_registers_through_the_decorator():
    pre = Preprocessing(input_size=32, mean=(0.5,) * 3, std=(0.25,) * 3)

    def net() -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 1000))

    try:
        @register_model("tiny_test_net")
        def tiny_test_net() -> ModelSpec:
            return ModelSpec(name="tiny_test_net", source="tests", preprocessing=pre,
                             architecture=net, pretrained=lambda: (net(), "none"))

        assert "tiny_test_net" in list_models()
        assert get_spec("tiny_test_net").preprocessing.input_size == 32
        with pytest.raises(ValueError, match="already registered"):
            register_model("tiny_test_net")(tiny_test_net)
    finally:
        registry._REGISTRY.pop("tiny_test_net", None)
    assert "tiny_test_net" not in list_models()


def test_efficientnet_lite0_preprocessing_is_tflite():
    pre = get_spec("efficientnet_lite0").preprocessing
    assert (pre.input_size, pre.scale, pre.mean, pre.std) == (224, 255.0, (127.0,) * 3,
                                                              (128.0,) * 3)


def test_torchvision_preprocessing_comes_from_the_weights():
    from torchvision.models import get_model_weights

    for name in ("resnet50", "vgg19", "googlenet", "resnet152", "inception_v3"):
        pre = get_spec(name).preprocessing
        t = get_model_weights(name).DEFAULT.transforms()
        assert pre.mean == pytest.approx((0.485, 0.456, 0.406))
        assert pre.std == pytest.approx((0.229, 0.224, 0.225))
        assert pre.scale == 1.0 and pre.input_size == t.crop_size[0]
    assert get_spec("inception_v3").preprocessing.input_size == 299


@pytest.mark.parametrize("name", ["efficientnet_lite0", "resnet50"])
def test_normalise_applies_the_spec_formula_to_real_pixels(name, demo_set):
    pre = get_spec(name).preprocessing
    u8 = read_image(next(demo_set.glob("*.png")))[None]
    x = normalise(u8, pre, torch.device("cpu"))
    assert x.is_contiguous(memory_format=torch.channels_last)
    u = u8.double().numpy()
    mean = np.array(pre.mean).reshape(1, 3, 1, 1)
    std = np.array(pre.std).reshape(1, 3, 1, 1)
    expected = (u / 255 * pre.scale - mean) / std
    np.testing.assert_allclose(x.numpy(), expected, atol=1e-5)
    if name == "efficientnet_lite0":  # (x - 127) / 128: pixel 255 -> 1.0, 127 -> 0
        np.testing.assert_allclose(x.numpy(), (u - 127) / 128, atol=1e-5)


def test_preprocessing_rejects_unknown_policies():
    with pytest.raises(ValueError, match="resize must be one of"):
        Preprocessing(input_size=224, mean=(0,) * 3, std=(1,) * 3, resize="stretch")
