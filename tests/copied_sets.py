"""Source folders for the copied-set experiments (edge, silhouette, sketch, stylized:
model-vs-human, Geirhos et al. 2021), shared by the stimuli, experiment and models tests:
the bundled edges and silhouettes, or a made folder of distinct plain PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lab.categories import CATEGORIES
from lab.design import load_experiment

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "stimuli" / "demo"
BUNDLED = {"edge": DEMO / "edges", "silhouette": DEMO / "filled-silhouettes"}


def image_folder(root: Path, per_class: int, size: int = 224) -> Path:
    """``root/<class>/<class>-NNNN.png``: distinct small-content PNGs at ``size`` px."""
    for k, category in enumerate(CATEGORIES):
        (root / category).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((size, size), (k * per_class + i) % 251, dtype=np.uint8)
            pixels[0, : 1 + i % size] = 255 - k
            Image.fromarray(pixels).save(root / category / f"{category}-{i + 1:04d}.png")
    return root


def copied_source(name: str, tmp_path: Path, per_class: int | None = None) -> Path:
    """The bundled folder of ``name`` where there is one, else ``tmp_path/src`` made with
    ``per_class`` images a class (default: what the design shows an observer)."""
    if name in BUNDLED:
        return BUNDLED[name]
    if per_class is None:
        per_class = load_experiment(name).trials_per_observer // len(CATEGORIES)
    return image_folder(tmp_path / "src", per_class)
