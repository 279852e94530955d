"""Classifier heads: find a network's 1000-way layer, replace it by an n-way one, and read
the model card that ``python -m models train`` stores inside its weights files."""

from __future__ import annotations

from torch import nn

from lab.errors import LabInputError
from models.checkpoint import load_torch


def last_classifier(model: nn.Module) -> tuple[str, nn.Module] | None:
    """The name and module of the last layer with 1000 outputs (Linear or 1x1 Conv)."""
    found = None
    for name, module in model.named_modules():
        if (isinstance(module, nn.Linear) and module.out_features == 1000) or (
                isinstance(module, nn.Conv2d) and module.out_channels == 1000):
            found = (name, module)
    return found


def replace_head(model: nn.Module, classes: int, *, arch: str) -> nn.Module:
    """``model`` with its last 1000-way layer replaced by a fresh ``classes``-way one."""
    found = last_classifier(model)
    if found is None:
        raise LabInputError(f"{arch}: no 1000-way classifier layer found to replace by a "
                            f"{classes}-way head; use model.head = 1000")
    name, old = found
    if isinstance(old, nn.Linear):
        new: nn.Module = nn.Linear(old.in_features, classes, bias=old.bias is not None)
    else:
        new = nn.Conv2d(old.in_channels, classes, old.kernel_size, old.stride, old.padding,
                        bias=old.bias is not None)
    parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
    setattr(parent, name.rpartition(".")[2], new)
    return model


def checkpoint_card(path: str) -> dict | None:
    """The model card inside a file written by ``python -m models train``, else ``None``."""
    from pathlib import Path

    if not Path(path).is_file():
        return None
    try:
        obj = load_torch(Path(path))
    except Exception:  # not ours: load_weights_file gives the one-line error
        return None
    card = obj.get("card") if isinstance(obj, dict) else None
    return card if isinstance(card, dict) else None
