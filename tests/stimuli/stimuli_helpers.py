"""Helpers of the stimuli tests (a uniquely named module: every test area has a
conftest, and ``from conftest import`` would depend on collection order)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
DEMO_SOURCE = REPO / "stimuli" / "demo" / "source"


def make_source(root: Path, per_class: int, size: tuple[int, int] = (40, 30),
                seed: int = 0) -> Path:
    """A source folder with ``per_class`` random RGB JPEG/PNG images per class."""
    from lab.categories import CATEGORIES

    gen = np.random.default_rng(seed)
    for category in CATEGORIES:
        folder = root / category
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = gen.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{category}_{i:03d}.png")
    return root
