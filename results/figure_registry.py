"""The figure registry: every figure is one registered function, used both by
``python -m results plot --kind NAME`` and by the HTML report.

A figure function takes a :class:`FigureInput` (the trial table, the optional
``--experiment``/``--condition`` of the command line, and derived tables computed once and
shared) and a folder, writes PNG + PDF files there and returns one :class:`Panel` per image
drawn. Registering it is all it takes::

    @register_figure("thresholds", section="thresholds", title="Thresholds", order=45)
    def thresholds(data: FigureInput, out_dir: Path) -> list[Panel]:
        '''One line that the report shows under the section title.'''
        ...

``plot --kind thresholds`` then draws it and the report shows it in its section (a section
that no built-in part of the report has gets its own heading and navigation entry).
"""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lab.errors import LabInputError

#: Modules whose import registers figures (the built-in ones, then any added later).
FIGURE_MODULES: list[str] = ["results.figures", "results.figures_psychometric"]


@dataclass(frozen=True)
class Panel:
    """One drawn image: its files (PNG first, then PDF) and what the report says of it."""

    paths: list[Path]
    caption: str = ""  #: e.g. the experiment and condition; shown in the report
    #: fewest trials behind one plotted point (None: the figure has no trial counts)
    min_n: int | None = None

    @property
    def png(self) -> Path:
        return next(p for p in self.paths if p.suffix == ".png")


@dataclass
class FigureInput:
    """What a figure function is given: the trial table (from
    :func:`lab.readers.read_trials`), the command line's choice of experiment and
    condition (``None``: the figure picks), and derived tables computed once on first use."""

    table: pd.DataFrame
    experiment: str | None = None
    condition: str | None = None
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    def cached(self, key: str, compute: Callable[[], object]) -> object:
        """``compute()`` once per input (shared by every figure and report section)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def pairs(self) -> pd.DataFrame:
        """Pairwise error consistency (:func:`results.consistency.pairwise_consistency`)."""
        from results.consistency import pairwise_consistency
        return self.cached("pairs", lambda: pairwise_consistency(self.table))

    @property
    def shape_bias(self) -> pd.DataFrame:
        """Shape bias per observer and class (:func:`results.shape_bias.shape_bias`)."""
        from results.shape_bias import shape_bias
        return self.cached("shape_bias", lambda: shape_bias(self.table))

    @property
    def simulated(self) -> dict[str, str]:
        """``observer -> label`` of simulated observers (:mod:`results.observers`)."""
        from results.observers import simulated_observers
        return self.cached("simulated", lambda: simulated_observers(self.table))

    @property
    def names(self) -> dict[str, str]:
        """Legend text per observer group, simulated ones labelled."""
        from results.observers import group_names
        return self.cached("names", lambda: group_names(self.table))


FigureFunc = Callable[[FigureInput, Path], list[Panel]]


@dataclass(frozen=True)
class FigureKind:
    """A registered figure."""

    name: str  #: the ``--kind`` of ``results plot``
    draw: FigureFunc
    section: str  #: anchor of the report section it belongs to
    title: str  #: heading of that section when the figure brings its own
    description: str  #: first line of the function's docstring
    order: int  #: position in ``--kind all`` and in the report
    collapsed: bool  #: the report shows each panel folded (``<details>``)


_REGISTRY: dict[str, FigureKind] = {}


def register_figure(name: str, *, section: str, title: str, order: int = 60,
                    collapsed: bool = False) -> Callable[[FigureFunc], FigureFunc]:
    """Decorator: register ``func`` as figure ``name``. Registering a name twice is an
    error."""

    def decorate(func: FigureFunc) -> FigureFunc:
        if name in _REGISTRY:
            raise ValueError(f"figure {name!r} registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = FigureKind(name=name, draw=func, section=section, title=title,
                                     description=doc[0] if doc else "", order=order,
                                     collapsed=collapsed)
        return func

    return decorate


@functools.cache
def _load(module: str) -> None:
    importlib.import_module(module)


def _ensure_loaded() -> None:
    for module in FIGURE_MODULES:
        _load(module)


def figure_kinds() -> list[FigureKind]:
    """Every registered figure, in report order."""
    _ensure_loaded()
    return sorted(_REGISTRY.values(), key=lambda k: (k.order, k.name))


def list_figures() -> list[str]:
    """Names of every registered figure, in report order."""
    return [k.name for k in figure_kinds()]


def get_figure(name: str) -> FigureKind:
    """The figure registered as ``name``; :class:`LabInputError` with close matches if
    there is none."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        names = list_figures()
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise LabInputError(f"unknown figure kind {name!r}: {hint}") from None


def draw_figures(names: list[str], data: FigureInput, out_dir: str | Path
                 ) -> list[tuple[FigureKind, list[Panel]]]:
    """Draw the figures ``names`` (``["all"]``: every one) into ``out_dir``."""
    kinds = figure_kinds() if names == ["all"] else [get_figure(n) for n in names]
    out = Path(out_dir)
    return [(kind, kind.draw(data, out)) for kind in kinds]
