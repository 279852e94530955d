"""The settings of a training run: a TOML file read into frozen dataclasses (torch-free).

The config is data, like the experiment designs: every key has a type and a default,
unknown keys and wrong types are refused in one line naming the key, and flags override
keys (``--set optim.lr=0.05`` or the shortcuts of ``python -m models train``). The settled
config is written into the run's folder; ``--resume`` compares against it and refuses a
different one, naming each difference.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import LabInputError
from models.options import DEVICES, PRECISIONS

REGIMES: tuple[str, ...] = ("clean", "one", "all-but-one", "all", "gaussian", "speckle")
HEADS: tuple[int, ...] = (16, 1000)
BATCH_NORM: tuple[str, ...] = ("train", "frozen", "sync")
CROPS: tuple[str, ...] = ("random-resized", "resize", "centre")
SAMPLERS: tuple[str, ...] = ("shuffle", "balanced")
LOSS_WEIGHTS: tuple[str, ...] = ("inverse-frequency", "none")
OPTIMIZERS: tuple[str, ...] = ("sgd", "adamw")
#: Largest data.image_size accepted (pixels per side; larger ones exhaust memory).
MAX_IMAGE_SIZE = 1024

EXAMPLE = """\
# A Figure-4 run: ResNet-50 from scratch on 16-class ImageNet, trained on uniform noise.
[model]
architecture = "resnet50"     # any torchvision classification model (timm's if installed)
weights = "none"              # none | DEFAULT | a torchvision weights name | PATH
head = 16                     # 16 (the 16 classes) or 1000 (ImageNet fine-tuning)

[data]
train = "/data/imagenet/train"  # ImageNet-style WNID folders, or one folder per class
val = "/data/imagenet/val"      # optional held-out folder of the same kind
image_size = 224

[distortions]
regime = "one"                # clean | one | all-but-one | all | gaussian | speckle
manipulation = "uniform-noise"
clean_fraction = 0.0

[optim]                       # defaults: the paper's SGD (lr = 0.1 x batch / 256)

[run]
out = "runs/uniform-noise"
epochs = 90
batch_size = 256
"""


@dataclass(frozen=True)
class ModelSection:
    architecture: str = "resnet50"
    weights: str = "none"  #: none | DEFAULT | torchvision weights name | PATH
    head: int = 16  #: 16-way head (classes of lab.categories) or 1000 (ImageNet)
    batch_norm: str = "train"  #: train | frozen (running stats, eval mode) | sync (GPU)
    train_only_head: bool = False  #: fine-tune the new head only (the rest frozen)


@dataclass(frozen=True)
class DataSection:
    train: str = ""
    val: str = ""
    image_size: int = 224
    crop: str = "random-resized"  #: random-resized (+ flip) | resize | centre
    flip: bool = True
    skip_greyscale: bool = True  #: the paper excluded greyscale ILSVRC images
    workers: int = -1  #: DataLoader workers per rank (-1: chosen for the machine)


@dataclass(frozen=True)
class DistortionSection:
    regime: str = "clean"
    #: the one (regime one) or the excluded one (all-but-one)
    manipulation: str = ""
    #: manipulations of 'all' / 'all-but-one' (empty: the paper's twelve)
    manipulations: tuple[str, ...] = ()
    #: "experiment" (the condition codes of each manipulation) or "range"
    levels: str = "experiment"
    #: [low, high] of the numeric parameter when levels = "range" (one manipulation)
    level_range: tuple[float, ...] = ()
    #: Gaussian / speckle noise standard deviations (one drawn per image)
    sigmas: tuple[float, ...] = (0.5,)
    clean_fraction: float = 0.0  #: share of images left clean (Rusak et al.: 0.5)


@dataclass(frozen=True)
class OptimSection:
    optimizer: str = "sgd"
    lr: float = 0.0  #: 0: 0.1 x batch_size / 256 (the paper)
    momentum: float = 0.9
    weight_decay: float = 1e-4  #: not applied to batch-norm (or any 1-d) parameters
    #: epochs after which the learning rate decays, as given (Geirhos et al. 2018 kept
    #: 30/60/80/90 also for their 200-epoch runs); epochs >= run.epochs have no effect
    decay_epochs: tuple[int, ...] = (30, 60, 80, 90)
    decay_factor: float = 0.1
    loss_weights: str = "inverse-frequency"
    sampler: str = "shuffle"  #: shuffle | balanced (draws classes equally often)
    label_smoothing: float = 0.0


@dataclass(frozen=True)
class RunSection:
    out: str = ""
    epochs: int = 90
    batch_size: int = 256  #: global (split over the ranks)
    max_steps: int = 0  #: stop after this many steps (0: all epochs)
    checkpoint_every_steps: int = 0  #: 0: every epoch only
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  #: auto: bf16/fp16 autocast on CUDA, fp32 on CPU
    channels_last: bool = True
    progress: bool = True  #: progress bars (only when stderr is a terminal)


@dataclass(frozen=True)
class TrainConfig:
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    distortions: DistortionSection = field(default_factory=DistortionSection)
    optim: OptimSection = field(default_factory=OptimSection)
    run: RunSection = field(default_factory=RunSection)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: {k: list(v) if isinstance(v, tuple) else v
                       for k, v in dataclasses.asdict(getattr(self, name)).items()}
                for name in SECTIONS}

    @property
    def lr(self) -> float:
        """The learning rate: as given, or 0.1 x batch / 256 (the paper's rule)."""
        return self.optim.lr or 0.1 * self.run.batch_size / 256

    def milestones(self) -> list[int]:
        """Epochs at which the learning rate decays: ``optim.decay_epochs`` as given (not
        rescaled with the run's length), those within the run."""
        return [e for e in sorted(set(self.optim.decay_epochs)) if e < self.run.epochs]


SECTIONS: dict[str, type] = {
    "model": ModelSection, "data": DataSection, "distortions": DistortionSection,
    "optim": OptimSection, "run": RunSection,
}
#: Keys that may change between a run and its --resume (they do not change the numbers).
RESUMABLE_KEYS: frozenset[str] = frozenset({"run.progress", "data.workers", "run.device"})


def _type_name(tp: Any) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        tp, "a list")


def _coerce(source: str, key: str, value: Any, tp: Any) -> Any:
    """``value`` as type ``tp`` or a one-line error naming ``key``."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        if not isinstance(value, list | tuple):
            value = [value] if inner is not str or isinstance(value, str) else value
        return tuple(_coerce(source, key, v, inner) for v in value)
    ok = (isinstance(value, bool) if tp is bool
          else isinstance(value, int) and not isinstance(value, bool) if tp is int
          else isinstance(value, int | float) and not isinstance(value, bool) if tp is float
          else isinstance(value, str))
    if not ok:
        raise LabInputError(f"{source}: {key} must be {_type_name(tp)}, got {value!r}")
    return float(value) if tp is float else value


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=globals(), localns={"types": types})


def build_config(data: dict[str, Any], source: str = "config") -> TrainConfig:
    """A checked :class:`TrainConfig` from nested dicts (TOML tables)."""
    sections = {}
    for name, value in data.items():
        if name not in SECTIONS:
            close = difflib.get_close_matches(name, list(SECTIONS), n=1)
            hint = f"did you mean [{close[0]}]?" if close else f"use {', '.join(SECTIONS)}"
            raise LabInputError(f"{source}: unknown section [{name}]; {hint}")
        if not isinstance(value, dict):
            raise LabInputError(f"{source}: {name} must be a table ([{name}])")
        cls = SECTIONS[name]
        hints = _hints(cls)
        kwargs = {}
        for key, v in value.items():
            if key not in hints:
                close = difflib.get_close_matches(key, list(hints), n=1)
                hint = f"did you mean {name}.{close[0]}?" if close else \
                    f"known: {', '.join(hints)}"
                raise LabInputError(f"{source}: unknown key {name}.{key}; {hint}")
            kwargs[key] = _coerce(source, f"{name}.{key}", v, hints[key])
        sections[name] = cls(**kwargs)
    return check_config(TrainConfig(**sections), source)


def _choice(source: str, key: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise LabInputError(f"{source}: {key} = {value!r} is not one of "
                            f"{', '.join(map(str, choices))}")


def _bad(source: str, key: str, value: Any, must: str) -> LabInputError:
    return LabInputError(f"{source}: {key} = {value!r} {must}")


def _check_numbers(cfg: TrainConfig, source: str) -> None:
    """Every numeric key: finite, positive where it must be, in range, ranges ordered;
    one line naming the first bad key."""
    import math

    numbers: dict[str, Any] = {f"{name}.{k}": v for name in SECTIONS
                               for k, v in dataclasses.asdict(getattr(cfg, name)).items()}
    for key, value in numbers.items():
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if isinstance(v, float) and not math.isfinite(v):
                raise _bad(source, key, value, "is not a finite number; give a number")
    rules: list[tuple[str, bool, str]] = [
        ("data.image_size", 1 <= cfg.data.image_size <= MAX_IMAGE_SIZE,
         f"must be between 1 and {MAX_IMAGE_SIZE} pixels"),
        ("data.workers", cfg.data.workers >= -1, "must be -1 (automatic) or 0 or more"),
        ("run.epochs", cfg.run.epochs >= 1, "must be positive"),
        ("run.batch_size", cfg.run.batch_size >= 1, "must be positive"),
        ("run.max_steps", cfg.run.max_steps >= 0, "must not be negative (0: all epochs)"),
        ("run.checkpoint_every_steps", cfg.run.checkpoint_every_steps >= 0,
         "must not be negative (0: every epoch only)"),
        ("run.seed", cfg.run.seed >= 0, "must not be negative"),
        ("optim.lr", cfg.optim.lr >= 0, "must not be negative (0: 0.1 x batch / 256)"),
        ("optim.momentum", 0 <= cfg.optim.momentum < 1, "must be in [0, 1)"),
        ("optim.weight_decay", cfg.optim.weight_decay >= 0, "must not be negative"),
        ("optim.decay_factor", 0 < cfg.optim.decay_factor <= 1, "must be in (0, 1]"),
        ("optim.decay_epochs", all(e >= 1 for e in cfg.optim.decay_epochs),
         "must be positive epochs"),
        ("optim.decay_epochs", list(cfg.optim.decay_epochs) == sorted(
            set(cfg.optim.decay_epochs)), "must be increasing"),
        ("optim.label_smoothing", 0 <= cfg.optim.label_smoothing < 1, "must be in [0, 1)"),
        ("distortions.clean_fraction", 0 <= cfg.distortions.clean_fraction <= 1,
         "must be in [0, 1]"),
        ("distortions.sigmas", all(s >= 0 for s in cfg.distortions.sigmas),
         "must not be negative"),
        ("distortions.level_range", len(cfg.distortions.level_range) in (0, 2) and (
            not cfg.distortions.level_range
            or cfg.distortions.level_range[0] < cfg.distortions.level_range[1]),
         "must be [low, high] with low < high"),
    ]
    for key, ok, must in rules:
        if not ok:
            raise _bad(source, key, numbers[key], must)


def check_config(cfg: TrainConfig, source: str = "config") -> TrainConfig:
    """Return ``cfg`` or raise a one-line error naming the bad key and the fix."""
    _choice(source, "model.head", cfg.model.head, HEADS)
    _choice(source, "model.batch_norm", cfg.model.batch_norm, BATCH_NORM)
    _choice(source, "data.crop", cfg.data.crop, CROPS)
    _choice(source, "distortions.regime", cfg.distortions.regime, REGIMES)
    _choice(source, "distortions.levels", cfg.distortions.levels, ("experiment", "range"))
    _choice(source, "optim.optimizer", cfg.optim.optimizer, OPTIMIZERS)
    _choice(source, "optim.loss_weights", cfg.optim.loss_weights, LOSS_WEIGHTS)
    _choice(source, "optim.sampler", cfg.optim.sampler, SAMPLERS)
    _choice(source, "run.precision", cfg.run.precision, PRECISIONS)
    _choice(source, "run.device", cfg.run.device, DEVICES)
    _check_numbers(cfg, source)
    d = cfg.distortions
    if d.regime in ("one", "all-but-one") and not d.manipulation:
        raise LabInputError(f"{source}: regime {d.regime!r} needs distortions.manipulation")
    if d.levels == "range" and len(d.level_range) != 2:
        raise LabInputError(f"{source}: distortions.levels = 'range' needs "
                            "distortions.level_range = [low, high]")
    if d.regime in ("gaussian", "speckle") and (not d.sigmas or min(d.sigmas) < 0):
        raise LabInputError(f"{source}: distortions.sigmas needs one or more values >= 0")
    if not cfg.data.train:
        raise LabInputError(f"{source}: data.train is empty; give the training folder")
    if not cfg.run.out:
        raise LabInputError(f"{source}: run.out is empty; give the run's output folder")
    return cfg


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read ``path`` (TOML) and apply ``overrides`` (``{"section.key": value}``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise LabInputError(f"{path}: cannot read the config ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise LabInputError(f"{path}: not valid TOML ({err}); fix the syntax") from None
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        if not key:
            raise LabInputError(f"--set {dotted}: use section.key=value, e.g. run.epochs=10")
        data.setdefault(section, {})[key] = value
    return build_config(data, str(path))


def parse_override(text: str) -> tuple[str, Any]:
    """``"optim.lr=0.05"`` -> ``("optim.lr", 0.05)`` (the value read as TOML; a bare word
    is a string)."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise LabInputError(f"--set {text}: use section.key=value, e.g. run.epochs=10")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def to_toml(cfg: TrainConfig) -> str:
    """The settled config as TOML (every key, defaults included)."""
    lines = []
    for name, values in cfg.as_dict().items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
        lines.append("")
    return "\n".join(lines)


def differences(old: TrainConfig, new: TrainConfig) -> list[str]:
    """``section.key: old -> new`` for every key that differs (resumable keys excepted)."""
    a, b = old.as_dict(), new.as_dict()
    out = []
    for name in SECTIONS:
        for key in a[name]:
            dotted = f"{name}.{key}"
            if dotted not in RESUMABLE_KEYS and a[name][key] != b[name][key]:
                out.append(f"{dotted}: {a[name][key]!r} -> {b[name][key]!r}")
    return out
