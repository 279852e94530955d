"""The stimulus-set manifest: ``manifest.csv`` beside the image files.

Sessions and DNN scoring read a stimulus set only through its manifest. Its sha256
column is the proof that humans and networks saw identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path, PureWindowsPath

from PIL import Image

from lab.categories import CATEGORIES
from lab.errors import LabInputError
from lab.images import DECODE_ERRORS, quiet_bombs

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
_SHA256 = re.compile(r"[0-9a-f]{64}")


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


def check_member_path(file: str, where: str) -> str:
    """``file`` if it is a plain relative path inside the set; else a one-line error.

    Refused: empty, absolute (``/etc/passwd``, ``C:\\x``), with a backslash, with ``.`` or
    ``..`` parts, or with a NUL byte. Symlinks are checked where the file is opened
    (:func:`verify_files`)."""
    parts = file.split("/")
    if (not file or "\\" in file or "\0" in file or file.startswith("/")
            or PureWindowsPath(file).drive or any(p in ("", ".", "..") for p in parts)):
        raise LabInputError(
            f"{where}: file {file!r} is not a path inside the set (absolute, '..' or "
            "empty parts are refused); a manifest lists only its own folder's files; "
            "rebuild the set"
        )
    return file


def _entry(row: dict[str, str | None], where: str) -> ManifestEntry:
    if None in row or any(row.get(c) is None for c in _REQUIRED):
        found = sum(1 for k, v in row.items() if k is not None and v is not None)
        raise LabInputError(f"{where}: {found} fields where the header has "
                            f"{len(row) - (None in row)}; the manifest is truncated or "
                            "damaged; rebuild the set")
    values = {c: (row.get(c) or "") for c in COLUMNS}
    check_member_path(values["file"], where)
    if not _SHA256.fullmatch(values["sha256"]):
        raise LabInputError(f"{where}: sha256 {values['sha256']!r} is not 64 hex digits; the "
                            "manifest is damaged; rebuild the set")
    try:
        seed, width, height = (int(values[c]) for c in ("seed", "width", "height"))
    except ValueError as err:
        raise LabInputError(f"{where}: malformed row ({err}); rebuild the set") from err
    if seed < 0 or width <= 0 or height <= 0:
        raise LabInputError(f"{where}: seed must be 0 or more and width, height positive; "
                            "rebuild the set")
    for column in ("category", "texture"):
        if values[column] not in CATEGORIES and (column == "category" or values[column]):
            raise LabInputError(f"{where}: {column} {values[column]!r} in the manifest is not "
                                "one of the 16 classes; rebuild the set")
    return ManifestEntry(
        file=values["file"], sha256=values["sha256"], experiment=values["experiment"],
        condition=values["condition"], category=values["category"], source=values["source"],
        seed=seed, width=width, height=height, texture=values["texture"],
    )


def read_manifest(stimulus_dir: str | Path) -> list[ManifestEntry]:
    """Entries of the set in ``stimulus_dir``, in file order.

    Everything is checked before a file of the set is opened: text (UTF-8, no NUL), complete
    (ends with a newline; every row has every field), paths inside the set, sha256 format,
    seeds and sizes, class names, no file listed twice. Each problem is one
    :class:`LabInputError` naming the manifest and line.
    """
    path = Path(stimulus_dir) / MANIFEST_NAME
    if not path.is_file():
        raise LabInputError(
            f"{path}: no manifest; build the set with 'python -m stimuli build'"
        )
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as err:
        raise LabInputError(f"{path}: cannot read ({err.strerror})") from err
    except UnicodeDecodeError:
        raise LabInputError(f"{path}: not a text manifest (binary or damaged bytes); "
                            "rebuild the set") from None
    if "\0" in text:
        raise LabInputError(f"{path}: holds NUL bytes (binary or damaged); rebuild the set")
    if text and not text.endswith("\n"):
        raise LabInputError(f"{path}: truncated (the last line is incomplete); rebuild the set")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise LabInputError(f"{path}: missing columns {missing}; rebuild the set")
        entries = [_entry(row, f"{path}:{line}") for line, row in enumerate(reader, start=2)]
    except csv.Error as err:
        raise LabInputError(f"{path}: not a valid CSV ({err}); rebuild the set") from err
    if not entries:
        raise LabInputError(f"{path}: the manifest lists no files; rebuild the set")
    seen: set[str] = set()
    for line, entry in enumerate(entries, start=2):
        if entry.file in seen:
            raise LabInputError(f"{path}:{line}: {entry.file} is listed twice; rebuild the set")
        seen.add(entry.file)
    return entries


def member_path(stimulus_dir: str | Path, entry: ManifestEntry) -> Path:
    """The file of ``entry`` inside ``stimulus_dir``; refuses a path or symlink leading out."""
    root = Path(stimulus_dir)
    path = root / check_member_path(entry.file, f"{root / MANIFEST_NAME}")
    try:
        inside = path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise LabInputError(f"{path}: cannot resolve ({err}); rebuild the set") from err
    if not inside:
        raise LabInputError(
            f"{path}: a symlink leading outside the set ({path.resolve()}); a stimulus set "
            "holds its own files; replace the link with the file or rebuild the set"
        )
    return path


def check_image(path: Path, data: bytes, entry: ManifestEntry) -> None:
    """The bytes of ``path`` decode to an image of the manifest's size; one-line error if
    not (a corrupt file whose sha256 was recorded, an oversized header)."""
    try:
        with quiet_bombs(), Image.open(io.BytesIO(data)) as im:
            if im.size != (entry.width, entry.height):
                raise LabInputError(
                    f"{path}: {im.size[0]}x{im.size[1]} px, the manifest says "
                    f"{entry.width}x{entry.height}; rebuild the set"
                )
            im.load()
    except LabInputError:
        raise
    except (*DECODE_ERRORS, Image.DecompressionBombError) as err:
        raise LabInputError(f"{path}: cannot be decoded as an image ({type(err).__name__}); "
                            "rebuild the set") from err


def verify_files(
    stimulus_dir: str | Path, entries: Iterable[ManifestEntry], *, decode: bool = True
) -> Iterator[ManifestEntry]:
    """Yield each entry after checking its file; stop at the first problem.

    Raises :class:`LabInputError` naming the file when it lies outside the set (a symlink
    leading out), is missing, its bytes differ from the manifest's sha256, or (with
    ``decode``) it does not decode to an image of the manifest's size.
    """
    for entry in entries:
        path = member_path(stimulus_dir, entry)
        if not path.is_file():
            raise LabInputError(f"{path}: listed in the manifest but missing; rebuild the set")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise LabInputError(f"{path}: cannot read ({err.strerror})") from err
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise LabInputError(
                f"{path}: sha256 differs from {MANIFEST_NAME}; the file was changed "
                "after the set was built; rebuild the set"
            )
        if decode:
            check_image(path, data, entry)
        yield entry
