"""The stimulus-set manifest: ``manifest.csv`` beside the image files.

Sessions and DNN scoring read a stimulus set only through its manifest. Its sha256
column is the proof that humans and networks saw identical files.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from stimuli.errors import LabInputError

MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class ManifestEntry:
    """One stimulus file of a set."""

    file: str  #: path relative to the set's folder
    sha256: str
    experiment: str
    condition: str
    category: str  #: the correct class (for cue-conflict: the shape class)
    source: str  #: source image path relative to the source folder
    seed: int  #: seed of the manipulation's random generator for this image
    width: int
    height: int
    texture: str = ""  #: cue-conflict only: the texture class


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ManifestEntry))
_REQUIRED = COLUMNS[:-1]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(path: str | Path, entries: Iterable[ManifestEntry]) -> None:
    """Write ``entries`` to ``path`` (the caller makes it atomic, see the builder)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for entry in entries:
            writer.writerow(asdict(entry))


def read_manifest(stimulus_dir: str | Path) -> list[ManifestEntry]:
    """Entries of the set in ``stimulus_dir``, in file order."""
    path = Path(stimulus_dir) / MANIFEST_NAME
    if not path.is_file():
        raise LabInputError(
            f"{path}: no manifest; build the set with 'python -m stimuli build'"
        )
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise LabInputError(f"{path}: missing columns {missing}; rebuild the set")
        entries = []
        for line, row in enumerate(reader, start=2):
            try:
                entries.append(ManifestEntry(
                    file=row["file"], sha256=row["sha256"], experiment=row["experiment"],
                    condition=row["condition"], category=row["category"],
                    source=row["source"], seed=int(row["seed"]), width=int(row["width"]),
                    height=int(row["height"]), texture=row.get("texture") or "",
                ))
            except (TypeError, ValueError) as err:
                raise LabInputError(f"{path}:{line}: malformed row ({err})") from err
    if not entries:
        raise LabInputError(f"{path}: the manifest lists no files; rebuild the set")
    return entries


def verify_files(
    stimulus_dir: str | Path, entries: Iterable[ManifestEntry]
) -> Iterator[ManifestEntry]:
    """Yield each entry after checking its file's sha256; stop at the first mismatch.

    Raises :class:`LabInputError` naming the file when it is missing or its bytes differ
    from the manifest.
    """
    root = Path(stimulus_dir)
    for entry in entries:
        path = root / entry.file
        if not path.is_file():
            raise LabInputError(f"{path}: listed in the manifest but missing; rebuild the set")
        if sha256_file(path) != entry.sha256:
            raise LabInputError(
                f"{path}: sha256 differs from {MANIFEST_NAME}; the file was changed "
                "after the set was built; rebuild the set"
            )
        yield entry
