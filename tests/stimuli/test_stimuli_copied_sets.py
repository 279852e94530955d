"""The edge, silhouette, sketch and stylized experiments (model-vs-human, Geirhos et al.
2021; edge and silhouette from texture-vs-shape, Geirhos et al. 2019): their designs match
the human data, and their sets are the user's folder copied byte for byte, refused in one
line when the folder does not match the experiment."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from lab.categories import CATEGORIES
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.manifest import MANIFEST_NAME, read_manifest, sha256_file
from stimuli.builder import build_set
from tests.copied_sets import copied_source

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "stimuli" / "demo"
MVH_HUMANS = REPO.parent / "shared" / "data" / "model-vs-human" / "human-raw-data"
COPIED = {"edge": 10, "silhouette": 10, "sketch": 50, "stylized": 50}  # images per class


def source_folder(name: str, tmp_path: Path) -> Path:
    # the count per class from COPIED, not the design, so the design is checked against it
    return copied_source(name, tmp_path, COPIED[name])


@pytest.mark.parametrize("name", sorted(COPIED))
def test_the_design_is_what_the_human_data_recorded(name):
    design = load_experiment(name)
    assert design.copy_sources and design.whole_image_set
    assert design.manipulation == "none" and design.conditions == ("0",)
    assert design.trials_per_observer == COPIED[name] * 16
    assert design.image_size == 224
    if not (MVH_HUMANS / name).is_dir():
        pytest.skip("model-vs-human human raw data not in ../shared/data")
    files = sorted((MVH_HUMANS / name).glob("*.csv"))
    assert design.observers == len(files)
    for path in files:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == design.trials_per_observer
        assert {r["condition"] for r in rows} == {"0"}
        assert {r["imagename"].split("_")[1] for r in rows} == {design.code}
        assert len({r["imagename"].split("_", 3)[3] for r in rows}) == len(rows)  # once each


@pytest.mark.parametrize("name", sorted(COPIED))
def test_the_set_is_the_folder_copied_byte_for_byte(name, tmp_path):
    source = source_folder(name, tmp_path)
    entries = build_set(name, source, tmp_path / "set", seed=3, progress=False)
    design = load_experiment(name)
    assert len(entries) == design.trials_per_observer
    assert Counter(e.category for e in entries) == {c: COPIED[name] for c in CATEGORIES}
    assert sorted(e.source for e in entries) == sorted(
        p.relative_to(source).as_posix() for p in source.glob("*/*.png"))
    for entry in entries:
        copied = tmp_path / "set" / entry.file
        assert copied.read_bytes() == (source / entry.source).read_bytes()
        assert entry.sha256 == sha256_file(copied)
        # named as model-vs-human names its trials: NNNN_<code>_<set>_0_<class>_00_<file>
        number, code, set_name, condition, category, zero, file = entry.file.split("_", 6)
        assert (code, set_name, condition, category, zero) == (
            design.code, "s01", "0", entry.category, "00")
        assert file == Path(entry.source).name and len(number) == 4
    assert read_manifest(tmp_path / "set") == entries
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == sorted(
        [e.file for e in entries] + [MANIFEST_NAME])
    # the order is shuffled by the seed, and reproducible
    again = build_set(name, source, tmp_path / "again", seed=3, progress=False)
    assert [e.file for e in again] == [e.file for e in entries]
    other = build_set(name, source, tmp_path / "other", seed=4, progress=False)
    assert [e.source for e in other] != [e.source for e in entries]


def test_the_command_builds_the_bundled_edges(tmp_path):
    done = subprocess.run([sys.executable, "-m", "stimuli", "build", "edge", "--source",
                           str(DEMO / "edges"), "--out", str(tmp_path / "edge")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote 160 stimuli" in done.stdout
    assert len(read_manifest(tmp_path / "edge")) == 160


def _refusal(name: str, source: Path, out: Path) -> str:
    with pytest.raises(LabInputError) as err:
        build_set(name, source, out, progress=False)
    message = str(err.value)
    assert "\n" not in message
    assert not out.exists()
    return message


def test_a_folder_of_the_wrong_shape_is_refused_in_one_line(tmp_path):
    src = tmp_path / "edges"
    shutil.copytree(DEMO / "edges", src)
    out = tmp_path / "out"
    # the 10-per-class edges are not a sketch set
    assert "50 per class" in _refusal("sketch", src, out)
    # one image too many
    shutil.copyfile(src / "cat" / "cat1.png", src / "cat" / "cat11.png")
    message = _refusal("edge", src, out)
    assert str(src / "cat") in message and "11 images" in message and "exactly 10" in message
    (src / "cat" / "cat11.png").unlink()
    # a class folder missing
    shutil.move(src / "oven", tmp_path / "oven")
    message = _refusal("edge", src, out)
    assert "no folder for the classes oven" in message
    # a folder that is not a class
    (tmp_path / "oven").rename(src / "ovens")
    assert "'ovens' is not one of the 16 classes" in _refusal("edge", src, out)
    (src / "ovens").rename(src / "oven")
    # images not in class folders (a flat folder), and a class folder given instead
    shutil.copyfile(src / "dog" / "dog1.png", src / "dog1.png")
    assert "outside the class folders" in _refusal("edge", src, out)
    (src / "dog1.png").unlink()
    assert "no class folders" in _refusal("edge", src / "cat", out)
    # an image of the wrong size
    Image.open(src / "car" / "car1.png").resize((256, 256)).save(src / "car" / "car1.png")
    message = _refusal("edge", src, out)
    assert "car1.png: 256 x 256 px" in message and "224 x 224" in message
    # and what would change the images
    shutil.copyfile(DEMO / "edges" / "car" / "car1.png", src / "car" / "car1.png")
    with pytest.raises(LabInputError, match="--per-condition"):
        build_set("edge", src, out, per_condition=16, progress=False)
    build_set("edge", src, out, progress=False)  # the repaired folder builds


def test_the_refusal_is_one_line_on_the_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "stimuli", "build", "silhouette",
                           "--source", str(DEMO / "edges" / "cat"), "--out",
                           str(tmp_path / "x")], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "no class folders" in done.stderr


@pytest.mark.parametrize("change", [
    ("whole_image_set = true", "whole_image_set = false"),
    ('manipulation = "none"', 'manipulation = "contrast"'),
    ("trials_per_observer = 160", "trials_per_observer = 150"),
])
def test_a_copied_design_must_show_each_image_as_it_is(change, tmp_path):
    from lab.design import EXPERIMENTS_DIR, load_design_file

    text = (EXPERIMENTS_DIR / "edge.toml").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "edge.toml"
    path.write_text(text.replace(*change), encoding="utf-8")
    with pytest.raises(LabInputError, match="copy_sources needs whole_image_set"):
        load_design_file(path)
