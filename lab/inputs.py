"""The shared input layer: every command checks what it is given before it writes.

Each check raises :class:`~lab.errors.LabInputError` with one line naming the path or
option and the fix; the command-line entry points print it (``error: ...``) and exit 2.
A command joins the layer by

* checking paths with :func:`input_file`, :func:`input_folder` (paths in),
  :func:`output_folder`, :func:`output_file` (paths out) before anything is written,
* reading text files with :func:`read_text` (UTF-8, not binary),
* converting numbers with :func:`number` / :func:`whole` and the bounds below,
* checking a stimulus set's conditions with :func:`check_manifest_conditions`,
* and running its body under :func:`run_command`, which turns a
  :class:`LabInputError`, an :class:`OSError` nobody foresaw and Ctrl-C into one line.

See docs/contributing.md, "Checking inputs", for a worked example.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from lab.design import ExperimentDesign, bundled_designs
from lab.errors import LabInputError
from lab.oserrors import os_error_line


class _Row(Protocol):  # a manifest row (lab.manifest.ManifestEntry, which imports this)
    experiment: str
    condition: str

# -- documented bounds: never reached by a real lab, always by a typo ------------------------
#: Largest image side in px (``stimuli apply --size``): the 2018 stimuli are 224 px; a
#: 4096 px RGB float image is already 400 MB.
MAX_IMAGE_PX = 4096
#: Most practice trials before a session (``--practice``); the 2018 observers had 10-20.
MAX_PRACTICE = 1000
#: Longest phase of a trial in ms (``--durations``); the 2018 response phase was 1500 ms.
MAX_PHASE_MS = 60_000.0
#: Largest decimal visual acuity (``--visual-acuity``); 2.0 is already exceptional.
MAX_DECIMAL_ACUITY = 4.0

#: Bytes read to decide whether a file is text.
_SNIFF = 8192


# -- numbers -------------------------------------------------------------------------------
def number(value: object, what: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, example: str = "") -> float:
    """``value`` (a number or its text) as a finite float within ``[low, high]`` (``low``
    excluded with ``low_open``); ``inf`` and ``nan`` are refused."""
    hint = f", e.g. {example}" if example else ""
    shown = f"{what}{value}" if what.endswith("=") else f"{what} {value}"
    if isinstance(value, bool):
        raise LabInputError(f"{what} {value!r}: not a number{hint}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LabInputError(f"{what} {value!r}: not a number{hint}") from None
    if not math.isfinite(x):
        raise LabInputError(f"{shown}: must be a finite number{hint}")
    if low is not None and (x < low or (low_open and x == low)):
        bound = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise LabInputError(f"{shown}: must be {bound}{hint}")
    if high is not None and x > high:
        raise LabInputError(f"{shown}: must be at most {high:g}{hint}")
    return x


def whole(value: object, what: str, *, low: int | None = None, high: int | None = None,
          example: str = "") -> int:
    """``value`` as an int: ``90``, ``90.0`` and ``"90"`` are 90; ``90.5`` is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        x: float = value
    else:
        x = number(value, what, example=example)
    if x != int(x):
        hint = f", e.g. {example}" if example else ""
        raise LabInputError(f"{what} {value}: must be a whole number{hint}")
    n = int(x)
    number(n, what, low=low, high=high, example=example)
    return n


def is_whole_float(value: object) -> bool:
    """True for a finite float without fraction (``90.0``): valid where an int is needed."""
    return isinstance(value, float) and math.isfinite(value) and value == int(value)


# -- paths in ------------------------------------------------------------------------------
def input_file(path: str | Path, what: str) -> Path:
    """``path`` exists, is a file and can be read."""
    path = Path(path)
    if not path.exists():
        raise LabInputError(f"{path}: no such file; check the {what} path")
    if path.is_dir():
        raise LabInputError(f"{path}: is a folder; give the {what} file")
    if not os.access(path, os.R_OK):
        raise LabInputError(f"{path}: cannot be read (permission denied); give a {what} "
                            "you may read")
    return path


def input_folder(path: str | Path, what: str) -> Path:
    """``path`` exists and is a folder."""
    path = Path(path)
    if not path.exists():
        raise LabInputError(f"{path}: no such folder; check the {what} path")
    if not path.is_dir():
        raise LabInputError(f"{path}: is a file; give the {what} folder")
    return path


def read_text(path: str | Path, what: str, *, fix: str = "") -> str:
    """The UTF-8 text of ``path``; a binary or non-UTF-8 file is one line naming it."""
    path = input_file(path, what)
    fix = fix or f"give the {what} as a UTF-8 text file"
    try:
        data = path.read_bytes()
    except OSError as err:
        raise LabInputError(f"{os_error_line(err, path)}") from None
    if b"\0" in data[:_SNIFF]:
        raise LabInputError(f"{path}: a binary file where the {what} (text) is expected; {fix}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LabInputError(f"{path}: not UTF-8 text (byte {err.start}); {fix}") from None


# -- paths out -----------------------------------------------------------------------------
def _nearest_existing(path: Path) -> Path:
    for p in [path, *path.parents]:
        if p.exists():
            return p
    return Path(".")


def _writable_parent(target: Path, what: str) -> None:
    """``target`` (a folder, or the file to write) can be made: the nearest existing
    folder on its way is a folder we may write in."""
    base = _nearest_existing(target)
    if base == target and target.is_dir():
        pass
    elif base == target or not base.is_dir():  # an existing file on the way
        raise LabInputError(f"{target}: cannot write there, {base} is a file, not a folder; "
                            f"move it away or give another {what}")
    try:
        read_only = bool(os.statvfs(base).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        raise LabInputError(f"{target}: cannot write there, the file system of {base} is "
                            f"read-only; give a writable {what}")
    if not os.access(base, os.W_OK | os.X_OK):
        raise LabInputError(f"{target}: cannot write there, {base} is not writable "
                            f"(permission denied); give a {what} you may write to")


def output_folder(path: str | Path, what: str = "output folder", *,
                  option: str = "--out") -> Path:
    """``path`` is (or can be made as) a folder we may write in; nothing is created."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise LabInputError(f"{option} {path}: is a file, not a folder; give a folder (or "
                            "move the file away)")
    _writable_parent(path, what)
    return path


def output_file(path: str | Path, what: str = "output file") -> Path:
    """``path`` can be written as a file: not a folder, its folder writable."""
    path = Path(path)
    if path.is_dir():
        raise LabInputError(f"{path}: is a folder; give the {what} name")
    _writable_parent(path.parent if str(path.parent) else Path("."), what)
    return path


# -- stimulus sets against their design ----------------------------------------------------
def check_manifest_conditions(entries: Iterable[_Row], manifest: str | Path,
                              designs: dict[str, ExperimentDesign] | None = None) -> None:
    """Every row's condition is one of its experiment's design (a row of a known
    experiment with a condition the design has not, e.g. ``c99``, is refused)."""
    designs = bundled_designs() if designs is None else designs
    for line, entry in enumerate(entries, start=2):
        design = designs.get(entry.experiment)
        if design is not None and entry.condition not in design.conditions:
            raise LabInputError(
                f"{manifest}:{line}: condition {entry.condition!r} is not in the design of "
                f"{design.name!r} ({', '.join(design.conditions)}); rebuild the set with "
                "'python -m stimuli build'")


# -- the entry point -----------------------------------------------------------------------
def error_line(message: object) -> str:
    """One line of ``message``: a command prints exactly one. For an error re-raised from
    a worker process (whose text is the worker's traceback) the error's own line."""
    lines = str(message).strip().splitlines() or [""]
    own = [line.split("LabInputError: ", 1)[1] for line in lines if "LabInputError: " in line]
    return own[-1] if own else lines[0]


def run_command(body: Callable[[], int | None], *, interrupted: str,
                interrupted_status: int = 130, quiet: bool = False) -> int:
    """Run a command's ``body``; a :class:`LabInputError`, an unforeseen :class:`OSError`
    or Ctrl-C ends it in one ``error:`` line on stderr (exit 2, or 130 for Ctrl-C);
    ``quiet`` prints nothing (the other ranks of a multi-process job)."""
    def say(line: str) -> None:
        if not quiet:
            print(f"error: {line}", file=sys.stderr)

    try:
        try:
            status = body()
        except LabInputError as err:
            say(error_line(err))
            return 2
        except OSError as err:
            if isinstance(err, BrokenPipeError):
                return 0
            say(os_error_line(err))
            return 2
    except KeyboardInterrupt:
        say(interrupted)
        return interrupted_status
    return 0 if status is None else status


__all__ = [
    "MAX_DECIMAL_ACUITY", "MAX_IMAGE_PX", "MAX_PHASE_MS", "MAX_PRACTICE",
    "check_manifest_conditions", "error_line", "input_file", "input_folder",
    "is_whole_float", "number", "output_file", "output_folder", "read_text",
    "run_command", "whole",
]
