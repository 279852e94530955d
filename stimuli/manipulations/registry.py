"""The manipulation registry: a decorator, a dict, ``get_manipulation`` / ``list_manipulations``.

A manipulation is a function ``f(batch, rng, *, <numeric parameters>)``: its parameters are
keyword-only numbers (or booleans) with type hints, e.g. ``contrast(batch, rng, *,
contrast: float)``. Condition codes (``c50``) are not known here: an experiment's design
file (``stimuli/experiments/*.toml``) maps each code to these parameters, once.

Image convention (every manipulation): float RGB in [0, 1], shape ``(H, W, 3)`` or a batch
``(N, H, W, 3)``, float32 or float64. The output has the input's shape (rotation by 90/270
swaps H and W) and dtype, and is clipped to [0, 1]. Randomness comes only from the
``rng`` argument (a :class:`numpy.random.Generator`); a manipulation never reads files
(bundled data is loaded once, lazily, by :mod:`stimuli.data_files`).
"""

from __future__ import annotations

import difflib
import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lab.design import ExperimentDesign
from lab.errors import LabInputError

#: ``f(batch (N, H, W, 3) float, rng, **parameters) -> batch``; always called with a batch.
#: It may return a grey batch ``(N, H, W)``: the registry clips it and writes it as 3
#: identical channels (clipping before expanding is 3x less work).
ManipulationFunc = Callable[..., np.ndarray]

#: Parameter types a manipulation may declare (as the type hint of a keyword-only argument).
_KINDS: dict[str, type] = {"float": float, "int": int, "bool": bool}
_REQUIRED = inspect.Parameter.empty

ParameterValue = float | int | bool


@dataclass(frozen=True)
class Parameter:
    """One keyword-only parameter of a manipulation."""

    name: str
    kind: type  #: float, int or bool
    default: Any = _REQUIRED

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def coerce(self, value: object, where: str) -> ParameterValue:
        """``value`` as this parameter's type; one-line LabInputError if it is not one."""
        if self.kind is bool:
            ok = isinstance(value, bool | np.bool_)
        elif self.kind is int:
            ok = isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)
        else:
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        if not ok:
            raise LabInputError(
                f"{where}: parameter {self.name!r} must be {self.kind.__name__}, got "
                f"{value!r} ({type(value).__name__}); fix the value"
            )
        value = self.kind(value)
        if self.kind is float and math.isnan(value):
            raise LabInputError(f"{where}: parameter {self.name!r} is NaN; give a number")
        return value

    def describe(self) -> str:
        return self.name if self.required else f"{self.name}={self.default!r}"


@dataclass(frozen=True)
class Manipulation:
    """One registered manipulation and its keyword-only numeric parameters."""

    name: str
    func: ManipulationFunc
    parameters: tuple[Parameter, ...] = ()
    description: str = ""
    grey_output: bool = True  #: outputs 3 identical channels
    #: the function returns the final batch, RGB and in [0, 1] (see :func:`grey_to_rgb`),
    #: e.g. as a view of it; the registry neither clips nor expands it
    clips_itself: bool = False

    def check_parameters(self, values: Mapping[str, object], where: str = "") -> dict[str, Any]:
        """``values`` checked against the signature: no unknown or missing name, every
        value of the declared type. Returns them with defaults filled in."""
        where = where or f"manipulation {self.name!r}"
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            expected = ", ".join(p.describe() for p in self.parameters) or "none"
            raise LabInputError(
                f"{where}: {self.name!r} has no parameter {unknown[0]!r} (its parameters: "
                f"{expected}); remove or rename it"
            )
        missing = [p.name for p in self.parameters if p.required and p.name not in values]
        if missing:
            raise LabInputError(
                f"{where}: {self.name!r} needs the parameter(s) {', '.join(missing)}; add them"
            )
        out = {}
        for p in self.parameters:
            out[p.name] = p.coerce(values[p.name], where) if p.name in values else p.default
        return out

    def __call__(
        self, image: np.ndarray, rng: np.random.Generator | None = None, **parameters: Any
    ) -> np.ndarray:
        """Apply to one image ``(H, W, 3)`` or a batch ``(N, H, W, 3)``.

        A batch draws its random numbers from ``rng`` in one go, so image ``i`` of a batch
        differs from the same image manipulated alone with the same seed; the stimulus-set
        builder manipulates one image per seed (recorded in the manifest).

        >>> import numpy as np
        >>> from stimuli.manipulations import get_manipulation
        >>> img = np.full((4, 4, 3), 0.2)
        >>> get_manipulation("contrast")(img, contrast=0.5)[0, 0, 0]
        np.float64(0.35)
        """
        out = self.render(image, rng, **parameters)
        if out.ndim == np.ndim(image) - 1:  # grey: 3 identical channels
            out = out[..., None]
            out = np.concatenate((out, out, out), axis=-1)  # faster than repeat or stack
        return out

    def render(
        self, image: np.ndarray, rng: np.random.Generator | None = None, **parameters: Any
    ) -> np.ndarray:
        """As :meth:`__call__`, but a grey result is returned as one channel, ``(H, W)``
        or ``(N, H, W)`` (clipped): the stimulus-set builder writes it as a greyscale PNG
        without making and rounding three equal channels."""
        values = self.check_parameters(parameters)
        batch = _as_batch(image)
        if rng is None:
            rng = np.random.default_rng()
        out = np.asarray(self.func(batch, rng, **values), dtype=batch.dtype)
        owned = out.flags.writeable and not np.may_share_memory(out, batch)
        if self.clips_itself:
            pass
        elif owned:
            np.clip(out, 0.0, 1.0, out=out)  # in memory order, also through a view
        else:
            out = np.clip(out, 0.0, 1.0)  # a new array: the caller's image is never changed
        return out[0] if np.ndim(image) == 3 else out


def grey_to_rgb(grey: np.ndarray, *, owned: bool = True) -> np.ndarray:
    """A grey batch ``(N, H, W)`` clipped to [0, 1] as 3 identical channels
    ``(N, H, W, 3)``. ``owned``: ``grey`` may be clipped in place (it is a fresh array of
    the caller's, or a view of one)."""
    if owned and grey.flags.writeable:
        np.clip(grey, 0.0, 1.0, out=grey)  # in memory order, also through a view
    else:
        grey = np.clip(grey, 0.0, 1.0)
    grey = grey[..., None]
    return np.concatenate((grey, grey, grey), axis=-1)  # faster than repeat or stack


def _as_batch(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3:
        raise ValueError(
            f"expected an RGB image (H, W, 3) or a batch (N, H, W, 3), got shape {arr.shape}"
        )
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"expected float32 or float64 values in [0, 1], got {arr.dtype}")
    return arr[None] if arr.ndim == 3 else arr


def signature_parameters(func: ManipulationFunc) -> tuple[Parameter, ...]:
    """The keyword-only parameters of ``func`` with their type hints (float, int, bool)."""
    params = list(inspect.signature(func).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) > 2:
        raise TypeError(f"{func.__name__}: parameters after (batch, rng) must be keyword-only "
                        "(write '*,' before them)")
    if len(positional) < 2:
        raise TypeError(f"{func.__name__}: a manipulation takes (batch, rng, *, parameters)")
    out = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        if p.kind is not p.KEYWORD_ONLY:
            raise TypeError(f"{func.__name__}: parameter {p.name!r} must be keyword-only")
        hint = p.annotation if isinstance(p.annotation, str) else getattr(
            p.annotation, "__name__", "")
        if hint not in _KINDS:
            raise TypeError(f"{func.__name__}: parameter {p.name!r} needs a float, int or "
                            "bool type hint")
        out.append(Parameter(p.name, _KINDS[hint], p.default))
    return tuple(out)


_REGISTRY: dict[str, Manipulation] = {}


def register(name: str, *, grey_output: bool = True, clips_itself: bool = False
             ) -> Callable[[ManipulationFunc], ManipulationFunc]:
    """Decorator: register ``func(batch, rng, *, parameters)`` under ``name``."""

    def decorate(func: ManipulationFunc) -> ManipulationFunc:
        if name in _REGISTRY:
            raise ValueError(f"manipulation {name!r} registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = Manipulation(
            name=name, func=func, parameters=signature_parameters(func),
            description=doc[0] if doc else "", grey_output=grey_output,
            clips_itself=clips_itself,
        )
        return func

    return decorate


def _ensure_loaded() -> None:
    # The manipulation modules register themselves when imported; importing the package
    # imports them all (cheap: no data is loaded until a manipulation runs).
    import stimuli.manipulations  # noqa: F401


def get_manipulation(name: str) -> Manipulation:
    """The manipulation called ``name``; the error lists close matches."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        names = sorted(_REGISTRY)
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise LabInputError(f"unknown manipulation {name!r}: {hint}") from None


def list_manipulations() -> list[str]:
    """Names of all registered manipulations, sorted."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def apply_manipulation(
    name: str, image: np.ndarray, rng: np.random.Generator | None = None, **parameters: Any
) -> np.ndarray:
    """Shorthand for ``get_manipulation(name)(image, rng, **parameters)``."""
    return get_manipulation(name)(image, rng, **parameters)


def check_design(design: ExperimentDesign) -> ExperimentDesign:
    """``design`` itself if its manipulation exists and every condition's parameters fit
    its signature; else one line naming the design file and the condition."""
    where = design.source_file or f"experiment {design.name!r}"
    try:
        manipulation = get_manipulation(design.manipulation)
    except LabInputError as err:
        raise LabInputError(f"{where}: {err}") from None
    for spec in design.condition_specs:
        manipulation.check_parameters(dict(spec.parameters),
                                      where=f"{where}: condition {spec.code!r}")
    return design


def apply_condition(design: ExperimentDesign, image: np.ndarray, condition: str,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """``image`` (or a batch) manipulated as in ``condition`` of ``design``."""
    return get_manipulation(design.manipulation)(image, rng, **design.parameters_of(condition))
