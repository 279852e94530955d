"""The output registry: every table, figure and report section of ``results`` is
registered once, and ``python -m results <table>``, ``results plot --kind NAME``, the HTML
report and ``--help`` all read it.

Each output lives in one module of its own package, found by walking the package:

* a table command in ``results/commands/<name>.py``, registered with
  :func:`register_table` (help text, CLI example, options, the function);
* a figure in ``results/figures/<name>.py``, registered with :func:`register_figure`
  (the report section it joins, its order, an optional CLI example);
* a report section in ``results/sections/<name>.py``, registered with
  :func:`register_section` (anchor, title, order); its helpers are public in
  :mod:`results.report_parts`.

Adding one is adding that module (and its test); nothing else is edited. A figure::

    @register_figure("thresholds", section="thresholds", title="Thresholds", order=45)
    def thresholds(data: FigureInput, out_dir: Path) -> list[Panel]:
        '''One line that the report shows under the section title.'''
        ...

``plot --kind thresholds`` then draws it and the report shows it in its section (a section
that no registered section has gets its own heading and navigation entry).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import importlib
import inspect
import pkgutil
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd

from lab.errors import LabInputError


# -- what figures are given and give back ------------------------------------------------
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


def _fill(future: Future, compute: Callable[[], object]) -> None:
    """Run in a background thread: ``future`` gets ``compute()``'s value or its error."""
    try:
        future.set_result(compute())
    except BaseException as error:  # noqa: BLE001 - handed to whoever reads the value
        future.set_exception(error)


#: analyses that take long and run beside the rest of the report
#: (:meth:`FigureInput.start_background`): the psignifit fits (processes of their own)
BACKGROUND = ("psychometric_fits",)


@dataclass
class FigureInput:
    """What a figure function is given: the trial table (from
    :func:`lab.readers.read_trials`), the command line's choice of experiment and
    condition (``None``: the figure picks), and derived tables computed once on first use."""

    table: pd.DataFrame
    experiment: str | None = None
    condition: str | None = None
    #: figure-specific choices from the command line (e.g. figure 4's contrast humans)
    options: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    def nothing_drawn(self, figure: str) -> str | None:
        """Why figure ``figure`` drew nothing for this input (its :class:`NothingToDraw`)."""
        why = self._cache.get(f"nothing-to-draw:{figure}")
        return str(why) if why is not None else None

    def cached(self, key: str, compute: Callable[[], object]) -> object:
        """``compute()`` once per input (shared by every figure and report section); an
        analysis started with :meth:`start_background` is waited for."""
        if key not in self._cache:
            self._cache[key] = compute()
        value = self._cache[key]
        if isinstance(value, Future):
            value = self._cache[key] = value.result()
        return value

    def start_background(self) -> None:
        """Start computing the :data:`BACKGROUND` analyses in threads (their work runs in
        processes of their own, e.g. the psignifit fits), so that the report computes and
        draws everything else meanwhile; reading one waits for it."""
        for key in BACKGROUND:
            if key not in self._cache:
                future: Future = Future()
                self._cache[key] = future
                threading.Thread(target=_fill, args=(future, self._computations[key]),
                                 name=f"background {key}", daemon=True).start()

    def wait_background(self) -> None:
        """Wait for every background analysis (before forking: a fork would not see the
        end of a thread's work)."""
        for key in BACKGROUND:
            if isinstance(self._cache.get(key), Future):
                self.cached(key, lambda: None)

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
    def benchmark(self) -> pd.DataFrame:
        """Benchmark metrics per group (:func:`results.benchmark.benchmark_table`)."""
        from results.benchmark import benchmark_table
        return self.cached("benchmark", lambda: benchmark_table(self.table))

    @property
    def psychometric_fits(self) -> dict:
        """The psignifit fits of every parametric experiment
        (:func:`results.psychometric.fit_all`)."""
        return self.cached("psychometric_fits", self._computations["psychometric_fits"])

    @property
    def _computations(self) -> dict[str, Callable[[], object]]:
        """How each :data:`BACKGROUND` analysis is computed (here or in its thread)."""
        from results.psychometric import fit_all
        return {"psychometric_fits": lambda: fit_all(self.table)}

    @property
    def consistency_intervals(self) -> tuple[pd.DataFrame, ...]:
        """Bootstrap intervals of error consistency, per condition, pair and group
        (:func:`results.uncertainty.consistency_intervals`)."""
        from results.uncertainty import consistency_intervals
        return self.cached("consistency_intervals",
                           lambda: consistency_intervals(self.table))

    @property
    def noise_ceilings(self) -> pd.DataFrame:
        """The human noise ceilings (:func:`results.uncertainty.noise_ceilings`)."""
        from results.uncertainty import noise_ceilings
        return self.cached("noise_ceilings", lambda: noise_ceilings(
            self.table, self.consistency_intervals[2]))

    @property
    def channel_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Critical-band channels and per-band thresholds from the psignifit fits
        (:func:`results.channels.channel_tables`)."""
        from results.channels import channel_tables
        return self.cached("channel_tables", lambda: channel_tables(
            self.table, fits=self.psychometric_fits))

    @property
    def biases(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per-network biases and their rank correlations across networks
        (:func:`results.biases.bias_table`, :func:`results.biases.bias_correlations`);
        the critical-band channels are :attr:`channel_tables`' (fitted once)."""
        def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
            from results.biases import bias_correlations, bias_table
            from results.channels import banded_experiments
            channels = (self.channel_tables[0]
                        if banded_experiments(self.table["experiment"]) else None)
            frame = bias_table(self.table, channels=channels)
            return frame, bias_correlations(frame)
        return self.cached("biases", compute)

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
#: ``(table, parsed command line) -> table to print``
TableFunc = Callable[[pd.DataFrame, argparse.Namespace], pd.DataFrame]
#: adds a table command's own options to its sub-parser
ArgumentsFunc = Callable[[argparse.ArgumentParser], None]
#: ``reads(paths, args, read_trials) -> table or None``: a command that also reads inputs
#: other than trial files (e.g. a published per-model table); ``None``: read trial files
#: as usual (``read_trials(paths) -> trial table`` reads them with the command's rule)
ReadsFunc = Callable[[list[Path], argparse.Namespace, Callable[[list[Path]], pd.DataFrame]],
                     "pd.DataFrame | None"]
#: ``(results.report_parts.ReportContext) -> results.report_parts.Section | None``
SectionFunc = Callable[[Any], Any]


# -- the registered kinds -----------------------------------------------------------------
@dataclass(frozen=True)
class TableKind:
    """A registered table: the command ``python -m results <name>``."""

    name: str
    compute: TableFunc
    help: str  #: the command's help line (``%`` written ``%%``, as argparse wants)
    example: str  #: one or more example lines, shown in ``--help``
    order: int  #: position in ``--help``
    arguments: ArgumentsFunc | None = None
    csv: bool = True  #: the command has ``--csv``
    #: the decision rule its network trials are read with when ``--rule`` is not given
    #: (the rule of the paper whose measure it computes); None: the project's default
    rule: str | None = None
    reads: ReadsFunc | None = None
    #: printed under the table in the terminal (not with ``--csv``): what a column means
    #: where its name cannot say it all (e.g. which observers an interval speaks for)
    legend: str = ""


@dataclass(frozen=True)
class FigureKind:
    """A registered figure."""

    name: str  #: the ``--kind`` of ``results plot``
    draw: FigureFunc
    section: str  #: anchor of the report section it belongs to
    title: str  #: heading of that section when the figure brings its own
    description: str  #: first paragraph of the function's docstring, one line
    order: int  #: position in ``--kind all`` and in the report
    collapsed: bool  #: the report shows each panel folded (``<details>``)
    example: str = ""  #: a ``results plot`` example shown in ``plot --help`` (optional)
    #: the background analyses (:data:`BACKGROUND`) it draws from: the report draws it
    #: once they are done, and the other figures while they run
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionKind:
    """A registered report section."""

    anchor: str  #: the section's HTML id; figures join it by this name
    build: SectionFunc
    title: str
    order: int  #: position in the report (figures with their own section sort in too)
    #: the background analyses (:data:`BACKGROUND`) it shows: built after the others
    needs: tuple[str, ...] = ()


K = TypeVar("K", TableKind, FigureKind, SectionKind)


class Registry(Generic[K]):
    """Registered outputs of one kind, loaded from the modules of ``package`` on first
    use; registering a name twice is an error."""

    def __init__(self, what: str, package: str) -> None:
        self.what = what
        self.package = package
        self._entries: dict[str, K] = {}

    def add(self, name: str, entry: K) -> None:
        if self.package not in _LOADING:  # the built-ins first: a clash is always an error,
            _load_package(self.package)   # whichever module was imported first
        if name in self._entries:
            raise ValueError(f"{self.what} {name!r} registered twice")
        self._entries[name] = entry

    def remove(self, name: str) -> None:
        """Take ``name`` out again (a test's own output)."""
        del self._entries[name]

    def all(self) -> list[K]:
        """Every registered entry, by order, then name."""
        _load_package(self.package)
        return sorted(self._entries.values(), key=lambda k: (k.order, _name(k)))

    def names(self) -> list[str]:
        return [_name(k) for k in self.all()]

    def get(self, name: str) -> K:
        """The entry ``name``; :class:`LabInputError` with close matches if there is none."""
        _load_package(self.package)
        try:
            return self._entries[name]
        except KeyError:
            names = self.names()
            close = difflib.get_close_matches(name, names, n=3)
            hint = (f"did you mean {', '.join(close)}?" if close
                    else f"known: {', '.join(names)}")
            raise LabInputError(f"unknown {self.what} {name!r}: {hint}") from None


def _name(kind: TableKind | FigureKind | SectionKind) -> str:
    return kind.anchor if isinstance(kind, SectionKind) else kind.name


#: packages whose modules are being imported by :func:`_load_package`
_LOADING: set[str] = set()


@functools.cache
def _load_package(package: str) -> None:
    """Import every public module of ``package`` (each registers its outputs)."""
    _LOADING.add(package)
    try:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package}.{info.name}")
    finally:
        _LOADING.discard(package)


TABLES: Registry[TableKind] = Registry("table", "results.commands")
FIGURES: Registry[FigureKind] = Registry("figure kind", "results.figures")
SECTIONS: Registry[SectionKind] = Registry("report section", "results.sections")


def _summary(func: Callable) -> str:
    """The first paragraph of ``func``'s docstring, as one line (a figure's description:
    the report shows it as the intro of a section the figure has to itself)."""
    lines = inspect.cleandoc(func.__doc__ or "").splitlines()
    end = lines.index("") if "" in lines else len(lines)
    return " ".join(line.strip() for line in lines[:end])


# -- the decorators ------------------------------------------------------------------------
def register_table(name: str, *, help: str, example: str, order: int = 50,
                   arguments: ArgumentsFunc | None = None, csv: bool = True,
                   rule: str | None = None, reads: ReadsFunc | None = None,
                   legend: str = "") -> Callable[[TableFunc], TableFunc]:
    """Decorator: register ``func(table, args)`` as the command ``python -m results name``,
    printed as text or (``--csv``) CSV. ``rule``: the decision rule its network trials
    are read with unless ``--rule`` says otherwise; ``reads``: see :data:`ReadsFunc`;
    ``legend``: a line printed under the text table (see :class:`TableKind`)."""

    def decorate(func: TableFunc) -> TableFunc:
        TABLES.add(name, TableKind(name=name, compute=func, help=help, example=example,
                                   order=order, arguments=arguments, csv=csv, rule=rule,
                                   reads=reads, legend=legend))
        return func

    return decorate


class NothingToDraw(Exception):  # noqa: N818 (a signal, not an error of the program)
    """Raised by a figure function whose input holds nothing it shows; the message says why
    in one line. ``results plot --kind NAME`` prints it and exits non-zero; the report and
    ``--kind all`` leave the figure out."""


def register_figure(name: str, *, section: str, title: str, order: int = 60,
                    collapsed: bool = False, example: str = "", needs: tuple[str, ...] = ()
                    ) -> Callable[[FigureFunc], FigureFunc]:
    """Decorator: register ``func`` as figure ``name`` (``plot --kind name``, and in the
    report section ``section``); ``needs``: the background analyses it draws from."""
    _check_needs(name, needs)

    def decorate(func: FigureFunc) -> FigureFunc:
        @functools.wraps(func)
        def draw(data: FigureInput, out_dir: Path) -> list[Panel]:
            try:
                return func(data, out_dir)
            except NothingToDraw as why:
                data._cache[f"nothing-to-draw:{name}"] = str(why)
                return []

        FIGURES.add(name, FigureKind(name=name, draw=draw, section=section, title=title,
                                     description=_summary(func), order=order,
                                     collapsed=collapsed, example=example,
                                     needs=needs))
        return func

    return decorate


def register_section(anchor: str, *, title: str, order: int, needs: tuple[str, ...] = ()
                     ) -> Callable[[SectionFunc], SectionFunc]:
    """Decorator: register ``func(ctx) -> Section | None`` as a report section (``None``:
    nothing to show for this input); ``needs``: the background analyses it shows."""
    _check_needs(anchor, needs)

    def decorate(func: SectionFunc) -> SectionFunc:
        SECTIONS.add(anchor, SectionKind(anchor=anchor, build=func, title=title,
                                         order=order, needs=needs))
        return func

    return decorate


def _check_needs(name: str, needs: tuple[str, ...]) -> None:
    unknown = set(needs) - set(BACKGROUND)
    if unknown:
        raise ValueError(f"{name}: needs {sorted(unknown)}, not background analyses "
                         f"({', '.join(BACKGROUND)})")


# -- figures: the functions ``results plot`` and the report use ----------------------------
def figure_kinds() -> list[FigureKind]:
    """Every registered figure, in report order."""
    return FIGURES.all()


def list_figures() -> list[str]:
    """Names of every registered figure, in report order."""
    return FIGURES.names()


def get_figure(name: str) -> FigureKind:
    """The figure registered as ``name``; :class:`LabInputError` with close matches if
    there is none."""
    return FIGURES.get(name)


def draw_figures(names: list[str], data: FigureInput, out_dir: str | Path
                 ) -> list[tuple[FigureKind, list[Panel]]]:
    """Draw the figures ``names`` (``["all"]``: every one) into ``out_dir``."""
    kinds = figure_kinds() if names == ["all"] else [get_figure(n) for n in names]
    out = Path(out_dir)
    return [(kind, kind.draw(data, out)) for kind in kinds]
