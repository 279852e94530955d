"""Fixtures for the stimuli tests: small real images and source folders on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stimuli_helpers import DEMO_SOURCE, REPO


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
