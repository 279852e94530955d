"""Read trial files of every format into one table of trial records.

Three formats are recognised, per file, from the header and the file name:

``lab``
    our own trial TSVs (``lab.trial_file``): header ``experiment<TAB>observer<TAB>...``;
    a ``rule`` column marks a network's file.
``geirhos2018``
    the CSVs of Geirhos et al. 2018, ``<name>-experiment_<subj>_session_<n>.csv`` with the
    header ``subj,session,trial,rt,object_response,category,condition,imagename``; network
    files add ``entropy_1000, prob_correct_16, ...`` and ``..._sums`` variants.
``model-vs-human``
    the human CSVs of model-vs-human, ``<dataset>_<subj>_session_<n>.csv``, same 8 columns
    (some files say ``Session``).

:func:`read_trials` returns one :class:`pandas.DataFrame` with the columns of
:data:`RECORD_COLUMNS` (the base trial columns of :mod:`lab.schema` plus
``observer_type``, ``rule``, ``source_format``, ``texture``, ``image_key``, ``file`` and
``simulated``: the label of a simulated observer from its session's sidecar, else empty),
whatever the mix of formats. A tar archive of such files (``.tar.xz``, ``.tar.gz``, ``.tar``)
is read like a folder: the bundled 2018 human data are one (:mod:`lab.datasets`).
Optional per-trial columns (network scores, frame accounting)
are kept where a file has them.

Of our own files only the effective trials are returned: the last attempt of each trial
(:mod:`lab.accounting`); column ``superseded`` counts the records of that trial set
aside, ``attempt`` is the attempt kept (NaN for the original formats).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lab.accounting import SUPERSEDED_COLUMN, effective_table
from lab.categories import CATEGORIES, NO_RESPONSE
from lab.decision_rules import HEAD_16_RULE, ORIGINAL_RULES
from lab.design import bundled_designs
from lab.errors import LabInputError
from lab.schema import BASE_COLUMNS, DNN_COLUMNS, HUMAN_COLUMNS
from lab.trial_file import sidecar_path

log = logging.getLogger(__name__)

#: The 8 columns of the original CSVs (2018 and model-vs-human), lower-cased.
ORIGINAL_COLUMNS: tuple[str, ...] = (
    "subj", "session", "trial", "rt", "object_response", "category", "condition", "imagename",
)
#: Network columns of the 2018 CSVs; each also exists with a ``_sums`` suffix.
ORIGINAL_DNN_COLUMNS: tuple[str, ...] = (
    "entropy_1000", "prob_correct_16", "rank_correct_16", "entropy_16", "highest_prob_16",
)

#: Columns every record table has.
RECORD_COLUMNS: tuple[str, ...] = BASE_COLUMNS + (
    "observer_type", "rule", "source_format", "texture", "image_key", "file", "simulated",
    SUPERSEDED_COLUMN,
)
#: Optional numeric columns kept when a file has them.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "prob_correct_16", "entropy_16", "entropy_1000", "rank_correct_16",
) + HUMAN_COLUMNS

HUMAN = "human"
DNN = "dnn"

_ORIGINAL_NAME = re.compile(r"^(?P<experiment>.+)_(?P<subj>[^_]+)_session_(?P<session>\d+)\.csv$")
_TRIAL_PREFIX = re.compile(r"^\d+_[^_]+_[^_]+_")
_CUE_CONFLICT = re.compile(r"(?:^|[_/])(?P<shape>[a-z]+)\d+-(?P<texture>[a-z]+)\d+\.\w+$")
_NA_CELLS = {"", "n/a", "na", "nan", "NaN", "NA"}
_VALID_RESPONSES = frozenset(CATEGORIES) | {NO_RESPONSE}


@dataclass(frozen=True)
class TrialFileKind:
    """What :func:`detect_format` found out about one file."""

    source_format: str  #: ``lab``, ``geirhos2018`` or ``model-vs-human``
    observer_type: str  #: ``human`` or ``dnn``


# -- completeness of network runs ----------------------------------------------------------
def incomplete_run(path: Path, rows: int) -> str | None:
    """Why the network trial file ``path`` is not a complete scoring run, from its JSON
    sidecar (``kind`` ``dnn-trials``), or ``None``: the sidecar says ``"complete": false``
    (a run that stopped; ``models score`` writes under a ``.partial`` name until complete,
    so this is a file copied or renamed by hand), or the file holds fewer rows than its
    ``n_images`` (files of versions without the marker)."""
    side = sidecar_path(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("kind") != "dnn-trials":
        return None
    expected = meta.get("n_images")
    expected = expected if isinstance(expected, int) and not isinstance(expected, bool) else None
    if meta.get("complete") is False or (expected is not None and rows < expected):
        total = f" of {expected}" if expected is not None else ""
        return f"an incomplete scoring run ({rows}{total} trials)"
    return None


# -- format detection ----------------------------------------------------------------------
def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        line = fh.readline(65536)
    return line.decode("utf-8", errors="replace").rstrip("\r\n")


def detect_format(path: str | Path) -> TrialFileKind | None:
    """The format of ``path`` from its header and name, or ``None`` if it is no trial file."""
    path = Path(path)
    return _detect(path.name, _first_line(path))


def _detect(name: str, header: str) -> TrialFileKind | None:
    """:func:`detect_format` from a file name and its first line."""
    if header.startswith("experiment\tobserver\t"):
        columns = header.split("\t")
        return TrialFileKind("lab", DNN if "rule" in columns else HUMAN)
    columns = [c.strip().lower() for c in header.split(",")]
    if tuple(columns[: len(ORIGINAL_COLUMNS)]) != ORIGINAL_COLUMNS:
        return None
    match = _ORIGINAL_NAME.match(name)
    if match is None:
        return None
    scored = "object_response_sums" in columns or "entropy_16" in columns
    # model-vs-human writes model answers in the 8 human columns; humans are "subject-*"
    observer_type = DNN if scored or not match["subj"].startswith("subject-") else HUMAN
    source = "geirhos2018" if match["experiment"].endswith("-experiment") else "model-vs-human"
    return TrialFileKind(source, observer_type)


#: Files that live beside trial files and are expected in a folder: stimulus manifests,
#: BIDS participants tables, the booth's planned trial lists.
_COMPANION_NAMES = ("manifest.csv", "participants.tsv")
_COMPANION_SUFFIXES = ("_trials.tsv",)


def _is_known_companion(path: Path) -> bool:
    return path.name in _COMPANION_NAMES or path.name.endswith(_COMPANION_SUFFIXES)


#: Archives of trial files the readers open directly (e.g. the bundled 2018 human data).
ARCHIVE_SUFFIXES = (".tar.xz", ".tar.gz", ".tgz", ".tar")


def is_archive(path: str | Path) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _archive_members(archive: Path) -> Iterator[tuple[Path, TrialFileKind, bytes]]:
    """The trial files inside a tar archive, in sorted order: (``archive/member``, kind,
    bytes). Other members are skipped (with a warning for unknown CSV/TSV files)."""
    try:
        with tarfile.open(archive) as tar:
            members = sorted((m for m in tar.getmembers() if m.isfile()),
                             key=lambda m: m.name)
            for member in members:
                if Path(member.name).suffix.lower() not in (".csv", ".tsv"):
                    continue
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
                line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
                kind = _detect(Path(member.name).name, line)
                if kind is None:
                    log.warning("%s/%s: not a trial file (unknown header); skipped",
                                archive, member.name)
                    continue
                yield archive / member.name, kind, data
    except (tarfile.TarError, EOFError, OSError) as err:
        raise LabInputError(f"{archive}: not a readable tar archive ({err}); "
                            "re-download or re-create it") from err


def iter_trial_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, TrialFileKind]]:
    """Every trial file under ``paths`` (folders are walked recursively, in sorted order).

    A file named explicitly that is no trial file is an error; inside folders, CSV/TSV files
    that are no trial files are skipped with a warning (manifests silently). Tar archives
    (:data:`ARCHIVE_SUFFIXES`) are read by :func:`read_trials` itself.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix.lower() not in (".csv", ".tsv") or not child.is_file():
                    continue
                kind = detect_format(child)
                if kind is None:
                    if _is_known_companion(child):
                        log.debug("%s: not a trial file; skipped", child)
                    else:
                        log.warning("%s: not a trial file (unknown header); skipped", child)
                    continue
                yield child, kind
        elif path.is_file():
            kind = detect_format(path)
            if kind is None:
                raise LabInputError(
                    f"{path}: not a trial file (expected our TSV header 'experiment<TAB>"
                    f"observer...' or the CSV header '{','.join(ORIGINAL_COLUMNS)}' in a file "
                    "named <experiment>_<subj>_session_<n>.csv)"
                )
            yield path, kind
        else:
            raise LabInputError(f"{path}: no such file or folder; check the path")


# -- helpers -------------------------------------------------------------------------------
def image_key(image: str) -> str:
    """The part of an original image name that identifies the image across observers:
    ``0001_cop_s01_c50_oven_10_n04111531_23046.png`` -> ``c50_oven_10_n04111531_23046.png``
    (trial number, experiment code and subject/``dnn`` stripped)."""
    return _TRIAL_PREFIX.sub("", image.rsplit("/", 1)[-1])


def texture_of(image: str) -> str:
    """The texture class of a cue-conflict image name (``...dog10-bird2.png`` -> ``bird``),
    or ``""`` when the name has no ``<shape><n>-<texture><m>`` part."""
    match = _CUE_CONFLICT.search(image)
    return match["texture"] if match else ""


_ORIGINAL_RENAME = {"subj": "observer", "imagename": "image"}


def _design_names_by_original() -> dict[str, str | dict[str, str]]:
    """Design name per 2018 experiment folder; where one 2018 experiment is split over
    several designs (eidolon: one per coherence), the design name per condition code."""
    names: dict[str, list[str]] = {}
    for design in bundled_designs().values():
        names.setdefault(design.original_experiment, []).append(design.name)
    out: dict[str, str | dict[str, str]] = {}
    for original, found in names.items():
        out[original] = found[0] if len(found) == 1 else {
            code: name for name in found for code in bundled_designs()[name].conditions}
    return out


def _texture_experiments() -> frozenset[str]:
    """Designs whose image names carry the texture class (``<shape><n>-<texture><m>``)."""
    return frozenset(d.name for d in bundled_designs().values() if d.texture_in_file_name)


@dataclass
class _Source:
    """One trial file's text, split for batched parsing."""

    path: Path
    kind: TrialFileKind
    header: str
    body: str  #: data rows, each ending in a newline
    rows: int
    digest: str  #: sha256 of the file's bytes


def _load(path: Path, kind: TrialFileKind, data: bytes | None = None) -> _Source:
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
    return _Source(path, kind, header, body, body.count("\n"), digest)


_TEXT_COLUMNS = frozenset({
    "experiment", "observer", "image", "sha256", "category", "condition", "response", "rule",
    "subj", "imagename", "object_response", "object_response_sums",
})


def _parse_group(sources: list[_Source], sep: str) -> pd.DataFrame:
    """Parse files that share one header in a single pass (fast). Text columns stay text
    (``na`` is a response, ``0.00`` a condition); numeric columns read ``n/a``, ``na`` and
    ``NaN`` as missing, and stay text only if a cell is malformed (checked later)."""
    header = sources[0].header
    text = header + "\n" + "".join(s.body for s in sources)
    names = [c.strip() for c in header.split(sep)]
    dtype = {c: str for c in names if c.lower() in _TEXT_COLUMNS}
    na_values = {c: sorted(_NA_CELLS) for c in names if c.lower() not in _TEXT_COLUMNS}
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


def _locate(sources: list[_Source], line: int) -> str:
    """``file:line`` of line ``line`` (1 = header) of the joined text."""
    row = line - 2
    for source in sources:
        if row < source.rows:
            return f"{source.path}:{row + 2}"
        row -= source.rows
    return f"{sources[-1].path}:{sources[-1].rows + 1}"


def _first_bad(table: pd.DataFrame, bad: np.ndarray, column: str, what: str) -> None:
    """Raise for the first row flagged in ``bad``, naming its file and line."""
    if bad.any():
        row = table.iloc[int(np.flatnonzero(bad)[0])]
        raise LabInputError(
            f"{row['file']}:{row['_line']}: {column} {row[column]!r} is not {what}; "
            "fix the row or remove the file"
        )


def _integers(table: pd.DataFrame, column: str) -> np.ndarray:
    cells = table[column]
    if pd.api.types.is_integer_dtype(cells.dtype):
        return cells.to_numpy(np.int64)
    values = pd.to_numeric(cells, errors="coerce").to_numpy(float)
    bad = np.isnan(values) | (values % 1 != 0)
    _first_bad(table, bad, column, "a whole number")
    return values.astype(np.int64)


def _floats(table: pd.DataFrame, column: str) -> np.ndarray:
    cells = table[column]
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return cells.to_numpy(float, na_value=np.nan)
    missing = cells.isna().to_numpy() | cells.isin(_NA_CELLS).to_numpy()
    values = pd.to_numeric(cells.where(~missing, None), errors="coerce").to_numpy(float)
    _first_bad(table, np.isnan(values) & ~missing, column, "a number or n/a")
    return values


def _check_classes(table: pd.DataFrame, column: str, allowed: frozenset) -> None:
    bad = ~table[column].isin(allowed).to_numpy()
    what = "one of the 16 classes" + (" or na" if NO_RESPONSE in allowed else "")
    _first_bad(table, bad, column, what)


def _check_complete(table: pd.DataFrame, columns: Iterable[str]) -> None:
    """A short or blank row leaves empty cells in required columns."""
    for column in columns:
        empty = (table[column] == "").to_numpy()
        if empty.any():
            row = table.iloc[int(np.flatnonzero(empty)[0])]
            raise LabInputError(
                f"{row['file']}:{row['_line']}: no value for {column}; fix or remove the row"
            )


def _warn_unknown(sources: list[_Source], columns: Iterable[str], known: set[str]) -> None:
    unknown = [c for c in columns if c not in known]
    if unknown:
        for source in sources:
            log.warning("%s: unknown columns %s ignored", source.path, unknown)


# -- the formats: each turns a parsed group into record columns (still text) ---------------
def _lab_group(sources: list[_Source], rule: str) -> pd.DataFrame:
    frame = _parse_group(sources, "\t")
    observer_type = sources[0].kind.observer_type
    missing = [c for c in BASE_COLUMNS if c not in frame.columns]
    if observer_type == DNN and "rule" not in frame.columns:
        missing.append("rule")
    if missing:
        raise LabInputError(
            f"{sources[0].path}:1: missing columns {missing}; is this a trial file?")
    _warn_unknown(sources, frame.columns,
                  set(BASE_COLUMNS) | set(HUMAN_COLUMNS) | set(DNN_COLUMNS) | {"file", "_line"})
    _check_complete(frame, ("experiment", "observer", "session", "trial", "image", "category",
                            "condition", "response"))
    if (observer_type == HUMAN and "image_duration_ms" in frame.columns
            and "soa_ms" not in frame.columns):
        # written before the timing columns were split: its image_duration_ms was mask
        # onset minus image onset, i.e. the SOA
        frame["soa_ms"] = frame["image_duration_ms"]
        frame["image_duration_ms"] = np.nan
    keep = [c for c in frame.columns
            if c in BASE_COLUMNS or c in OPTIONAL_COLUMNS or c in ("rule", "file", "_line")]
    out = frame[keep]
    if observer_type != DNN:
        return out.assign(rule="")
    # a network with a trained 16-way head has one decision only: kept under every rule
    return out[(out["rule"] == rule) | (out["rule"] == HEAD_16_RULE)]


def _original_group(sources: list[_Source], rule: str,
                    by_original: dict[str, str | dict[str, str]]) -> pd.DataFrame:
    frame = _parse_group(sources, ",")
    frame.columns = [c.strip().lower() for c in frame.columns]
    kind = sources[0].kind
    scored = bool(set(ORIGINAL_DNN_COLUMNS) & set(frame.columns))  # a 2018 network file
    suffix = "_sums" if kind.observer_type == DNN and scored and rule == "sum" else ""
    needed = list(ORIGINAL_COLUMNS) + ([f"object_response{suffix}"] if suffix else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise LabInputError(
            f"{sources[0].path}:1: missing columns {missing}; is this a trial file?")
    known = set(ORIGINAL_COLUMNS) | set(ORIGINAL_DNN_COLUMNS) | {"object_response_sums"} | {
        f"{c}_sums" for c in ORIGINAL_DNN_COLUMNS} | {"file", "_line"}
    _warn_unknown(sources, frame.columns, known)
    _check_complete(frame, [c for c in ORIGINAL_COLUMNS if c != "rt"])
    out = frame[["subj", "session", "trial", "rt", "category", "condition", "imagename",
                 "file", "_line"]].rename(columns=_ORIGINAL_RENAME)
    out["response"] = frame[f"object_response{suffix}"]
    names = [_ORIGINAL_NAME.match(s.path.name)["experiment"]  # type: ignore[index]
             for s in sources]
    experiment = np.repeat(np.array(names, dtype=object), [s.rows for s in sources])
    if kind.source_format == "geirhos2018":
        for original in set(names):
            design = by_original.get(original, original)
            rows = experiment == original
            if isinstance(design, str):
                experiment[rows] = design
            else:  # one 2018 experiment, several designs: split by the condition code
                conditions = frame["condition"].to_numpy(dtype=object)[rows]
                experiment[rows] = [design.get(c, original) for c in conditions]
    out["experiment"] = experiment
    if kind.observer_type != DNN:
        out["rule"] = ""
    else:  # answers in the plain 8 columns (model-vs-human style): rule not recorded
        out["rule"] = rule if scored else "unknown"
    if kind.observer_type == DNN:
        for column in ("prob_correct_16", "entropy_16", "entropy_1000", "rank_correct_16"):
            source = column if column == "entropy_1000" else f"{column}{suffix}"
            if source in frame.columns:
                out[column] = frame[source]
    return out


# -- public entry point --------------------------------------------------------------------
def read_trials(
    paths: Iterable[str | Path] | str | Path,
    *,
    rule: str = "sum",
    progress: bool = False,
) -> pd.DataFrame:
    """Read every trial file under ``paths`` into one record table.

    ``rule`` picks the network decision rule: for the 2018 CSVs ``sum`` (the ``*_sums``
    columns, default, the paper's rule) or ``other`` (the unsuffixed columns); for our own
    network files only rows with that ``rule`` are kept (``sum``, ``mean`` or ``max``), and
    2018 network files read with ``mean`` or ``max`` fall back to ``sum`` with a warning.
    A human trial our booth re-ran after a dropped frame counts once, by its last attempt
    (:func:`lab.accounting.effective_table`; column ``superseded`` counts the records
    set aside). Identical
    copies of a file (the 2018 ``dnn-raw-data`` folders repeat the human files) are read
    once; two different files holding the same observer and session are an error.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = list(paths)
    files: list[tuple[Path, TrialFileKind, bytes | None]] = []
    for raw in paths:
        if Path(raw).is_file() and is_archive(raw):
            files.extend(_archive_members(Path(raw)))
        else:
            files.extend((path, kind, None) for path, kind in iter_trial_files([raw]))
    if not files:
        raise LabInputError(
            f"no trial files found in {', '.join(str(p) for p in paths)}; "
            "give folders or files holding trial TSV/CSV files"
        )
    iterator: Iterable[tuple[Path, TrialFileKind, bytes | None]] = files
    if progress:
        from lab.progress import progress as progress_bar
        iterator = progress_bar(files, desc="reading trial files", unit="file")
    groups: dict[tuple[str, str, str], list[_Source]] = {}
    seen: dict[str, Path] = {}
    incomplete: list[str] = []
    for path, kind, data in iterator:
        source = _load(path, kind, data)
        reason = (incomplete_run(path, source.rows)
                  if (kind.source_format, kind.observer_type) == ("lab", DNN) else None)
        if reason is not None:
            incomplete.append(f"{path}: {reason}")
            log.warning("%s: %s; left out (never read as complete); score the set again "
                        "into a new --session", path, reason)
            continue
        if source.digest in seen:
            log.info("%s: same content as %s; read once", path, seen[source.digest])
            continue
        seen[source.digest] = path
        if source.rows:
            groups.setdefault((kind.source_format, kind.observer_type, source.header),
                              []).append(source)
    by_original = _design_names_by_original()
    frames = []
    for (source_format, observer_type, _), sources in groups.items():
        if source_format == "lab":
            frame = _lab_group(sources, rule)
        else:
            if observer_type == DNN and rule not in ORIGINAL_RULES:
                log.warning("the 2018 network files have no %r decision; read their sum "
                            "rule (the paper's) instead", rule)
            frame = _original_group(sources, rule if rule in ORIGINAL_RULES else "sum",
                                    by_original)
        frames.append(frame.assign(source_format=source_format, observer_type=observer_type))
    frames = [f for f in frames if len(f)]
    if not groups and incomplete:
        raise LabInputError(f"{incomplete[0]}; nothing complete to read; finish the run "
                            "(python -m models score ... --resume) or score the set again")
    if not groups:
        raise LabInputError(
            f"no trials yet in {', '.join(str(p) for p in paths)}: the trial files hold only "
            "their header")
    if not frames:
        raise LabInputError(f"no trials for rule {rule!r} in the given files; try another --rule")
    table = pd.concat(frames, ignore_index=True)
    labels = {str(f): (simulated_label(f) if src == "lab" and kind == HUMAN else "")
              for f, src, kind in table[["file", "source_format", "observer_type"]]
              .drop_duplicates().itertuples(index=False)}
    table["simulated"] = table["file"].astype(str).map(labels).fillna("")
    table = _finish(table)
    table = effective_table(table, lab=(table["source_format"] == "lab").to_numpy())
    _check_no_double_sessions(table)
    return table


def simulated_label(trial_file: str | Path) -> str:
    """The ``simulated.label`` of a lab trial file's JSON sidecar ('' for a person, or
    when there is no readable sidecar)."""
    sidecar = Path(trial_file).with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    simulated = meta.get("simulated") if isinstance(meta, dict) else None
    if isinstance(simulated, dict):
        return str(simulated.get("label") or simulated.get("kind") or "simulated")
    return ""


def _check_no_double_sessions(table: pd.DataFrame) -> None:
    """Two different files must not hold the same observer's same session."""
    keys = ["source_format", "experiment", "observer", "session", "rule"]
    files = table.groupby(keys, sort=False, observed=True)["file"].nunique()
    double = files[files > 1]
    if len(double):
        source_format, experiment, observer, session, _ = double.index[0]
        paths = table.loc[(table["observer"] == observer) & (table["session"] == session)
                          & (table["experiment"] == experiment), "file"].unique()
        raise LabInputError(
            f"{paths[1]}: holds {experiment} observer {observer!r} session {session} like "
            f"{paths[0]}; remove one of the two files"
        )


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    """Types, checks and derived columns, once over all files."""
    _check_classes(table, "category", frozenset(CATEGORIES))
    _check_classes(table, "response", _VALID_RESPONSES)
    table["session"] = _integers(table, "session")
    table["trial"] = _integers(table, "trial")
    table["rt"] = _floats(table, "rt")
    for column in OPTIONAL_COLUMNS:
        if column in table.columns:
            table[column] = _floats(table, column)
    if "block" in table.columns:
        block = table["block"]
        block = block.where(~(block.isna() | block.isin(_NA_CELLS)), None)
        table["block"] = pd.to_numeric(block, errors="coerce").astype("Int64")
    else:
        table["block"] = pd.array([pd.NA] * len(table), dtype="Int64")
    if "sha256" in table.columns:
        sha = table["sha256"]
        table["sha256"] = sha.where(~(sha.isna() | sha.isin(_NA_CELLS)), "")
    else:
        table["sha256"] = ""
    table["correct"] = (table["response"] == table["category"]).to_numpy()
    has_texture = table["experiment"].isin(_texture_experiments()).to_numpy()
    texture = np.full(len(table), "", dtype=object)
    if has_texture.any():
        texture[has_texture] = table["image"][has_texture].map(texture_of).to_numpy()
    table["texture"] = texture
    has_sha = (table["sha256"] != "").to_numpy()
    keys = table["image"].str.replace(_TRIAL_PREFIX.pattern, "", regex=True)
    table["image_key"] = keys.where(~has_sha, "sha256:" + table["sha256"])
    ordered = [c for c in RECORD_COLUMNS if c in table.columns]
    extra = [c for c in OPTIONAL_COLUMNS if c in table.columns and c not in ordered]
    return table[ordered + extra].reset_index(drop=True)
