"""Finding trial files: the format of each file from its header and name (each format's
module decides), folders walked recursively, tar archives read member by member."""

from __future__ import annotations

import logging
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from lab.errors import LabInputError
from lab.readers.lab_tsv import detect_lab
from lab.readers.original import ORIGINAL_COLUMNS, detect_original
from lab.readers.records import TrialFileKind

log = logging.getLogger(__name__)

def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        line = fh.readline(65536)
    return line.decode("utf-8", errors="replace").rstrip("\r\n")


def detect_format(path: str | Path) -> TrialFileKind | None:
    """The format of ``path`` from its header and name, or ``None`` if it is no trial file."""
    path = Path(path)
    return detect(path.name, _first_line(path))


def detect(name: str, header: str) -> TrialFileKind | None:
    """:func:`detect_format` from a file name and its first line: each format's module
    says whether the file is one of its kind."""
    return detect_lab(header) or detect_original(name, header)


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


def archive_members(archive: Path) -> Iterator[tuple[Path, TrialFileKind, bytes]]:
    """The trial files inside a tar archive, in sorted order: (``archive/member``, kind,
    bytes). Other members are skipped (with a warning for unknown CSV/TSV files).

    The archive is read once, in its own order (a compressed tar cannot seek back without
    decompressing again from the start), and the members sorted afterwards."""
    found: list[tuple[str, TrialFileKind, bytes]] = []
    try:
        with tarfile.open(archive, mode="r|*") as tar:  # a stream: one pass
            for member in tar:
                if not member.isfile() or Path(member.name).suffix.lower() not in (
                        ".csv", ".tsv"):
                    continue
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
                line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
                kind = detect(Path(member.name).name, line)
                if kind is None:
                    (log.debug if _is_published_table(member.name) else log.warning)(
                        "%s/%s: not a trial file (unknown header); skipped", archive,
                        member.name)
                    continue
                found.append((member.name, kind, data))
    except (tarfile.TarError, EOFError, OSError) as err:
        raise LabInputError(f"{archive}: not a readable tar archive ({err}); "
                            "re-download or re-create it") from err
    for name, kind, data in sorted(found, key=lambda f: f[0]):
        yield archive / name, kind, data


def _is_published_table(name: str) -> bool:
    """The published accuracy tables beside the 2018 raw data (``raw-accuracies/``)."""
    return "raw-accuracies/" in name


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
            if path.name.endswith(".partial"):
                raise LabInputError(
                    f"{path}: the unfinished file of a scoring run (models score writes "
                    "here until the run is complete); finish it with the same 'python -m "
                    f"models score ... --resume', then read {path.name[:-len('.partial')]}")
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
