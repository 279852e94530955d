"""Putting a finished stimulus set into place: ``--out`` is refused unless it is new, empty
or (with ``--force``) only a previous stimulus set; the set is written into a hidden folder
beside it and renamed into place atomically. Shared by the builder (rendered sets) and
:mod:`stimuli.copyset` (copied sets)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.errors import LabInputError
from lab.manifest import MANIFEST_NAME, read_manifest, sha256_file


def check_replaceable(out: Path, force: bool) -> str | None:
    """Refuse an existing non-empty ``out`` unless --force and it is only a stimulus set.

    Returns what may be replaced: ``None`` (nothing there, or an empty folder) or the
    sha256 of the previous set's manifest (with --force)."""
    if not out.exists() and not out.is_symlink():
        return None
    if not out.is_dir() or out.is_symlink():
        raise LabInputError(f"{out}: exists and is not a folder; choose another --out")
    contents = sorted(out.rglob("*"))
    if not contents:
        return None
    if not force:
        raise LabInputError(
            f"{out}: folder exists and is not empty; choose another --out, or use --force "
            "to replace a previous stimulus set there"
        )
    if not (out / MANIFEST_NAME).is_file():
        raise LabInputError(
            f"{out}: not a stimulus set (no {MANIFEST_NAME}); --force replaces only a "
            "previous stimulus set; choose another --out"
        )
    listed = {entry.file for entry in read_manifest(out)} | {MANIFEST_NAME}
    foreign = [p for p in contents if p.relative_to(out).as_posix() not in listed
               and not (p.is_dir() and any(f.startswith(p.relative_to(out).as_posix() + "/")
                                           for f in listed))]
    if foreign:
        raise LabInputError(
            f"{out}: holds {foreign[0].relative_to(out)} (not part of the stimulus set, "
            "maybe trial data); refusing to replace it; choose another --out"
        )
    return sha256_file(out / MANIFEST_NAME)


def place(tmp: Path, out: Path, replaceable: str | None, force: bool) -> None:
    """Move the finished set into place atomically.

    Nothing was there (or an empty folder): one ``rename``, which the kernel refuses if a
    non-empty folder or a file has appeared at ``out`` meanwhile. A previous set (--force):
    checked again, then renamed away, the new one renamed in, the old one removed."""
    appeared = LabInputError(
        f"{out}: appeared while this set was built (another build?); nothing was replaced "
        "and this build was discarded; choose another --out"
        + ("" if force else ", or use --force to replace it")
    )
    if replaceable is not None and (out.exists() or out.is_symlink()):
        if check_replaceable(out, force) != replaceable:
            raise LabInputError(
                f"{out}: the previous set changed while this set was built (another "
                "build?); nothing was replaced and this build was discarded; run again"
            )
    else:
        try:
            os.rename(tmp, out)  # atomic; refused if a non-empty folder or a file is there
        except OSError as err:
            if out.exists() or out.is_symlink():
                raise appeared from err
            raise
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    out.rename(old)  # onto the empty folder just made
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)  # put the previous set back
        raise appeared from None
    shutil.rmtree(old)



@contextmanager
def building(out: Path) -> Iterator[Path]:
    """A hidden folder beside ``out`` to write a new set into; removed again if anything
    fails inside the ``with`` (an operating-system error becomes one line naming ``out``).
    Finish with :func:`place` inside the block."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    except OSError as err:
        raise LabInputError(f"{out}: cannot create the set there ({err.strerror or err}); "
                            "choose another --out") from err
    try:
        yield tmp
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LabInputError(f"{out}: writing the set failed ({err.strerror or err}); nothing "
                            "was replaced; free space or choose another --out") from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
