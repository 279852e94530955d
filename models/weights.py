"""Choosing a network's weights: ``DEFAULT`` (pretrained), ``none`` (random) or a file.

A weights file is a ``state_dict`` saved with ``torch.save(model.state_dict(), PATH)``
(a checkpoint dict holding it under ``state_dict`` or ``model`` works too, and a
``module.`` prefix left by DistributedDataParallel is removed). It is loaded with
``weights_only=True``: no code in the file is ever run.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from lab.errors import LabInputError
from lab.manifest import sha256_file
from models.checkpoint import load_torch
from models.heads import checkpoint_card, replace_head
from models.registry import ModelSpec, label_space_of

log = logging.getLogger(__name__)

DEFAULT = "DEFAULT"
NONE = "none"


def _state_dict_of(obj: object) -> dict[str, torch.Tensor] | None:
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, dict):
                obj = inner
                break
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            keys = list(obj)
            if all(k.startswith("module.") for k in keys):
                obj = {k[len("module."):]: v for k, v in obj.items()}
            return obj  # type: ignore[return-value]
    return None


def load_weights_file(model: nn.Module, path: str | Path, *, name: str) -> str:
    """Load the state_dict in ``path`` into ``model`` strictly; return a description
    (path and sha256). One-line :class:`LabInputError` if the file does not fit."""
    path = Path(path)
    if not path.is_file():
        raise LabInputError(
            f"{path}: no such weights file; give --weights DEFAULT, none or the path of a "
            "state_dict saved with torch.save(model.state_dict(), PATH)"
        )
    try:
        obj = load_torch(Path(path))
    except Exception as err:  # pickle, zip and torch errors all mean "not a state_dict"
        raise LabInputError(
            f"{path}: not a readable torch state_dict ({type(err).__name__}); save one with "
            "torch.save(model.state_dict(), PATH)"
        ) from None
    state = _state_dict_of(obj)
    if state is None:
        raise LabInputError(
            f"{path}: holds no state_dict of tensors; save one with "
            "torch.save(model.state_dict(), PATH)"
        )
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches
        first = str(err).split("\n\t", 2)[1] if "\n\t" in str(err) else str(err)
        raise LabInputError(
            f"{path}: does not fit {name} ({first.strip()[:160]}); was it saved from {name}?"
        ) from None
    if result.missing_keys or result.unexpected_keys:
        raise LabInputError(
            f"{path}: does not fit {name} ({len(result.missing_keys)} missing keys, e.g. "
            f"{result.missing_keys[:1]}; {len(result.unexpected_keys)} unexpected, e.g. "
            f"{result.unexpected_keys[:1]}); was it saved from {name}?"
        )
    return f"{path.resolve()} (sha256 {sha256_file(path)})"


#: Characters an observer name may hold (it names files and appears in tables).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


@dataclass(frozen=True)
class WeightsIdentity:
    """What a network's weights are: recorded in every sidecar of its trial files."""

    observer: str  #: the observer name: unique per weights
    sha256: str  #: of the weights file ('' for DEFAULT and none: the registry names them)
    run_name: str = ""  #: a network trained here: its run folder's name
    card: dict | None = None  #: a network trained here: its model card

    def sidecar(self) -> dict:
        return {"weights_sha256": self.sha256, "run_name": self.run_name,
                "model_card": self.card}


def weights_identity(spec: ModelSpec, weights: str, name: str | None = None) -> WeightsIdentity:
    """The observer name and identity of ``spec`` with ``weights``.

    ``DEFAULT`` (the registry's pretrained weights) and ``none`` (random, seeded) keep the
    architecture's name; a file written by ``python -m models train`` is
    ``<architecture>@<run name>`` (e.g. ``efficientnet_lite0@noise-run``); any other file
    ``<architecture>@<file stem>-<first 8 hex of its sha256>``. ``name`` (``--name``)
    replaces the default. Two different weights thus never share a name unless chosen so,
    and the readers refuse one name for two different sha256 (:mod:`lab.readers`)."""
    if name is not None and not _NAME.match(name):
        raise LabInputError(f"--name {name!r}: use letters, digits and . _ @ + - (no spaces "
                            "or slashes), starting with a letter or digit")
    if weights.upper() == DEFAULT or weights.lower() == NONE:
        return WeightsIdentity(name or spec.name, "")
    path = Path(weights)
    if not path.is_file():  # load_weights_file gives the one-line error later
        return WeightsIdentity(name or spec.name, "")
    digest = sha256_file(path)
    card = checkpoint_card(weights)
    if card is not None:
        run_dir = str(((card.get("config") or {}).get("run") or {}).get("out") or "")
        run_name = Path(run_dir).name or path.parent.name
        default = f"{spec.name}@{run_name}"
        return WeightsIdentity(name or _safe(default), digest, run_name, card)
    return WeightsIdentity(name or _safe(f"{spec.name}@{path.stem}-{digest[:8]}"), digest)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]+", "-", text)


def spec_for_weights(spec: ModelSpec, weights: str) -> ModelSpec:
    """The spec of the network that ``weights`` gives, its label space set once, here.

    ``DEFAULT``, ``none`` and a plain ``state_dict`` keep ``spec`` (the 1000 ImageNet
    classes). A file written by ``python -m models train`` carries a model card: its
    ``head`` sets the label space (and ``architecture()`` then builds the network with that
    head, so the file fits it), its ``image_size`` the input size the network is fed at,
    and an ``architecture`` other than ``spec.name`` is refused in one line.
    """
    if weights.upper() == DEFAULT or weights.lower() == NONE:
        return spec
    card = checkpoint_card(weights)
    if card is None:
        return spec
    if card.get("architecture") not in (None, spec.name):
        raise LabInputError(f"{weights}: trained as {card['architecture']}, not "
                            f"{spec.name}; give --model {card['architecture']} (in a training "
                            f"config: model.architecture = '{card['architecture']}')")
    label_space = label_space_of(int(card.get("head", 1000)), source=weights)
    pre = spec.preprocessing
    if card.get("image_size"):  # scored at the size the network was trained at
        pre = dataclasses.replace(pre, input_size=int(card["image_size"]))
    architecture = spec.architecture
    if label_space != spec.label_space:
        def architecture() -> nn.Module:
            return replace_head(spec.architecture(), label_space.num_classes, arch=spec.name)
    return dataclasses.replace(spec, label_space=label_space, preprocessing=pre,
                               architecture=architecture)


def build_model(spec: ModelSpec, weights: str, *, seed: int = 0) -> tuple[nn.Module, str]:
    """The network of ``spec`` with ``weights`` (``DEFAULT``, ``none`` or a path), in eval
    mode, and a description of the weights for the sidecar.

    Random initialisation is seeded with ``seed``, so ``none`` gives the same network in
    every run and in every process of a distributed run. A file written by ``python -m
    models train`` with a 16-way head needs the spec of :func:`spec_for_weights`.
    """
    if weights.upper() == DEFAULT:
        model, description = spec.pretrained()
    else:
        torch.manual_seed(seed)
        model = spec.architecture()
        if weights.lower() == NONE:
            description = f"none (random initialisation, torch seed {seed})"
        else:
            description = load_weights_file(model, weights, name=spec.name)
    log.info("%s: weights %s", spec.name, description)
    return model.eval(), description
