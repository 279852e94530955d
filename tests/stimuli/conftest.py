"""Fixtures for the stimuli tests: small real images and source folders on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
DEMO_SOURCE = REPO / "stimuli" / "demo" / "source"
SHARED_DATA = REPO / ".." / "shared" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def example_image() -> np.ndarray:
    """The bundled lorikeet, 224 px float RGB."""
    im = Image.open(REPO / "stimuli" / "data" / "example_image.png").convert("RGB")
    return np.asarray(im, dtype=np.float64) / 255.0


@pytest.fixture
def demo_source(tmp_path: Path) -> Path:
    """A writable copy of the 48 bundled cue-conflict images (3 per class)."""
    dest = tmp_path / "source"
    shutil.copytree(DEMO_SOURCE, dest)
    return dest


def make_source(root: Path, per_class: int, size: tuple[int, int] = (40, 30),
                seed: int = 0) -> Path:
    """A source folder with ``per_class`` random RGB JPEG/PNG images per class."""
    from stimuli.categories import CATEGORIES

    gen = np.random.default_rng(seed)
    for category in CATEGORIES:
        folder = root / category
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = gen.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{category}_{i:03d}.png")
    return root
