"""The authors' published data: bundled (the 2018 humans) or fetched on demand (the 2018
networks), each checked against sha256 sums kept in ``lab/data/``.

``geirhos2018-humans``
    the 67 human trial CSVs of Geirhos et al. 2018 (11 experiments, about 8 MB), bundled
    byte for byte in ``lab/data/geirhos2018-human-raw-data.tar.xz`` (1.4 MB). The
    readers open the archive directly (:func:`lab.readers.read_trials`).
``geirhos2018-dnn``
    the 268 network (and repeated human) CSVs of the same paper (about 57 MB), fetched
    file by file from the authors' repository at a pinned commit into a cache folder
    (default ``~/.cache/vision-generalisation-lab/geirhos2018-dnn``). Each file is written
    only after its sha256 matched, so an interrupted fetch continues where it stopped.

``geirhos2018-fine-tuning``
    the per-trial data of the paper's 20 ResNet-50s trained on distortions (its Figure 4)
    on the 8 test experiments, and the accuracies published with them (1152 files, about
    174 MB), fetched the same way (``raw-data/fine-tuning/`` and
    ``raw-accuracies/fine-tuning/`` of the repository). A copy of the data as one archive
    (``fine-tuning.tar.xz``) is read directly: give its path instead of the name.

All are CC-BY 4.0 (credits: ``stimuli/data/CREDITS.md``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabInputError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
#: The bundled 2018 human raw data (a tar.xz of ``human-raw-data/<experiment>/*.csv``).
HUMANS_2018 = DATA_DIR / "geirhos2018-human-raw-data.tar.xz"
#: Per-condition accuracies published with the 2018 paper (humans and three networks).
PUBLISHED_2018 = DATA_DIR / "published_accuracies_2018.csv"

#: The authors' repository at the commit whose files the sums below were taken from.
GEIRHOS2018_REPO_URL = ("https://raw.githubusercontent.com/rgeirhos/generalisation-humans-DNNs/"
                        "384cb824f715285e16ab7e12af9556feaa8549fc/")
GEIRHOS2018_RAW_URL = GEIRHOS2018_REPO_URL + "raw-data/TF/"
#: Seconds to wait for a server before calling the fetch offline.
TIMEOUT_S = 20.0
_CHUNK = 1 << 16


@dataclass(frozen=True)
class RemoteDataset:
    """A published data set fetched on demand: file list with sha256 sums, base URL."""

    name: str
    description: str
    base_url: str
    sums_file: Path  #: ``sha256sum`` format: ``<sha256>  <relative path>`` per line

    def files(self) -> list[tuple[str, str]]:
        """(relative path, sha256) of every file, in the order of the sums file."""
        out = []
        for line in self.sums_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                digest, _, rel = line.partition("  ")
                out.append((rel.strip(), digest.strip()))
        return out


REMOTE: dict[str, RemoteDataset] = {
    "geirhos2018-dnn": RemoteDataset(
        "geirhos2018-dnn",
        "the 2018 networks' raw data (GoogLeNet, VGG-19, ResNet-152; about 57 MB)",
        GEIRHOS2018_RAW_URL, DATA_DIR / "geirhos2018-dnn-raw-data.sha256"),
    "geirhos2018-fine-tuning": RemoteDataset(
        "geirhos2018-fine-tuning",
        "the 2018 fine-tuned networks' raw data and published accuracies (20 ResNet-50s "
        "trained on distortions, the paper's Figure 4; about 174 MB)",
        GEIRHOS2018_REPO_URL, DATA_DIR / "geirhos2018-fine-tuning.sha256"),
}


class FetchOffline(Exception):
    """The server could not be reached (no network, refused, timed out)."""


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/vision-generalisation-lab`` (``~/.cache/...`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "vision-generalisation-lab"


def remote_dataset(name: str) -> RemoteDataset:
    if name not in REMOTE:
        raise LabInputError(f"unknown data set {name!r}: use one of {', '.join(REMOTE)}")
    return REMOTE[name]


def dataset_folder(name: str, cache: Path | None = None) -> Path:
    """Where ``name`` is (or would be) cached."""
    return (cache or default_cache()) / remote_dataset(name).name


def missing_files(name: str, cache: Path | None = None) -> list[str]:
    """Files of ``name`` not yet in the cache (present files were checked when written)."""
    folder = dataset_folder(name, cache)
    return [rel for rel, _ in remote_dataset(name).files() if not (folder / rel).is_file()]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: Path, expected: str) -> None:
    """``url`` -> ``target`` through ``target.part``; renamed only when the sha256 matches."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, \
                open(part, "wb") as fh:
            while chunk := response.read(_CHUNK):
                fh.write(chunk)
    except urllib.error.HTTPError as err:
        part.unlink(missing_ok=True)
        raise LabInputError(f"{url}: the server answered {err.code} {err.reason}; "
                            "check --url") from err
    except (urllib.error.URLError, OSError) as err:
        part.unlink(missing_ok=True)
        reason = getattr(err, "reason", None) or err
        raise FetchOffline(f"{url}: {reason}") from err
    found = _sha256(part)
    if found != expected:
        part.unlink()
        raise LabInputError(f"{url}: sha256 {found[:12]}... is not the expected "
                            f"{expected[:12]}...; the file changed upstream or the mirror "
                            "is wrong (nothing kept)")
    os.replace(part, target)


def fetch(name: str, cache: Path | None = None, base_url: str | None = None) -> Path:
    """Fetch every missing file of ``name`` into the cache; returns the folder.

    Raises :class:`FetchOffline` when the server cannot be reached (files fetched so far
    stay, so the next call continues) and :class:`LabInputError` on a wrong checksum.
    """
    dataset = remote_dataset(name)
    folder = dataset_folder(name, cache)
    base = (base_url or dataset.base_url).rstrip("/") + "/"
    todo = [(rel, digest) for rel, digest in dataset.files() if not (folder / rel).is_file()]
    for i, (rel, digest) in enumerate(todo, start=1):
        log.info("%s: %d of %d: %s", name, i, len(todo), rel)
        _download(base + rel, folder / rel, digest)
    return folder


#: Names a user may give in place of a PATH.
NAMED_PATHS = ("geirhos2018-humans", "geirhos2018-dnn", "geirhos2018-fine-tuning")


def resolve_paths(paths: list[str | Path], cache: Path | None = None) -> list[Path]:
    """Replace the names of :data:`NAMED_PATHS` (where no such file exists) by their data:
    the bundled archive, or the cache folder of a fetched data set."""
    out = []
    for raw in paths:
        text = str(raw)
        if text not in NAMED_PATHS or Path(text).exists():
            out.append(Path(raw))
        elif text == "geirhos2018-humans":
            out.append(HUMANS_2018)
        else:
            missing = missing_files(text, cache)
            if missing:
                raise LabInputError(f"{text}: {len(missing)} files not fetched yet; run "
                                    f"python -m results fetch {text}")
            out.append(dataset_folder(text, cache))
    return out
