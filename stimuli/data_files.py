"""Bundled numeric data (``stimuli/data/``), loaded once, lazily, read-only."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).with_name("data")
MAPPING_FILE = DATA_DIR / "MSCOCO_to_ImageNet_category_mapping.txt"
IMAGENET_FILE = DATA_DIR / "imagenet_categories.txt"


def _load(name: str) -> np.ndarray:
    arr = np.load(DATA_DIR / name)
    arr.setflags(write=False)
    return arr


@cache
def mean_power_spectrum() -> np.ndarray:
    """Mean amplitude spectrum of the grey 224 px images (fftshifted: DC at [112, 112])."""
    return _load("mean_power_spectrum_grey.npy")


@cache
def display_gamma_curve() -> np.ndarray:
    """Measured display curve of the 2018 lab: 256 luminances in [0, 1], one per 8-bit
    value, increasing."""
    return _load("x_gamma_function.npy").reshape(-1)
