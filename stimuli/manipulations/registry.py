"""The manipulation registry: a decorator, a dict, ``get_manipulation`` / ``list_manipulations``.

Image convention (every manipulation): float RGB in [0, 1], shape ``(H, W, 3)`` or a batch
``(N, H, W, 3)``, float32 or float64. The output has the input's shape (rotation by 90/270
swaps H and W) and dtype, and is clipped to [0, 1]. Randomness comes only from the
``rng`` argument (a :class:`numpy.random.Generator`); a manipulation never reads files
(bundled data is loaded once, lazily, by :mod:`stimuli.data_files`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from stimuli.errors import LabInputError

#: ``f(batch (N, H, W, 3) float, condition, rng) -> batch``; always called with a batch.
#: It may return a grey batch ``(N, H, W)``: the registry clips it and writes it as 3
#: identical channels (clipping before expanding is 3x less work).
ManipulationFunc = Callable[[np.ndarray, str, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Manipulation:
    """One registered manipulation with its condition codes (as in the human data)."""

    name: str
    conditions: tuple[str, ...]
    func: ManipulationFunc
    description: str = ""
    grey_output: bool = True  #: outputs 3 identical channels

    def check_condition(self, condition: str) -> str:
        """Return ``condition`` if valid, else raise :class:`LabInputError` listing the codes."""
        if condition not in self.conditions:
            raise LabInputError(
                f"manipulation {self.name!r} has no condition {condition!r}: "
                f"use one of {', '.join(self.conditions)}"
            )
        return condition

    def __call__(
        self, image: np.ndarray, condition: str, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Apply to one image ``(H, W, 3)`` or a batch ``(N, H, W, 3)``.

        A batch draws its random numbers from ``rng`` in one go, so image ``i`` of a batch
        differs from the same image manipulated alone with the same seed; the stimulus-set
        builder manipulates one image per seed (recorded in the manifest).

        >>> import numpy as np
        >>> from stimuli.manipulations import get_manipulation
        >>> img = np.full((4, 4, 3), 0.2)
        >>> get_manipulation("contrast")(img, "c50", np.random.default_rng(0))[0, 0, 0]
        np.float64(0.35)
        """
        self.check_condition(condition)
        batch = _as_batch(image)
        if rng is None:
            rng = np.random.default_rng()
        out = np.asarray(self.func(batch, condition, rng), dtype=batch.dtype)
        if not out.flags.writeable or out is batch:
            out = out.copy()
        np.clip(out, 0.0, 1.0, out=out)
        if out.ndim == 3:  # a grey batch: 3 identical channels
            out = np.repeat(out[..., None], 3, axis=-1)
        return out[0] if np.ndim(image) == 3 else out


def _as_batch(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3:
        raise ValueError(
            f"expected an RGB image (H, W, 3) or a batch (N, H, W, 3), got shape {arr.shape}"
        )
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"expected float32 or float64 values in [0, 1], got {arr.dtype}")
    return arr[None] if arr.ndim == 3 else arr


_REGISTRY: dict[str, Manipulation] = {}


def register(
    name: str, conditions: tuple[str, ...], *, grey_output: bool = True
) -> Callable[[ManipulationFunc], ManipulationFunc]:
    """Decorator: register ``func`` under ``name`` with its condition codes."""

    def decorate(func: ManipulationFunc) -> ManipulationFunc:
        if name in _REGISTRY:
            raise ValueError(f"manipulation {name!r} registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = Manipulation(
            name=name, conditions=tuple(conditions), func=func,
            description=doc[0] if doc else "", grey_output=grey_output,
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
    name: str, image: np.ndarray, condition: str, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Shorthand for ``get_manipulation(name)(image, condition, rng)``."""
    return get_manipulation(name)(image, condition, rng)
