"""Bit-identical stimuli: digests recorded before a refactor must not change.

``data/stimulus_digests.json`` holds the sha256 of the 8-bit stimuli each design's
conditions produced (on the bundled example image, seed 7, float64 and float32) and of
three small built sets, as recorded when condition codes moved from the manipulations into
the design files (set digests: decoded pixels, so they hold whatever the PNG encoding). Any
change of stimulus values (for speed, say) fails here. A deliberate change of a
manipulation's output must update the digests in the same commit and say why.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stimuli_helpers import DEMO_SOURCE, REPO, make_source

from lab.design import bundled_designs
from lab.images import load_rgb, to_uint8
from stimuli.builder import build_set
from stimuli.manipulations import apply_condition, get_manipulation

DIGESTS = json.loads((Path(__file__).with_name("data") / "stimulus_digests.json").read_text())
EXAMPLE = REPO / "stimuli" / "data" / "example_image.png"


def digest(image: np.ndarray) -> str:
    return hashlib.sha256(to_uint8(image).tobytes()).hexdigest()[:16]


def example(size: int) -> np.ndarray:
    return load_rgb(EXAMPLE, size)


@pytest.mark.parametrize("name", sorted(bundled_designs()))
def test_every_condition_of_every_design_is_unchanged(name):
    design = bundled_designs()[name]
    # power equalisation needs the mean spectrum's size; critical-band's top band needs > 112 px
    image = example(224 if design.manipulation in ("power-equalisation", "critical-band",
                                                   "critical-band-ideal") else 64)
    for condition in design.conditions:
        for dtype in (np.float64, np.float32):
            out = apply_condition(design, image.astype(dtype), condition, np.random.default_rng(7))
            key = f"{name}/{condition}/{np.dtype(dtype).name}"
            assert digest(out) == DIGESTS["by_design"][key], key


def test_manipulations_without_an_experiment_are_unchanged():
    image = example(64)
    for key, expected in DIGESTS["by_parameters"].items():
        name, parameter = key.split("/")
        param, value = parameter.split("=")
        out = get_manipulation(name)(image, np.random.default_rng(7), **{param: float(value)})
        assert digest(out) == expected, key


def set_digest(out: Path, entries, with_texture: bool = False) -> str:
    """File names (and textures) and the decoded RGB pixels of every file, in order: the
    stimuli as observers and networks see them, whatever the PNG encoding."""
    digest = hashlib.sha256()
    for e in entries:
        digest.update((e.file + (e.texture if with_texture else "")).encode())
        with Image.open(out / e.file) as im:
            digest.update(np.asarray(im.convert("RGB")).tobytes())
    return digest.hexdigest()[:16]


def test_built_sets_are_unchanged(tmp_path):
    source = make_source(tmp_path / "src", per_class=2, size=(40, 30))
    for experiment in ("uniform-noise", "low-pass", "rotation"):
        out = tmp_path / experiment
        entries = build_set(experiment, source, out, seed=11, per_condition=16, workers=1,
                            progress=False)
        assert set_digest(out, entries) == DIGESTS["sets"][experiment], experiment
    out = tmp_path / "cc"
    entries = build_set("cue-conflict", DEMO_SOURCE, out, seed=3, per_condition=48,
                        workers=1, progress=False)
    assert set_digest(out, entries, with_texture=True) == DIGESTS["sets"]["cue-conflict"]


def test_sharp_eidolon_is_the_earlier_eidolon():
    """``eidolon-sharp`` keeps, bit for bit, the eidolons the eidolon designs made before
    their default became the 2018 toolbox's."""
    sharp = get_manipulation("eidolon-sharp")
    image = example(64)
    for key, expected in DIGESTS["eidolon_sharp_by_design"].items():
        name, condition, dtype = key.split("/")
        parameters = bundled_designs()[name].parameters_of(condition)
        out = sharp(image.astype(dtype), np.random.default_rng(7), **parameters)
        assert digest(out) == expected, key
