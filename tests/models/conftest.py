"""Fixtures for the models tests: small real stimulus sets made from the bundled images.

Until ``python -m stimuli build`` lands, the sets are made here: real PNG files on disk
with a real manifest (``lab.manifest.write_manifest``).
"""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from lab import trial_file
from lab.manifest import MANIFEST_NAME, ManifestEntry, sha256_file, write_manifest
from lab.trial_file import read_rows
from models.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "stimuli" / "demo" / "source"
EXAMPLE_IMAGE = REPO / "stimuli" / "data" / "example_image.png"  # a lorikeet: bird


@dataclass(frozen=True)
class Source:
    path: Path
    category: str
    texture: str


def demo_sources() -> list[Source]:
    """The 48 bundled cue-conflict images (folder = shape class, texture from the name)."""
    out = []
    for path in sorted(DEMO.glob("*/*.png")):
        texture = "".join(ch for ch in path.stem.split("-")[1] if ch.isalpha())
        out.append(Source(path, path.parent.name, texture))
    return out


def make_set(root: Path, sources: list[Source], *, experiment: str = "cue-conflict",
             size: int | None = None, conditions: list[str] | None = None,
             experiments: list[str] | None = None) -> Path:
    """Write ``sources`` as PNGs (resized to ``size`` if given) plus ``manifest.csv``."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, src in enumerate(sources):
        name = f"{i:04d}_{src.path.stem}.png"
        target = root / name
        image = Image.open(src.path).convert("RGB")
        if size is not None and image.size != (size, size):
            image = image.resize((size, size), Image.Resampling.BICUBIC)
        image.save(target)
        entries.append(ManifestEntry(
            file=name, sha256=sha256_file(target),
            experiment=experiments[i] if experiments else experiment,
            condition=conditions[i] if conditions else "0", category=src.category,
            source=str(src.path.relative_to(REPO)), seed=0, width=image.size[0],
            height=image.size[1], texture=src.texture,
        ))
    write_manifest(root / MANIFEST_NAME, entries)
    return root


def score_cli(*args: str | Path) -> int:
    """``python -m models score ...`` in this process (no progress bar)."""
    return main(["score", *[str(a) for a in args], "--no-progress"])


@pytest.fixture(scope="session")
def demo_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 48 cue-conflict demo images and the example lorikeet (49 files, 224 px)."""
    sources = demo_sources() + [Source(EXAMPLE_IMAGE, "bird", "bird")]
    return make_set(tmp_path_factory.mktemp("demo") / "set", sources)


@pytest.fixture(scope="session")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight demo images, one per class for the first eight classes."""
    seen: dict[str, Source] = {}
    for s in demo_sources():
        seen.setdefault(s.category, s)
    return make_set(tmp_path_factory.mktemp("small") / "set", list(seen.values())[:8])


@pytest.fixture(scope="session")
def scored_demo(tmp_path_factory: pytest.TempPathFactory, demo_set: Path) -> Path:
    """efficientnet_lite0 (real pretrained weights) on the demo set, sum rule."""
    out = tmp_path_factory.mktemp("scored")
    assert score_cli("--model", "efficientnet_lite0", "--stimuli", demo_set,
                     "--out", out, "--rule", "sum") == 0
    return out / "cue-conflict" / "efficientnet_lite0_sum_ses-1.tsv"


@pytest.fixture
def copy_set():
    """Copy a set folder so a test may damage it."""
    def copy(src: Path, dst: Path) -> Path:
        shutil.copytree(src, dst)
        return dst
    return copy


@pytest.fixture
def set_maker():
    """:func:`make_set` (write real PNGs + manifest)."""
    return make_set


@pytest.fixture
def sources() -> list[Source]:
    """The 48 bundled cue-conflict images as :class:`Source` records."""
    return demo_sources()


@pytest.fixture
def run_score():
    """:func:`score_cli`: ``python -m models score ... --no-progress`` in this process."""
    return score_cli


@pytest.fixture
def rows():
    """``read_rows``: the rows of a trial TSV."""
    return read_rows


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    """The 48 cue-conflict demo images (3 per class) as 40 px class folders, made once for
    the training tests."""
    root = tmp_path_factory.mktemp("tiny") / "train"
    for path in sorted(DEMO.glob("*/*.png")):
        (root / path.parent.name).mkdir(parents=True, exist_ok=True)
        Image.open(path).convert("RGB").resize((40, 40), Image.Resampling.BILINEAR).save(
            root / path.parent.name / path.name)
    return root


def fail_after(monkeypatch, batches: int) -> None:
    """Test hook: the trial file's writes fail with ENOSPC after ``batches`` batches."""
    real = trial_file.TrialFile.write_many
    calls = {"n": 0}

    def write_many(self, records):
        calls["n"] += 1
        if calls["n"] > batches:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, records)

    monkeypatch.setattr(trial_file.TrialFile, "write_many", write_many)
