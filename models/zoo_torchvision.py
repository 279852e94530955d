"""Every torchvision classification model, registered generically.

A model's preprocessing is read off its default weights' transforms (crop size, ImageNet
mean and std, interpolation), so it travels with the model and is the same whether the
weights are torchvision's, a local state_dict or random (``--weights none``).

The paper's networks (vgg19, googlenet, resnet152) and resnet50 are ordinary entries.
googlenet and inception_v3 are built the way torchvision builds them for its pretrained
weights (no auxiliary heads, ``transform_input=True``), so a state_dict saved from a
pretrained model loads into the random architecture unchanged.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from lab.errors import LabInputError
from models.registry import ModelSpec, Preprocessing, add_model, is_registered

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

log = logging.getLogger(__name__)
SOURCE = "torchvision"


def _default_weights(name: str) -> Any:
    from torchvision import models as tvm

    return tvm.get_model_weights(name).DEFAULT


def _architecture_kwargs(name: str) -> dict[str, Any]:
    """Builder arguments that make ``weights=None`` build what the default weights need."""
    meta = _default_weights(name).meta
    kwargs: dict[str, Any] = {"num_classes": len(meta["categories"])}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, transform_input=True, init_weights=True)
    elif name.startswith("vit_"):
        kwargs["image_size"] = meta["min_size"][0]
    elif name.startswith("maxvit"):
        kwargs["input_size"] = meta["min_size"]
    return kwargs


def _architecture(name: str) -> nn.Module:
    from torchvision import models as tvm

    return tvm.get_model(name, weights=None, **_architecture_kwargs(name))


def _pretrained(name: str) -> tuple[nn.Module, str]:
    from torchvision import models as tvm

    weights = _default_weights(name)
    try:
        model = tvm.get_model(name, weights=weights)
    except (OSError, RuntimeError) as err:  # URLError is an OSError; a bad download a RuntimeError
        reason = str(getattr(err, "reason", err)).splitlines()[0][:120]
        raise LabInputError(
            f"{name}: cannot get the {weights} weights from {weights.url} ({reason}); "
            "offline? use --weights PATH (a saved state_dict) or --weights none"
        ) from None
    return model, f"{weights} ({weights.url})"


def torchvision_spec(name: str) -> ModelSpec:
    """The spec of torchvision model ``name``."""
    weights = _default_weights(name)
    t = weights.transforms()
    crop = int(t.crop_size[0])
    pre = Preprocessing(
        input_size=crop,
        mean=tuple(float(m) for m in t.mean),
        std=tuple(float(s) for s in t.std),
        scale=1.0,
        interpolation=str(t.interpolation.value),
        source=(f"torchvision {weights} transforms (their own pipeline: resize to "
                f"{list(t.resize_size)}, centre-crop {crop})"),
    )
    return ModelSpec(
        name=name, source=SOURCE, preprocessing=pre,
        architecture=functools.partial(_architecture, name),
        pretrained=functools.partial(_pretrained, name),
        default_weights=str(weights),
    )


def _register_all() -> None:
    from torchvision import models as tvm

    for name in tvm.list_models(module=tvm):
        if not is_registered(name):  # explicitly registered models win
            add_model(name, functools.partial(torchvision_spec, name))


_register_all()
