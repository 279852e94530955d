"""Shared parsing: a trial file's text split for batched reading, files that share a header
parsed in one ``pandas.read_csv`` pass, and the checks that name a bad file and line."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lab.categories import NO_RESPONSE
from lab.errors import LabInputError
from lab.readers.records import TrialFileKind

log = logging.getLogger(__name__)

NA_CELLS = {"", "n/a", "na", "nan", "NaN", "NA"}


@dataclass
class Source:
    """One trial file's text, split for batched parsing."""

    path: Path
    kind: TrialFileKind
    header: str
    body: str  #: data rows, each ending in a newline
    rows: int
    digest: str  #: sha256 of the file's bytes


def load_source(path: Path, kind: TrialFileKind, data: bytes | None = None) -> Source:
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise LabInputError(f"{path}: cannot read ({err.strerror})") from err
    digest = hashlib.sha256(data).hexdigest()
    if kind.source_format == "lab" and data and not data.endswith(b"\n"):
        log.warning("%s: last line is torn (incomplete write); ignored", path)
        data = data[: data.rfind(b"\n") + 1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise LabInputError(f"{path}:{line}: not UTF-8 text; re-save the file as UTF-8") from err
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    header, _, body = text.partition("\n")
    body = body.rstrip("\n")
    body = body + "\n" if body else ""
    return Source(path, kind, header, body, body.count("\n"), digest)


TEXT_COLUMNS = frozenset({
    "experiment", "observer", "image", "sha256", "category", "condition", "response", "rule",
    "subj", "imagename", "object_response", "object_response_sums",
})


def parse_group(sources: list[Source], sep: str) -> pd.DataFrame:
    """Parse files that share one header in a single pass (fast). Text columns stay text
    (``na`` is a response, ``0.00`` a condition); numeric columns read ``n/a``, ``na`` and
    ``NaN`` as missing, and stay text only if a cell is malformed (checked later)."""
    header = sources[0].header
    text = header + "\n" + "".join(s.body for s in sources)
    names = [c.strip() for c in header.split(sep)]
    dtype = {c: str for c in names if c.lower() in TEXT_COLUMNS}
    na_values = {c: sorted(NA_CELLS) for c in names if c.lower() not in TEXT_COLUMNS}
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=dtype, keep_default_na=False,
                            na_values=na_values, skip_blank_lines=False, engine="c")
    except pd.errors.ParserError as err:
        found = re.search(r"line (\d+)", str(err))
        detail = str(err).split(". ", 1)[-1].strip()
        where = _locate(sources, int(found.group(1))) if found else \
            ", ".join(str(s.path) for s in sources)
        raise LabInputError(f"{where}: malformed row ({detail}); fix or remove it") from err
    frame["file"] = pd.Categorical.from_codes(
        np.repeat(np.arange(len(sources)), [s.rows for s in sources]),
        categories=[str(s.path) for s in sources])
    frame["_line"] = np.concatenate([np.arange(2, s.rows + 2) for s in sources])
    return frame


def _locate(sources: list[Source], line: int) -> str:
    """``file:line`` of line ``line`` (1 = header) of the joined text."""
    row = line - 2
    for source in sources:
        if row < source.rows:
            return f"{source.path}:{row + 2}"
        row -= source.rows
    return f"{sources[-1].path}:{sources[-1].rows + 1}"


def first_bad(table: pd.DataFrame, bad: np.ndarray, column: str, what: str) -> None:
    """Raise for the first row flagged in ``bad``, naming its file and line."""
    if bad.any():
        row = table.iloc[int(np.flatnonzero(bad)[0])]
        raise LabInputError(
            f"{row['file']}:{row['_line']}: {column} {row[column]!r} is not {what}; "
            "fix the row or remove the file"
        )


def integers(table: pd.DataFrame, column: str) -> np.ndarray:
    cells = table[column]
    if pd.api.types.is_integer_dtype(cells.dtype):
        return cells.to_numpy(np.int64)
    values = pd.to_numeric(cells, errors="coerce").to_numpy(float)
    bad = np.isnan(values) | (values % 1 != 0)
    first_bad(table, bad, column, "a whole number")
    return values.astype(np.int64)


def floats(table: pd.DataFrame, column: str) -> np.ndarray:
    cells = table[column]
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return cells.to_numpy(float, na_value=np.nan)
    missing = cells.isna().to_numpy() | cells.isin(NA_CELLS).to_numpy()
    values = pd.to_numeric(cells.where(~missing, None), errors="coerce").to_numpy(float)
    first_bad(table, np.isnan(values) & ~missing, column, "a number or n/a")
    return values


def check_classes(table: pd.DataFrame, column: str, allowed: frozenset) -> None:
    bad = ~table[column].isin(allowed).to_numpy()
    what = "one of the 16 classes" + (" or na" if NO_RESPONSE in allowed else "")
    first_bad(table, bad, column, what)


def check_complete(table: pd.DataFrame, columns: Iterable[str]) -> None:
    """A short or blank row leaves empty cells in required columns."""
    for column in columns:
        empty = (table[column] == "").to_numpy()
        if empty.any():
            row = table.iloc[int(np.flatnonzero(empty)[0])]
            raise LabInputError(
                f"{row['file']}:{row['_line']}: no value for {column}; fix or remove the row"
            )


def warn_unknown(sources: list[Source], columns: Iterable[str], known: set[str]) -> None:
    unknown = [c for c in columns if c not in known]
    if unknown:
        for source in sources:
            log.warning("%s: unknown columns %s ignored", source.path, unknown)
