"""Weight decay: on convolution and linear parameters at the configured rate, never on a
normalisation layer's (Geirhos et al. 2018, Methods: training; batch norm is not decayed)."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import shufflenet_v2_x0_5

from models.train_model import parameter_groups

DECAY = 1e-4


def _groups_by_parameter(model: nn.Module, decay: float) -> dict[int, float]:
    """id(parameter) -> its group's weight decay; each parameter in exactly one group."""
    seen: dict[int, float] = {}
    for group in parameter_groups(model, decay):
        for p in group["params"]:
            assert id(p) not in seen, "a parameter is in two groups"
            seen[id(p)] = group["weight_decay"]
    return seen


def test_normalisation_parameters_are_never_decayed_and_weights_are():
    torch.manual_seed(0)
    model = shufflenet_v2_x0_5(weights=None, num_classes=16)  # the training tests' network
    decay_of = _groups_by_parameter(model, DECAY)
    assert set(decay_of) == {id(p) for p in model.parameters()}
    norms = convs = 0
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
                assert decay_of[id(p)] == 0.0, f"batch-norm {name} is decayed"
                norms += 1
            elif isinstance(module, nn.Conv2d | nn.Linear):
                assert decay_of[id(p)] == DECAY, f"{type(module).__name__}.{name} not decayed"
                convs += 1
    assert norms > 50 and convs > 50  # both kinds were looked at


def test_layer_and_group_norms_too_and_frozen_parameters_left_out():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(2, 8), nn.Flatten(),
                          nn.LayerNorm(8 * 30 * 30), nn.Linear(8 * 30 * 30, 16))
    model[0].weight.requires_grad_(False)
    decay_of = _groups_by_parameter(model, DECAY)
    assert id(model[0].weight) not in decay_of  # frozen: in no group
    assert decay_of[id(model[0].bias)] == DECAY
    for norm in (model[1], model[3]):
        assert decay_of[id(norm.weight)] == decay_of[id(norm.bias)] == 0.0
    assert decay_of[id(model[4].weight)] == decay_of[id(model[4].bias)] == DECAY
