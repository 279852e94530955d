"""The stimulus-set builder: balance, determinism, regeneration, names, manifest."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stimuli_helpers import make_source

from lab.categories import CATEGORIES
from lab.design import load_experiment
from lab.images import png_bytes
from lab.manifest import read_manifest, sha256_file, verify_files
from stimuli.builder import (
    build_set,
    plan_set,
    render_stimulus,
    scan_sources,
    warn_reused_sources,
)

NAME = re.compile(r"^(\d{4})_([a-z0-9]+)_([A-Za-z0-9-]+)_([^_]+)_([a-z]+)_(.+)\.png$")


@pytest.fixture
def source4(tmp_path: Path) -> Path:
    return make_source(tmp_path / "src", per_class=4)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, list]:
    """One uniform-noise set (128 stimuli, 40x30 sources resized to 256 px), built once."""
    root = tmp_path_factory.mktemp("built")
    source = make_source(root / "src", per_class=4)
    out = root / "set"
    entries = build_set("uniform-noise", source, out, seed=5, per_condition=16, workers=1,
                        progress=False, set_name="dnn")
    return source, out, entries


def test_plan_is_class_and_condition_balanced_and_spread(source4):
    design = load_experiment("contrast")
    plan = plan_set(design, scan_sources(source4, design), per_condition=32, seed=3)
    assert len(plan) == 8 * 32
    assert [p.number for p in plan] == list(range(1, 257))
    per_cell = Counter((p.condition, p.source.category) for p in plan)
    assert set(per_cell.values()) == {2} and len(per_cell) == 8 * 16
    for condition in design.conditions:  # without replacement within a condition
        sources = [p.source.path for p in plan if p.condition == condition]
        assert len(sources) == len(set(sources))
    usage = Counter(p.source.path for p in plan)
    assert set(usage.values()) == {4}  # 16 slots per class over 4 images: 4 each
    assert len({p.seed for p in plan}) == len(plan)


def test_uneven_source_is_spread_as_evenly_as_possible(tmp_path):
    src = make_source(tmp_path / "src", per_class=3)
    design = load_experiment("contrast")
    plan = plan_set(design, scan_sources(src, design), per_condition=32, seed=0)
    usage = Counter(p.source.path for p in plan)
    assert set(usage.values()) <= {5, 6}  # 16 slots over 3 images: 5 or 6 each


def test_build_writes_set_and_manifest(built):
    _, out, entries = built
    assert len(entries) == 128
    manifest = read_manifest(out)
    assert manifest == entries
    assert list(verify_files(out, manifest)) == manifest
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 129 and "manifest.csv" in files
    for entry in manifest:
        match = NAME.match(entry.file)
        assert match, entry.file
        number, code, set_name, condition, category, stem = match.groups()
        assert (code, set_name, condition, category) == ("nse", "dnn", entry.condition,
                                                         entry.category)
        assert stem == Path(entry.source).stem and entry.source.startswith(category + "/")
        assert (entry.width, entry.height, entry.texture) == (256, 256, "")
    with Image.open(out / manifest[0].file) as im:  # grey stimuli: greyscale PNG
        assert im.mode == "L" and im.size == (256, 256)  # 40x30 sources resized


def test_same_seed_same_bytes_with_any_number_of_workers(built, tmp_path):
    source, first, entries = built
    again = build_set("uniform-noise", source, tmp_path / "again", seed=5, per_condition=16,
                      workers=2, progress=False, set_name="dnn")
    assert again == entries
    assert (tmp_path / "again" / "manifest.csv").read_bytes() == \
        (first / "manifest.csv").read_bytes()


def test_other_seed_gives_other_plan_and_pixels(built):
    source, _, entries = built
    design = load_experiment("uniform-noise")
    other = plan_set(design, scan_sources(source, design), per_condition=16, seed=6)
    assert [(p.source.path, p.condition) for p in other] != \
        [(e.source, e.condition) for e in entries]
    first = entries[0]
    a = render_stimulus(source / first.source, "uniform-noise", "0.90", first.seed)
    b = render_stimulus(source / first.source, "uniform-noise", "0.90", first.seed + 1)
    assert not np.array_equal(a, b)


def test_every_stimulus_regenerates_bit_for_bit_from_its_manifest_row(built):
    source, out, _ = built
    design = load_experiment("uniform-noise")
    for entry in read_manifest(out)[:10]:
        image = render_stimulus(source / entry.source, design, entry.condition, entry.seed)
        assert png_bytes(image) == (out / entry.file).read_bytes()
        assert sha256_file(out / entry.file) == entry.sha256


def test_cue_conflict_demo_records_texture(demo_source, tmp_path):
    out = tmp_path / "cue"
    entries = build_set("cue-conflict", demo_source, out, seed=0, per_condition=48,
                        workers=1, progress=False)
    assert len(entries) == 48 and {e.category for e in entries} == set(CATEGORIES)
    for entry in entries:
        shape, texture = re.match(r"([a-z]+)\d+-([a-z]+)\d+", Path(entry.source).stem).groups()
        assert (entry.category, entry.texture) == (shape, texture)
        assert entry.file.split("_")[1:4] == ["s5n", "s01", "0"]
        # unmanipulated 224 px sources: the PNG holds the source pixels exactly
        with Image.open(out / entry.file) as a, Image.open(demo_source / entry.source) as b:
            assert np.array_equal(np.asarray(a), np.asarray(b.convert("RGB")))


def test_whole_image_set_design_takes_every_image_without_per_condition(demo_source,
                                                                      tmp_path):
    design = load_experiment("cue-conflict")
    assert design.whole_image_set
    plan = plan_set(design, scan_sources(demo_source, design), per_condition=None, seed=2)
    assert sorted(p.source.path for p in plan) == sorted(
        f"{d.name}/{f.name}" for d in demo_source.iterdir() for f in d.iterdir())
    assert [p.number for p in plan] == list(range(1, 49))
    # a class with fewer images is fine: the whole set is taken as it is
    (demo_source / "cat" / "cat1-bird1.png").unlink()
    plan = plan_set(design, scan_sources(demo_source, design), per_condition=None, seed=2)
    assert len(plan) == 47


def test_greyscale_sources_are_skipped_with_a_warning(source4, tmp_path, caplog):
    grey = source4 / "cat" / "cat_grey.png"
    Image.fromarray(np.full((30, 40), 90, dtype=np.uint8)).save(grey)
    design = load_experiment("colour")
    with caplog.at_level("WARNING"):
        sources = scan_sources(source4, design)
    assert "cat/cat_grey.png" not in {s.path for s in sources["cat"]}
    assert len(sources["cat"]) == 4
    assert "greyscale" in caplog.text and "cat/cat_grey.png" in caplog.text


def test_rgb_files_keep_the_pixels_as_three_identical_channels(tmp_path: Path) -> None:
    """--rgb-files (the layout of the 2018 stimulus files, RGB): the same pixels as the
    default greyscale files, written as RGB with three equal channels."""
    source = make_source(tmp_path / "src", per_class=1)
    grey = build_set("contrast", source, tmp_path / "grey", seed=2, per_condition=16,
                     workers=1, progress=False)
    rgb = build_set("contrast", source, tmp_path / "rgb", seed=2, per_condition=16,
                    workers=1, progress=False, rgb_files=True)
    assert [e.file for e in grey] == [e.file for e in rgb]
    for a, b in zip(grey[:8], rgb[:8], strict=True):
        with Image.open(tmp_path / "grey" / a.file) as g, \
                Image.open(tmp_path / "rgb" / b.file) as r:
            assert g.mode == "L" and r.mode == "RGB"
            pixels = np.asarray(r)
            assert np.array_equal(pixels[..., 0], pixels[..., 1])
            assert np.array_equal(pixels[..., 0], pixels[..., 2])
            assert np.array_equal(np.asarray(g.convert("RGB")), pixels)
    assert {e.sha256 for e in grey}.isdisjoint({e.sha256 for e in rgb})


def test_a_set_that_reuses_sources_warns_how_many_an_observer_needs(source4, caplog):
    design = load_experiment("contrast")
    plan = plan_set(design, scan_sources(source4, design), per_condition=32, seed=3)
    with caplog.at_level("WARNING", logger="stimuli.builder"):
        line = warn_reused_sources("contrast", plan)
    assert line is not None and line in caplog.text
    assert "256 stimuli from 64 distinct source images (each used in up to 4 conditions)" \
        in line
    assert "one observer can see at most 64" in line and "needs 256 distinct" in line
    assert "--repeat-sources" in line
    once = plan_set(design, scan_sources(make_source(source4.parent / "big", per_class=16),
                                         design), per_condition=16, seed=3)
    assert warn_reused_sources("contrast", once) is None  # 128 slots, 256 sources
