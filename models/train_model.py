"""The network of a training run: architecture, starting weights, head, batch norm, and the
optimiser's parameter groups.

* ``architecture``: any registered name (every torchvision classifier,
  ``efficientnet_lite0``) and, where the package is installed, any timm model.
* ``weights``: ``none`` (random, seeded), ``DEFAULT`` (the registry's pretrained weights),
  a torchvision weights name (``IMAGENET1K_V2``) or the path of a state_dict / checkpoint.
* ``head = 16``: the last 1000-way layer is replaced by a fresh 16-way one (outputs in
  :data:`lab.categories.CATEGORIES` order).
"""

from __future__ import annotations

import importlib.util
import logging

import torch
from torch import nn

from lab.errors import LabInputError
from models.heads import last_classifier, replace_head
from models.registry import Preprocessing, get_spec
from models.train_config import ModelSection
from models.weights import DEFAULT, NONE, load_weights_file, spec_for_weights

log = logging.getLogger(__name__)
NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)


def _timm_model(arch: str, weights: str, head: int) -> nn.Module | None:
    if importlib.util.find_spec("timm") is None:
        return None
    import timm

    if not timm.is_model(arch):
        return None
    return timm.create_model(arch, pretrained=weights.upper() == DEFAULT, num_classes=head)


def build_training_model(m: ModelSection, seed: int) -> tuple[nn.Module, Preprocessing, str]:
    """The network (train mode, on the CPU), its preprocessing and a description of its
    starting weights."""
    torch.manual_seed(seed)
    try:
        spec = get_spec(m.architecture)
    except LabInputError:
        model = _timm_model(m.architecture, m.weights, m.head)
        if model is None:
            raise
        cfg = model.pretrained_cfg
        pre = Preprocessing(input_size=cfg["input_size"][-1], mean=tuple(cfg["mean"]),
                            std=tuple(cfg["std"]), source=f"timm {m.architecture}")
        return model.train(), pre, f"timm {m.architecture} ({m.weights})"
    weights, description = m.weights, m.weights
    if weights.upper() == DEFAULT:
        model, description = spec.pretrained()
    elif weights.lower() == NONE:
        model = spec.architecture()
        description = f"none (random initialisation, torch seed {seed})"
    elif "/" in weights or weights.endswith((".pt", ".pth")):
        model = spec_for_weights(spec, weights).architecture()  # the file's own head
        description = load_weights_file(model, weights, name=m.architecture)
    else:  # a torchvision weights name
        from torchvision import models as tvm

        try:
            enum = tvm.get_model_weights(m.architecture)
            model = tvm.get_model(m.architecture, weights=enum[weights])
        except KeyError:
            names = ", ".join(w.name for w in tvm.get_model_weights(m.architecture))
            raise LabInputError(f"model.weights = {weights!r}: not a weights name of "
                                f"{m.architecture} ({names}), none, DEFAULT or a file") from None
        except (OSError, RuntimeError) as err:
            raise LabInputError(f"{m.architecture}: cannot get the {weights} weights "
                                f"({str(err).splitlines()[0][:100]}); offline? give a file"
                                ) from None
        except ValueError:
            raise LabInputError(f"{m.architecture}: torchvision has no weights for it; use "
                                "none, DEFAULT or a file") from None
        description = f"torchvision {weights}"
    out = last_classifier(model)
    if m.head != 1000 and out is not None:
        torch.manual_seed(seed + 1)
        model = replace_head(model, m.head, arch=m.architecture)
    if m.train_only_head:
        head_name = (last_classifier(model) or _head_of(model))[0]
        for name, p in model.named_parameters():
            p.requires_grad = name.startswith(head_name + ".")
    if m.batch_norm == "sync":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return model.train(), spec.preprocessing, description


def _head_of(model: nn.Module) -> tuple[str, nn.Module]:
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear | nn.Conv2d):
            last = (name, module)
    if last is None:
        raise LabInputError("model.train_only_head: the network has no linear layer")
    return last


def set_train_mode(model: nn.Module, m: ModelSection) -> None:
    """Train mode; batch norms in eval mode (running statistics) when frozen or when only
    the head is trained."""
    model.train()
    if m.batch_norm == "frozen" or m.train_only_head:
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on every trainable parameter except those of normalisation layers
    (the paper: not on batch norm)."""
    norm_ids = {id(p) for mod in model.modules() if isinstance(mod, NORMS)
                for p in mod.parameters(recurse=False)}
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if id(p) in norm_ids else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]
